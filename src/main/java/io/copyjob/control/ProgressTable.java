package io.copyjob.control;

import static io.copyjob.control.Schema.PROGRESS;
import static io.copyjob.control.Schema.PROGRESS_HISTORY;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The progress table: one row per run, partition (table) and worker, rewritten by that worker in
 * batches while it works on the partition. Each worker writes its own rows only, so no two writers
 * race on a row; readers sum a partition's rows over the workers. Heartbeats are stamped by the
 * database's clock, as leases are, so that workers whose clocks differ agree with the readers.
 */
public final class ProgressTable {
  /**
   * A run none of whose workers wrote a heartbeat for this long is shown stale: its workers flush
   * every few seconds, so only a stopped (or cut off) process stays silent so long.
   */
  public static final Duration STALE_AFTER = Duration.ofSeconds(30);

  /**
   * How many points of its totals over time each worker keeps per run: one per batch, the oldest
   * overwritten, so a run's history is bounded and a batch writes one row more whatever the run's
   * length (at one batch every 2 s, the last 10 minutes).
   */
  public static final int HISTORY_SLOTS = 300;

  private static final String COLUMNS =
      "state, files_listed, bytes_listed, files_copied, files_skipped, files_failed, bytes, rows_done,"
          + " listing_ms, reading_ms, writing_ms, waiting_ms, first_byte_ms, peak_in_flight,"
          + " throttled, heartbeat_at";

  private final Connection conn;
  private final Dialect dialect;
  private final int queryTimeout;

  ProgressTable(Connection conn, Dialect dialect, int queryTimeoutSeconds) {
    this.conn = conn;
    this.dialect = dialect;
    this.queryTimeout = queryTimeoutSeconds;
  }

  /**
   * Writes a worker's rows of a run in one transaction, each stamped with the database's time now:
   * an UPDATE of the rows it wrote before, an INSERT of the others. Returns that time.
   */
  public Instant write(long runId, String job, String worker, List<ProgressRecord> rows)
      throws SQLException {
    return write(runId, job, worker, rows, -1, null);
  }

