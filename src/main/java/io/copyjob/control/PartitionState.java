package io.copyjob.control;

import java.time.Instant;

/**
 * A row of the partitions table.
 *
 * @param lastRunTime the start of the last run that processed it, null when never run
 * @param lastSuccessTime where the last window that succeeded ended (the run's start in full mode):
 *     the delta watermark, from which the next window starts (less the overlap)
 * @param files files copied or verified by the last run
 * @param bytes bytes copied by the last run
 * @param error the first error of the last run; when it succeeded, its warning or null
 */
public record PartitionState(
    PartitionKey key,
    PartitionStatus status,
    Instant lastRunTime,
    Instant lastSuccessTime,
    long files,
    long bytes,
    String error) {}
