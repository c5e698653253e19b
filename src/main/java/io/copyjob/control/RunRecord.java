package io.copyjob.control;

import java.time.Duration;
import java.time.Instant;

/**
 * A row of the runs table.
 *
 * @param endedAt null while running
 * @param settings the job's settings used, as JSON with every secret removed
 * @param error the reason a run failed, null otherwise
 */
public record RunRecord(
    long runId,
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