  /**
   * Writes a worker's rows as {@link #write(long, String, String, List)} does and, in the same
   * transaction, its totals (every row it keeps summed, finished ones too) as its point number
   * {@code batch} of the run's history, in slot {@code batch % HISTORY_SLOTS}; no point when {@code
   * batch} is negative.
   */
  public Instant write(
      long runId,
      String job,
      String worker,
      List<ProgressRecord> rows,
      long batch,
      ProgressRecord totals)
      throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    String update =
        "UPDATE "
            + PROGRESS
            + " SET "
            + COLUMNS.replace(",", " = ?,")
            + " = ? WHERE run_id = ? AND key_hash = ? AND worker = ?";
    String insert =
        "INSERT INTO "
            + PROGRESS
            + " (run_id, key_hash, worker, job, source_root, prefix, "
            + COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    String who = Jdbc.truncate(worker, Schema.OWNER_LENGTH);
    boolean autoCommit = conn.getAutoCommit();
    conn.setAutoCommit(false);
    try {
      Instant now = dialect.now(conn, queryTimeout);
      List<ProgressRecord> missing = new ArrayList<>();
      try (PreparedStatement ps = conn.prepareStatement(update)) {
        ps.setQueryTimeout(queryTimeout);
        for (ProgressRecord row : rows) {
          int at = values(ps, 1, row, now);
          ps.setLong(at, runId);
          ps.setString(at + 1, hash(row.key()));
          ps.setString(at + 2, who);
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        for (int i = 0; i < counts.length; i++) {
          if (counts[i] == 0) {
            missing.add(rows.get(i));
          }
        }
      }
      if (!missing.isEmpty()) {
        try (PreparedStatement ps = conn.prepareStatement(insert)) {
          ps.setQueryTimeout(queryTimeout);
          for (ProgressRecord row : missing) {
            ps.setLong(1, runId);
            ps.setString(2, hash(row.key()));
            ps.setString(3, who);
            ps.setString(4, job);
            ps.setString(5, Jdbc.truncate(row.key().root(), Schema.ROOT_LENGTH));
            ps.setString(6, Jdbc.truncate(row.key().prefix(), Schema.PREFIX_LENGTH));
            values(ps, 7, row, now);
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      if (batch >= 0) {
        writePoint(runId, who, (int) (batch % HISTORY_SLOTS), totals, now);
      }
      conn.commit();
      return now;
    } catch (SQLException e) {
      try {
        conn.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw Jdbc.wrap(PROGRESS, "write progress", e);
    } finally {
      try {
        conn.setAutoCommit(autoCommit);
      } catch (SQLException e) {
        // The connection is gone; the caller drops it with the failure already thrown.
      }
    }
  }

  /** Rewrites the worker's slot of the run's history, or inserts it on the first lap. */
  private void writePoint(long runId, String who, int slot, ProgressRecord totals, Instant now)
      throws SQLException {
    String update =
        "UPDATE "
            + PROGRESS_HISTORY
            + " SET sampled_at = ?, files = ?, bytes = ?, rows_done = ?"
            + " WHERE run_id = ? AND worker = ? AND slot_no = ?";
    String insert =
        "INSERT INTO "
            + PROGRESS_HISTORY
            + " (sampled_at, files, bytes, rows_done, run_id, worker, slot_no)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?)";
    // The same values in the same places: the insert only when the update found no slot.
    for (String sql : List.of(update, insert)) {
      try (PreparedStatement ps = conn.prepareStatement(sql)) {
        ps.setQueryTimeout(queryTimeout);
        pointValues(ps, totals, now);
        ps.setLong(5, runId);
        ps.setString(6, who);
        ps.setInt(7, slot);
        if (ps.executeUpdate() > 0) {
          return;
        }
      }
    }
  }

  private void pointValues(PreparedStatement ps, ProgressRecord totals, Instant now)
      throws SQLException {
    dialect.setInstant(ps, 1, now);
    ps.setLong(2, totals.filesDone());
    ps.setLong(3, totals.bytes());
    ps.setLong(4, totals.rows());
  }

  /**
   * The run's history: every point its workers wrote and still keep (the last {@link
   * #HISTORY_SLOTS} of each), oldest first.
   */
  public List<ProgressPoint> history(long runId) throws SQLException {
    String sql =
        "SELECT worker, sampled_at, files, bytes, rows_done FROM "
            + PROGRESS_HISTORY
            + " WHERE run_id = ? ORDER BY sampled_at, worker";
    List<ProgressPoint> points = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setQueryTimeout(queryTimeout);
      ps.setLong(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          points.add(
              new ProgressPoint(
                  rs.getString("worker"),
                  dialect.getInstant(rs, "sampled_at"),
                  rs.getLong("files"),
                  rs.getLong("bytes"),
                  rs.getLong("rows_done")));
        }
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(PROGRESS_HISTORY, "read the progress history of run " + runId, e);
    }
    return points;
  }

  /** Sets the row's values from {@code at} on; returns the next parameter's index. */
  private int values(PreparedStatement ps, int at, ProgressRecord row, Instant now)
      throws SQLException {
    ps.setString(at++, row.state() == null ? null : row.state().name());
    ps.setLong(at++, row.filesListed());
    ps.setLong(at++, row.bytesListed());
    ps.setLong(at++, row.filesCopied());
    ps.setLong(at++, row.filesSkipped());
    ps.setLong(at++, row.filesFailed());
    ps.setLong(at++, row.bytes());
    ps.setLong(at++, row.rows());
    ps.setLong(at++, row.listingMillis());
    ps.setLong(at++, row.readingMillis());
    ps.setLong(at++, row.writingMillis());
    ps.setLong(at++, row.waitingMillis());
    if (row.firstByteMillis() == null) {
      ps.setNull(at++, java.sql.Types.BIGINT);
    } else {
      ps.setLong(at++, row.firstByteMillis());
    }
    ps.setLong(at++, row.peakInFlight());
    ps.setLong(at++, row.throttled());
    dialect.setInstant(ps, at++, now);
    return at;
  }

  /** The run's progress: every worker's rows, summed per partition and over the run. */
  public RunProgress read(long runId) throws SQLException {
    String sql =
        "SELECT key_hash, source_root, prefix, "
            + COLUMNS
            + " FROM "
            + PROGRESS
            + " WHERE run_id = ?";
    Map<String, ProgressRecord> byKey = new LinkedHashMap<>();
    ProgressRecord total = ProgressRecord.queued(ProgressRecord.RUN);
    ProgressRecord workers = ProgressRecord.queued(ProgressRecord.RUN);
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setQueryTimeout(queryTimeout);
      ps.setLong(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ProgressRecord row = row(rs);
          total = total.plus(row, ProgressRecord.RUN);
          if (row.key().equals(ProgressRecord.RUN)) {
            workers = workers.plus(row, ProgressRecord.RUN);
          } else {
            byKey.merge(rs.getString("key_hash"), row, (a, b) -> a.plus(b, a.key()));
          }
        }
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(PROGRESS, "read the progress of run " + runId, e);
    }
    // A run's worker rows carry no state of their own.
    total = total.withState(null);
    List<ProgressRecord> partitions = new ArrayList<>(byKey.values());
    partitions.sort(
        java.util.Comparator.comparing((ProgressRecord p) -> p.key().root())
            .thenComparing(p -> p.key().prefix()));
    return new RunProgress(partitions, workers.withState(null), total);
  }

  private ProgressRecord row(ResultSet rs) throws SQLException {
    long firstByte = rs.getLong("first_byte_ms");
    Long firstByteMillis = rs.wasNull() ? null : firstByte;
    String state = rs.getString("state");
    return new ProgressRecord(
        new PartitionKey(rs.getString("source_root"), rs.getString("prefix")),
        state == null || state.isEmpty() ? null : ProgressState.valueOf(state),
        rs.getLong("files_listed"),
        rs.getLong("bytes_listed"),
        rs.getLong("files_copied"),
        rs.getLong("files_skipped"),
        rs.getLong("files_failed"),
        rs.getLong("bytes"),
        rs.getLong("rows_done"),
        rs.getLong("listing_ms"),
        rs.getLong("reading_ms"),
        rs.getLong("writing_ms"),
        rs.getLong("waiting_ms"),
        firstByteMillis,
        rs.getLong("peak_in_flight"),
        rs.getLong("throttled"),
        dialect.getInstant(rs, "heartbeat_at"));
  }

  private static String hash(PartitionKey key) {
    return key.equals(ProgressRecord.RUN) ? "*" : ControlStore.hash(key);
  }
}
