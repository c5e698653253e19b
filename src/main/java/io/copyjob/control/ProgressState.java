package io.copyjob.control;

/**
 * Where a partition (a table, for tabular runs) stands in a running run, as its workers last
 * reported: advisory, the partition's recorded result stays the truth.
 */
public enum ProgressState {
  /** No worker has started on it yet. */
  QUEUED,
  /** Its prefix is being listed (a table: its pieces planned). */
  LISTING,
  /** Its files (pieces) are being copied. */
  COPYING,
  /** Recorded as succeeded. */
  DONE,
  /** Recorded as failed. */
  FAILED;

  /** The furthest of two workers' states: the partition is as far as its furthest worker. */
  ProgressState max(ProgressState other) {
    return other == null || compareTo(other) >= 0 ? this : other;
  }

  /** Whether the partition is finished (recorded) in this run. */
  public boolean finished() {
    return this == DONE || this == FAILED;
  }
}
