package io.copyjob.control;

/** Where a run stands. */
public enum RunStatus {
  RUNNING,
  SUCCEEDED,
  FAILED
}
