package io.copyjob.control;

import io.copyjob.spec.JobSpec;

/** Temporary: replaced by the control store's own queries. */
public final class ControlQueries {
  private ControlQueries() {}

  public static String partitionsToCopy(JobSpec.Mode mode) {
    return mode == JobSpec.Mode.FULL
        ? "SELECT source_root, prefix FROM copyjob_partitions WHERE job = ? AND status <> 'SUCCEEDED'"
        : "SELECT source_root, prefix FROM copyjob_partitions WHERE job = ?";
  }

  public static String lastSuccessTimes() {
    return "SELECT source_root, prefix, last_success_time FROM copyjob_partitions"
        + " WHERE job = ? AND last_success_time IS NOT NULL";
  }
}
