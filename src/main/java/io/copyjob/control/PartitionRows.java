package io.copyjob.control;

import static io.copyjob.control.Schema.PARTITIONS;
import static io.copyjob.control.Schema.PARTITION_RUNS;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements that record a partition's result; the caller runs them in its transaction.
 *
 * <p>Upserts are written as update-else-insert and delete-then-insert rather than MERGE or ON
 * CONFLICT, which every dialect spells differently. A concurrent insert of the same key makes the
 * insert fail with a unique violation; the caller then runs the transaction again.
 */
final class PartitionRows {
  private PartitionRows() {}

  /** Replaces this run's row of the partition: a retried bundle leaves one row, the last. */
  static void replacePartitionRun(
      Connection conn,
      Dialect d,
      long runId,
      String job,
      String keyHash,
      Instant runTime,
      PartitionResult r,
      Instant recordedAt)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "DELETE FROM " + PARTITION_RUNS + " WHERE run_id = ? AND key_hash = ?")) {
      ps.setLong(1, runId);
      ps.setString(2, keyHash);
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + PARTITION_RUNS
                + " (run_id, job, key_hash, source_root, prefix, run_time, succeeded,"
                + " files_copied, files_skipped, files_failed, bytes_copied, error,"
                + " window_start, window_end, recorded_at, rows_read, rows_written, rows_rejected,"
                + " duration_ms)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setLong(1, runId);
      ps.setString(2, job);
      ps.setString(3, keyHash);
      ps.setString(4, r.key().root());
      ps.setString(5, r.key().prefix());
      d.setInstant(ps, 6, runTime);
      ps.setBoolean(7, r.succeeded());
      ps.setLong(8, r.filesCopied());
      ps.setLong(9, r.filesSkipped());
      ps.setLong(10, r.filesFailed());
      ps.setLong(11, r.bytesCopied());
      ps.setString(12, Jdbc.truncate(r.note(), Schema.ERROR_LENGTH));
      d.setInstant(ps, 13, r.windowStart());
      d.setInstant(ps, 14, r.windowEnd());
      d.setInstant(ps, 15, recordedAt);
      TableCounts t = r.table();
      setLongOrNull(ps, 16, t == null ? null : t.rowsRead());
      setLongOrNull(ps, 17, t == null ? null : t.rowsWritten());
      setLongOrNull(ps, 18, t == null ? null : t.rowsRejected());
      setLongOrNull(ps, 19, t == null ? null : t.durationMillis());
      ps.executeUpdate();
    }
  }

  /**
   * Sets the partition's status, last run and counts, inserting the row when the partition is not
   * in the table yet. The last success time (the delta watermark) moves only when the partition
   * succeeded, to the end of the window it listed (the run's time when the window had no end): a
   * failed partition keeps its watermark, so the next run copies its window again; so does one
   * whose result keeps it ({@link PartitionResult#watermarkKept}).
   */
  static void updatePartition(
      Connection conn,
      Dialect d,
      long runId,
      String job,
      String keyHash,
      Instant runTime,
      PartitionResult r)
      throws SQLException {
    boolean ok = r.succeeded();
    boolean advance = r.advancesWatermark();
    String status = (ok ? PartitionStatus.SUCCEEDED : PartitionStatus.FAILED).name();
    long files = r.filesCopied() + r.filesSkipped();
    String error = Jdbc.truncate(r.note(), Schema.ERROR_LENGTH);
    Instant watermark = r.windowEnd() != null ? r.windowEnd() : runTime;
    String update =
        "UPDATE "
            + PARTITIONS
            + " SET status = ?, last_run_id = ?, last_run_time = ?, files = ?, bytes = ?,"
            + " error = ?"
            + (advance ? ", last_success_time = ?" : "")
            + " WHERE job = ? AND key_hash = ?";
    try (PreparedStatement ps = conn.prepareStatement(update)) {
      int i = 0;
      ps.setString(++i, status);
      ps.setLong(++i, runId);
      d.setInstant(ps, ++i, runTime);
      ps.setLong(++i, files);
      ps.setLong(++i, r.bytesCopied());
      ps.setString(++i, error);
      if (advance) {
        d.setInstant(ps, ++i, watermark);
      }
      ps.setString(++i, job);
      ps.setString(++i, keyHash);
      if (ps.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + PARTITIONS
                + " (job, key_hash, source_root, prefix, status, last_run_id, last_run_time,"
                + " last_success_time, files, bytes, error)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, job);
      ps.setString(2, keyHash);
      ps.setString(3, r.key().root());
      ps.setString(4, r.key().prefix());
      ps.setString(5, status);
      ps.setLong(6, runId);
      d.setInstant(ps, 7, runTime);
      d.setInstant(ps, 8, advance ? watermark : null);
      ps.setLong(9, files);
      ps.setLong(10, r.bytesCopied());
      ps.setString(11, error);
      ps.executeUpdate();
    }
  }

  /**
   * The files (copied or verified) of the partition's last run, when that run is not {@code runId};
   * -1 when the partition has no row or this run already wrote it (a retried bundle).
   */
  static long filesOfLastRun(Connection conn, String job, String keyHash, long runId)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT files, last_run_id FROM " + PARTITIONS + " WHERE job = ? AND key_hash = ?")) {
      ps.setString(1, job);
      ps.setString(2, keyHash);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return -1;
        }
        long files = rs.getLong("files");
        long lastRun = rs.getLong("last_run_id");
        return rs.wasNull() || lastRun != runId ? files : -1;
      }
    }
  }

  /** The rows of one run, ordered by root then prefix. */
  static List<PartitionRunRecord> partitionRuns(Connection conn, Dialect d, long runId)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT * FROM " + PARTITION_RUNS + " WHERE run_id = ? ORDER BY source_root, prefix")) {
      ps.setLong(1, runId);
      List<PartitionRunRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          // The error column holds a failed partition's error, a succeeded one's warning.
          boolean succeeded = rs.getBoolean("succeeded");
          String note = rs.getString("error");
          PartitionResult result =
              new PartitionResult(
                  new PartitionKey(rs.getString("source_root"), rs.getString("prefix")),
                  rs.getLong("files_copied"),
                  rs.getLong("files_skipped"),
                  rs.getLong("files_failed"),
                  rs.getLong("bytes_copied"),
                  succeeded ? null : note,
                  d.getInstant(rs, "window_start"),
                  d.getInstant(rs, "window_end"),
                  succeeded ? note : null,
                  tableCounts(rs));
          out.add(new PartitionRunRecord(runId, d.getInstant(rs, "run_time"), result));
        }
      }
      return out;
    }
  }

  private static void setLongOrNull(PreparedStatement ps, int index, Long value)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, java.sql.Types.BIGINT);
    } else {
      ps.setLong(index, value);
    }
  }

  /** A table's rows, or null for a file copy's partition (whose rows columns are NULL). */
  private static TableCounts tableCounts(ResultSet rs) throws SQLException {
    return tableCounts(rs, rs.getLong("duration_ms"));
  }

  /**
   * A table's rows as a row of the partition runs or the rounds table holds them ({@code
   * rows_read}, {@code rows_written}, {@code rows_rejected}, {@code watermark_before} and {@code
   * watermark_after}), or null for a partition of files, whose rows columns are NULL.
   */
  static TableCounts tableCounts(ResultSet rs, long durationMs) throws SQLException {
    long read = rs.getLong("rows_read");
    if (rs.wasNull()) {
      return null;
    }
    String before = rs.getString("watermark_before");
    String after = rs.getString("watermark_after");
    // Only the values are kept: the column is the job file's, the NULL rows are in the note.
    WatermarkChange watermark =
        before == null && after == null ? null : new WatermarkChange(null, before, after, 0);
    return new TableCounts(
        read, rs.getLong("rows_written"), rs.getLong("rows_rejected"), durationMs, watermark);
  }
}
