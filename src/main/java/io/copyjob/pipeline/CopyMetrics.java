package io.copyjob.pipeline;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/** The counters a run's progress and report are fed from; all in the namespace "copyjob". */
public final class CopyMetrics {
  public static final String NAMESPACE = "copyjob";
  public static final String PARTITIONS_LISTED = "partitions_listed";
  public static final String PARTITIONS_RECORDED = "partitions_recorded";
  public static final String FILES_LISTED = "files_listed";
  public static final String BYTES_LISTED = "bytes_listed";
  public static final String FILES_COPIED = "files_copied";
  public static final String FILES_SKIPPED = "files_skipped";
  public static final String FILES_FAILED = "files_failed";
  public static final String BYTES_COPIED = "bytes_copied";
  public static final String FILES_SERVER_SIDE = "files_copied_server_side";
  public static final String LEFTOVERS_REMOVED = "temporary_files_removed";
  public static final String MARKERS_SKIPPED = "folder_markers_skipped";
  public static final String FILES_STAMPED_LATER = "files_stamped_later";

  // Tabular runs: their tables are counted as partitions, the files they read as files.
  public static final String ROWS_READ = "rows_read";
  public static final String ROWS_WRITTEN = "rows_written";
  public static final String ROWS_REJECTED = "rows_rejected";

  private CopyMetrics() {}

  public static Counter counter(String name) {
    return Metrics.counter(NAMESPACE, name);
  }
}
