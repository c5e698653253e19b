package io.copyjob.control;

import static io.copyjob.control.Schema.PARTITIONS;

import io.copyjob.spec.JobSpec;

/**
 * The SQL the pipeline runs through Beam's JdbcIO against the control store. Each query has exactly
 * one parameter, the job's name, and reads the tables {@link ControlStore} creates.
 *
 * <p>Read {@code last_success_time} with {@link Dialect#getInstant}: how a UTC instant is stored
 * differs between databases.
 */
public final class ControlQueries {
  private ControlQueries() {}

  /**
   * The partitions a run copies, as rows of {@code source_root, prefix} ordered by both. FULL mode:
   * those not yet SUCCEEDED (PENDING or FAILED). DELTA mode: every partition of the job, each with
   * its own window.
   */
  public static String partitionsToCopy(JobSpec.Mode mode) {
    String select = "SELECT source_root, prefix FROM " + PARTITIONS + " WHERE job = ?";
    String order = " ORDER BY source_root, prefix";
    return switch (mode) {
      case FULL -> select + " AND status <> '" + PartitionStatus.SUCCEEDED.name() + "'" + order;
      case DELTA, INCREMENTAL, CONTINUOUS -> select + order;
    };
  }

  /**
   * The delta watermarks: rows of {@code source_root, prefix, last_success_time} of the job's
   * partitions that have succeeded at least once, ordered by root then prefix.
   */
  public static String lastSuccessTimes() {
    return "SELECT source_root, prefix, last_success_time FROM "
        + PARTITIONS
        + " WHERE job = ? AND last_success_time IS NOT NULL ORDER BY source_root, prefix";
  }
}
