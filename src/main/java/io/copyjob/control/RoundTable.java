package io.copyjob.control;

import static io.copyjob.control.Schema.PARTITION_RUNS;
import static io.copyjob.control.Schema.ROUNDS;
import static io.copyjob.control.Schema.RUNS;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements on a continuous run's rounds; the caller runs them in its transaction. A round's
 * row is inserted RUNNING when its tick starts it, and leaves RUNNING exactly once: recorded
 * (SUCCEEDED or FAILED, with the partition's watermark in the same transaction), or ABANDONED when
 * the run stops or died. Every transition is conditional on RUNNING, so a recording that comes
 * after the abandonment (a worker still finishing while the run stops) changes nothing.
 */
final class RoundTable {
  private static final String COLUMNS =
      "run_id, round_number, job, key_hash, source_root, prefix, status, started_at, ended_at,"
          + " window_start, window_end, files_copied, files_skipped, files_failed, bytes_copied,"
          + " error";

  /** What a round's row holds beyond {@link #COLUMNS}: a table's rows and watermark. */
  private static final String TABLE_COLUMNS =
      ", rows_read, rows_written, rows_rejected, watermark_before, watermark_after";

  private final Connection conn;
  private final Dialect d;

  RoundTable(Connection conn, Dialect dialect) {
    this.conn = conn;
    this.d = dialect;
  }

  /**
   * The run's rows that decide a new round, by key hash: the partition's row of {@code round} when
   * there is one (a tick delivered again after a failover), else its running round, if any.
   */
  Map<String, RoundRecord> current(long runId, long round) throws SQLException {
    Map<String, RoundRecord> out = new HashMap<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT "
                + COLUMNS
                + TABLE_COLUMNS
                + " FROM "
                + ROUNDS
                + " WHERE run_id = ? AND (round_number = ? OR status = ?)")) {
      ps.setLong(1, runId);
      ps.setLong(2, round);
      ps.setString(3, RoundStatus.RUNNING.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          RoundRecord r = read(rs);
          String hash = rs.getString("key_hash");
          RoundRecord seen = out.get(hash);
          if (seen == null || r.round() == round) {
            out.put(hash, r);
          }
        }
      }
    }
    return out;
  }

  void insert(String job, String keyHash, RoundRecord r) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + ROUNDS
                + " ("
                + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setLong(1, r.runId());
      ps.setLong(2, r.round());
      ps.setString(3, job);
      ps.setString(4, keyHash);
      ps.setString(5, r.key().root());
      ps.setString(6, r.key().prefix());
      ps.setString(7, r.status().name());
      d.setInstant(ps, 8, r.startedAt());
      d.setInstant(ps, 9, r.status() == RoundStatus.RUNNING ? null : r.startedAt());
      d.setInstant(ps, 10, r.windowStart());
      d.setInstant(ps, 11, r.windowEnd());
      ps.setLong(12, 0);
      ps.setLong(13, 0);
      ps.setLong(14, 0);
      ps.setLong(15, 0);
      ps.setString(16, Jdbc.truncate(r.error(), Schema.ERROR_LENGTH));
      ps.executeUpdate();
    }
  }

  /** Ends a RUNNING round with its result; false when it is not RUNNING (recorded, abandoned). */
  boolean finish(long runId, long round, String keyHash, PartitionResult r, Instant at)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + ROUNDS
                + " SET status = ?, ended_at = ?, files_copied = ?, files_skipped = ?,"
                + " files_failed = ?, bytes_copied = ?, error = ?, rows_read = ?, rows_written = ?,"
                + " rows_rejected = ?, watermark_before = ?, watermark_after = ?"
                + " WHERE run_id = ? AND key_hash = ? AND round_number = ? AND status = ?")) {
      ps.setString(1, (r.succeeded() ? RoundStatus.SUCCEEDED : RoundStatus.FAILED).name());
      d.setInstant(ps, 2, at);
      ps.setLong(3, r.filesCopied());
      ps.setLong(4, r.filesSkipped());
      ps.setLong(5, r.filesFailed());
      ps.setLong(6, r.bytesCopied());
      ps.setString(7, Jdbc.truncate(r.note(), Schema.ERROR_LENGTH));
      TableCounts t = r.table();
      WatermarkChange w = t == null ? null : t.watermark();
      setLongOrNull(ps, 8, t == null ? null : t.rowsRead());
      setLongOrNull(ps, 9, t == null ? null : t.rowsWritten());
      setLongOrNull(ps, 10, t == null ? null : t.rowsRejected());
      ps.setString(11, w == null ? null : w.before());
      // A failed round's watermark stays where it was.
      ps.setString(12, w == null ? null : r.succeeded() ? w.after() : w.before());
      ps.setLong(13, runId);
      ps.setString(14, keyHash);
      ps.setLong(15, round);
      ps.setString(16, RoundStatus.RUNNING.name());
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * The partition's sums over the run's rounds recorded so far: its partition_runs row with this
   * round's counts added, the window from the first round's start to this one's end.
   */
  PartitionResult sumWithRun(long runId, String keyHash, PartitionResult r) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT files_copied, files_skipped, files_failed, bytes_copied, window_start,"
                + " rows_read, rows_written, rows_rejected, duration_ms, watermark_before FROM "
                + PARTITION_RUNS
                + " WHERE run_id = ? AND key_hash = ?")) {
      ps.setLong(1, runId);
      ps.setString(2, keyHash);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return r;
        }
        return new PartitionResult(
            r.key(),
            rs.getLong("files_copied") + r.filesCopied(),
            rs.getLong("files_skipped") + r.filesSkipped(),
            rs.getLong("files_failed") + r.filesFailed(),
            rs.getLong("bytes_copied") + r.bytesCopied(),
            r.firstError(),
            d.getInstant(rs, "window_start"),
            r.windowEnd(),
            r.warning(),
            r.table() == null ? null : sumRows(rs, r.table()));
      }
    }
  }

  /**
   * A table's rows over the run's rounds: this round's added to its partition_runs row's, and the
   * watermark from where the run's first round started to where this one ends.
   */
  private static TableCounts sumRows(ResultSet rs, TableCounts round) throws SQLException {
    WatermarkChange w = round.watermark();
    if (w != null) {
      // From the run's first round's (null: that round was a full load).
      w =
          new WatermarkChange(
              w.column(), rs.getString("watermark_before"), w.after(), w.nullRows());
    }
    return new TableCounts(
        rs.getLong("rows_read") + round.rowsRead(),
        rs.getLong("rows_written") + round.rowsWritten(),
        rs.getLong("rows_rejected") + round.rowsRejected(),
        rs.getLong("duration_ms") + round.durationMillis(),
        w);
  }

  private static void setLongOrNull(PreparedStatement ps, int index, Long value)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, java.sql.Types.BIGINT);
    } else {
      ps.setLong(index, value);
    }
  }

  /** Ends the run's RUNNING rounds as ABANDONED with {@code why}; returns how many. */
  int abandon(long runId, Instant at, String why) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + ROUNDS
                + " SET status = ?, ended_at = ?, error = ? WHERE run_id = ? AND status = ?")) {
      ps.setString(1, RoundStatus.ABANDONED.name());
      d.setInstant(ps, 2, at);
      ps.setString(3, Jdbc.truncate(why, Schema.ERROR_LENGTH));
      ps.setLong(4, runId);
      ps.setString(5, RoundStatus.RUNNING.name());
      return ps.executeUpdate();
    }
  }

  /** The job's RUNNING rounds whose run has ended (a killed run, since marked ABANDONED). */
  List<Long> runsWithOrphanRounds(String job) throws SQLException {
    List<Long> runIds = new ArrayList<>();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT DISTINCT r.run_id FROM "
                + ROUNDS
                + " r JOIN "
                + RUNS
                + " u ON u.run_id = r.run_id WHERE r.job = ? AND r.status = ? AND u.status <> ?")) {
      ps.setString(1, job);
      ps.setString(2, RoundStatus.RUNNING.name());
      ps.setString(3, RunStatus.RUNNING.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          runIds.add(rs.getLong(1));
        }
      }
    }
    return runIds;
  }

  /** The run's rounds, by round then root and prefix. */
  List<RoundRecord> rounds(long runId) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT "
                + COLUMNS
                + TABLE_COLUMNS
                + " FROM "
                + ROUNDS
                + " WHERE run_id = ? ORDER BY round_number, source_root, prefix")) {
      ps.setLong(1, runId);
      List<RoundRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(read(rs));
        }
      }
      return out;
    }
  }

  private RoundRecord read(ResultSet rs) throws SQLException {
    return new RoundRecord(
        rs.getLong("run_id"),
        rs.getLong("round_number"),
        new PartitionKey(rs.getString("source_root"), rs.getString("prefix")),
        RoundStatus.valueOf(rs.getString("status")),
        d.getInstant(rs, "started_at"),
        d.getInstant(rs, "ended_at"),
        d.getInstant(rs, "window_start"),
        d.getInstant(rs, "window_end"),
        rs.getLong("files_copied"),
        rs.getLong("files_skipped"),
        rs.getLong("files_failed"),
        rs.getLong("bytes_copied"),
        rs.getString("error"),
        PartitionRows.tableCounts(rs, 0)); // a round keeps no duration of its own
  }
}
