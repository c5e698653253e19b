package io.copyjob.control;

/** Where a run stands. */
public enum RunStatus {
  RUNNING,
  SUCCEEDED,
  FAILED,
  /**
   * Its process died while it ran (its lease lapsed or is gone): ended_at is when it was last seen
   * alive, and the error says so. Set by the job's next run or by {@code history}.
   */
  ABANDONED,
  /**
   * A time of {@code copyjob schedule} at which no run started: the previous run was still going,
   * or another process held the job's lease. Started and ended at that time; the error says why.
   */
  SKIPPED,
  /**
   * A continuous run stopped on request (SIGTERM, Ctrl-C, a Flink cancel or stop): the rounds it
   * had recorded stay, the rounds in flight are ABANDONED with their watermarks untouched.
   */
  STOPPED
}
