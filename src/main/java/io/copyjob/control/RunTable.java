package io.copyjob.control;

import static io.copyjob.control.Schema.LEASES;
import static io.copyjob.control.Schema.RUNS;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs table: one row per run, inserted RUNNING, seen alive by its lease's keepers, and
 * finished once with its totals (or marked ABANDONED when its process died).
 */
final class RunTable {
  private static final Logger LOG = LoggerFactory.getLogger(RunTable.class);

  private final Connection conn;
  private final Dialect dialect;
  private final int queryTimeout;

  RunTable(Connection conn, Dialect dialect, int queryTimeoutSeconds) {
    this.conn = conn;
    this.dialect = dialect;
    this.queryTimeout = queryTimeoutSeconds;
  }

  /**
   * Inserts a RUNNING run numbered one past the job's last; run in a transaction. Two runs of one
   * job are serialised by its lease, so the next number is read, not reserved.
   */
  long start(String job, Instant startedAt, String mode, String runner, String settingsJson)
      throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    long number;
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT COALESCE(MAX(run_number), 0) + 1 FROM " + RUNS + " WHERE job = ?")) {
      ps.setString(1, job);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        number = rs.getLong(1);
      }
    }
    String sql =
        "INSERT INTO "
            + RUNS
            + " (job, run_number, status, started_at, last_seen_at, mode, runner,"
            + " partitions_succeeded, partitions_failed, files_copied, files_skipped, files_failed,"
            + " bytes_copied, settings)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, ?)";
    // The key by column index: PostgreSQL returns every column (run_id first), H2 and SQL Server
    // the identity alone.
    try (PreparedStatement ps = conn.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, job);
      ps.setLong(2, number);
      ps.setString(3, RunStatus.RUNNING.name());
      dialect.setInstant(ps, 4, startedAt);
      dialect.setInstant(ps, 5, startedAt);
      ps.setString(6, Jdbc.truncate(mode, Schema.MODE_LENGTH));
      ps.setString(7, Jdbc.truncate(runner, Schema.RUNNER_LENGTH));
      ps.setString(8, settingsJson);
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("no run_id was generated");
        }
        return keys.getLong(1);
      }
    }
  }

  /**
   * Ends a RUNNING run. The first outcome wins: a run already ended (a client that gave up, a
   * pipeline that recorded it, a run marked abandoned) is left as it is, and false returned.
   */
  boolean finish(long runId, RunStatus status, RunTotals totals, Instant endedAt, String error)
      throws SQLException {
    String sql =
        "UPDATE "
            + RUNS
            + " SET status = ?, ended_at = ?, partitions_succeeded = ?, partitions_failed = ?,"
            + " files_copied = ?, files_skipped = ?, files_failed = ?, bytes_copied = ?, error = ?,"
            + " rows_read = ?, rows_written = ?, rows_rejected = ?"
            + " WHERE run_id = ? AND status = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, status.name());
      dialect.setInstant(ps, 2, endedAt);
      ps.setLong(3, totals.partitionsSucceeded());
      ps.setLong(4, totals.partitionsFailed());
      ps.setLong(5, totals.filesCopied());
      ps.setLong(6, totals.filesSkipped());
      ps.setLong(7, totals.filesFailed());
      ps.setLong(8, totals.bytesCopied());
      ps.setString(9, Jdbc.truncate(error, Schema.ERROR_LENGTH));
      ps.setLong(10, totals.rowsRead());
      ps.setLong(11, totals.rowsWritten());
      ps.setLong(12, totals.rowsRejected());
      ps.setLong(13, runId);
      ps.setString(14, RunStatus.RUNNING.name());
      if (ps.executeUpdate() == 1) {
        return true;
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "finish run " + runId, e);
    }
    RunRecord current =
        read(runId)
            .orElseThrow(() -> new SQLException(RUNS + ": finish run " + runId + ": no such run"));
    LOG.warn(
        "Run {} of job '{}' was already recorded as {}; keeping that outcome, not {} (the first"
            + " one wins)",
        current.runNumber(),
        current.job(),
        current.status(),
        status);
    return false;
  }

  /** Notes that a RUNNING run is alive at {@code now} (the database's clock). */
  void seen(long runId, Instant now) throws SQLException {
    String sql = "UPDATE " + RUNS + " SET last_seen_at = ? WHERE run_id = ? AND status = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setQueryTimeout(queryTimeout);
      dialect.setInstant(ps, 1, now);
      ps.setLong(2, runId);
      ps.setString(3, RunStatus.RUNNING.name());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "note run " + runId + " alive", e);
    }
  }

  /**
   * Marks ABANDONED the job's RUNNING runs that no live lease holds at {@code now} (the database's
   * clock): their process died, or lost its lease and could not say so. Each one's end is when it
   * was last seen. The condition is checked again in the UPDATE, so a run whose lease is renewed
   * meanwhile stays RUNNING. Returns the runs marked.
   */
  List<Long> abandon(String job, Instant now) throws SQLException {
    String candidates =
        "SELECT r.run_id, r.started_at, r.last_seen_at, l.run_id AS lease_run, l.expires_at"
            + " FROM "
            + RUNS
            + " r LEFT JOIN "
            + LEASES
            + " l ON l.job = r.job WHERE r.job = ? AND r.status = ?";
    String mark =
        "UPDATE "
            + RUNS
            + " SET status = ?, ended_at = ?, error = ? WHERE run_id = ? AND status = ?"
            + " AND NOT EXISTS (SELECT 1 FROM "
            + LEASES
            + " l WHERE l.job = ? AND l.run_id = ? AND l.expires_at >= ?)";
    List<Long> marked = new ArrayList<>();
    try (PreparedStatement select = conn.prepareStatement(candidates);
        PreparedStatement update = conn.prepareStatement(mark)) {
      select.setString(1, job);
      select.setString(2, RunStatus.RUNNING.name());
      List<Dead> dead = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          long runId = rs.getLong("run_id");
          long leaseRun = rs.getLong("lease_run");
          boolean leaseNamesRun = !rs.wasNull() && leaseRun == runId;
          Instant expiresAt = dialect.getInstant(rs, "expires_at");
          if (leaseNamesRun && !expiresAt.isBefore(now)) {
            continue; // alive
          }
          Instant lastSeen = dialect.getInstant(rs, "last_seen_at");
          if (lastSeen == null) {
            lastSeen = dialect.getInstant(rs, "started_at");
          }
          String why =
              !leaseNamesRun
                  ? "its lease is gone"
                  : "its lease expired at " + expiresAt + " (the control database's clock)";
          dead.add(new Dead(runId, lastSeen, "abandoned: last seen at " + lastSeen + "; " + why));
        }
      }
      for (Dead d : dead) {
        update.setString(1, RunStatus.ABANDONED.name());
        dialect.setInstant(update, 2, d.lastSeen());
        update.setString(3, d.error());
        update.setLong(4, d.runId());
        update.setString(5, RunStatus.RUNNING.name());
        update.setString(6, job);
        update.setLong(7, d.runId());
        dialect.setInstant(update, 8, now);
        if (update.executeUpdate() == 1) {
          marked.add(d.runId());
        }
      }
      return marked;
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "mark abandoned runs", e);
    }
  }

  private record Dead(long runId, Instant lastSeen, String error) {}

  Optional<RunRecord> read(long runId) throws SQLException {
    List<RunRecord> runs = runs("run_id = ?", ps -> ps.setLong(1, runId), 1);
    return runs.stream().findFirst();
  }

  /** The job's run with this number. */
  Optional<RunRecord> readNumber(String job, long runNumber) throws SQLException {
    List<RunRecord> runs =
        runs(
            "job = ? AND run_number = ?",
            ps -> {
              ps.setString(1, job);
              ps.setLong(2, runNumber);
            },
            1);
    return runs.stream().findFirst();
  }

  List<RunRecord> history(String job, int limit) throws SQLException {
    if (limit <= 0) {
      throw new IllegalArgumentException("history limit must be > 0, was " + limit);
    }
    return runs("job = ?", ps -> ps.setString(1, job), limit);
  }

  /** How many runs each job has of each status: job -> status -> count. */
  java.util.Map<String, java.util.Map<RunStatus, Long>> countsByStatus() throws SQLException {
    String sql = "SELECT job, status, COUNT(*) AS n FROM " + RUNS + " GROUP BY job, status";
    java.util.Map<String, java.util.Map<RunStatus, Long>> counts = new java.util.TreeMap<>();
    try (PreparedStatement ps = conn.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        counts
            .computeIfAbsent(rs.getString("job"), j -> new java.util.EnumMap<>(RunStatus.class))
            .put(RunStatus.valueOf(rs.getString("status")), rs.getLong("n"));
      }
      return counts;
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "count runs", e);
    }
  }

  /** When each job's last successful run ended. */
  java.util.Map<String, Instant> lastSuccesses() throws SQLException {
    String sql =
        "SELECT job, MAX(ended_at) AS last_success FROM "
            + RUNS
            + " WHERE status = 'SUCCEEDED' GROUP BY job";
    java.util.Map<String, Instant> last = new java.util.TreeMap<>();
    try (PreparedStatement ps = conn.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        Instant at = dialect.getInstant(rs, "last_success");
        if (at != null) {
          last.put(rs.getString("job"), at);
        }
      }
      return last;
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "read last successes", e);
    }
  }

  /** When a run was last seen alive (its start when never since); empty for no such run. */
  Optional<Instant> lastSeen(long runId) throws SQLException {
    String sql = "SELECT started_at, last_seen_at FROM " + RUNS + " WHERE run_id = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setLong(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        Instant seen = dialect.getInstant(rs, "last_seen_at");
        return Optional.of(seen != null ? seen : dialect.getInstant(rs, "started_at"));
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "read when run " + runId + " was last seen", e);
    }
  }

  /** Each job's newest run. */
  List<RunRecord> lastRuns(int limit) throws SQLException {
    return runs("run_id IN (SELECT MAX(run_id) FROM " + RUNS + " GROUP BY job)", ps -> {}, limit);
  }

  private List<RunRecord> runs(String where, Jdbc.Binder binder, int limit) throws SQLException {
    String sql = "SELECT * FROM " + RUNS + " WHERE " + where + " ORDER BY run_id DESC";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      binder.bind(ps);
      // setMaxRows rather than LIMIT / TOP / FETCH FIRST: the same SQL on every dialect.
      ps.setMaxRows(limit);
      List<RunRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new RunRecord(
                  rs.getLong("run_id"),
                  rs.getLong("run_number"),
                  rs.getString("job"),
                  RunStatus.valueOf(rs.getString("status")),
                  dialect.getInstant(rs, "started_at"),
                  dialect.getInstant(rs, "ended_at"),
                  rs.getString("mode"),
                  rs.getString("runner"),
                  new RunTotals(
                      rs.getLong("partitions_succeeded"),
                      rs.getLong("partitions_failed"),
                      rs.getLong("files_copied"),
                      rs.getLong("files_skipped"),
                      rs.getLong("files_failed"),
                      rs.getLong("bytes_copied"),
                      // NULL (0) in file copies' rows written before tabular jobs existed
                      rs.getLong("rows_read"),
                      rs.getLong("rows_written"),
                      rs.getLong("rows_rejected")),
                  rs.getString("settings"),
                  rs.getString("error")));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "read runs", e);
    }
  }
}
