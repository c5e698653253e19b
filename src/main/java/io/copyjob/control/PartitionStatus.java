package io.copyjob.control;

/** Where a partition stands after the runs so far. */
public enum PartitionStatus {
  /** Never run, or reset to be copied again. */
  PENDING,
  /** The last run copied and verified every file of it. */
  SUCCEEDED,
  /** The last run had at least one file (or its listing) fail. */
  FAILED
}
