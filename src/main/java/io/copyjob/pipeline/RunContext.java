package io.copyjob.pipeline;

import java.io.Serializable;
import java.time.Instant;

/**
 * What a run fixes once before its pipeline starts.
 *
 * @param runId the run's row in the control store
 * @param runStart the run's start, truncated to milliseconds: the end of every delta window and the
 *     run time recorded for every partition
 */
public record RunContext(long runId, Instant runStart) implements Serializable {}
