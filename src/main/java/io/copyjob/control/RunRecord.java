package io.copyjob.control;

import java.time.Duration;
import java.time.Instant;

/**
 * A row of the runs table.
 *
 * @param runId the run's key in the control store, shared by all jobs of one store
 * @param runNumber the run's number within its job (1, 2, ...): what a person reads and types
 * @param endedAt null while running; for an abandoned run, when it was last seen alive
 * @param settings the job's settings used, as JSON with every secret removed
 * @param error the reason a run failed, null otherwise
 */
public record RunRecord(
    long runId,
    long runNumber,
    String job,
    RunStatus status,
    Instant startedAt,
    Instant endedAt,
    String mode,
    String runner,
    RunTotals totals,
    String settings,
    String error) {

  public Duration duration() {
    return endedAt == null ? null : Duration.between(startedAt, endedAt);
  }
}
