package io.copyjob.control;

import java.time.Instant;

/**
 * A row of the partition_runs table: one partition in one run (the seed's JobRunTime /
 * SuccessOrFailure history).
 *
 * @param runTime the run's start, fixed once per run
 */
public record PartitionRunRecord(long runId, Instant runTime, PartitionResult result) {}
