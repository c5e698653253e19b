package io.copyjob.control;

/** Where one partition's round of a continuous run stands. */
public enum RoundStatus {
  /** Listed or copying: the partition's next tick is skipped until it is recorded. */
  RUNNING,
  SUCCEEDED,
  /** A file or the listing failed: the watermark stays, so the next round lists it again. */
  FAILED,
  /** A tick came while the partition's previous round was still going: nothing was listed. */
  SKIPPED,
  /** The run stopped or died with the round in flight: nothing recorded, watermark untouched. */
  ABANDONED
}
