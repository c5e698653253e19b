package io.copyjob.control;

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

/** The runs table: one row per run, inserted RUNNING and finished with its totals. */
final class RunTable {
  private final Connection conn;
  private final Dialect dialect;

  RunTable(Connection conn, Dialect dialect) {
    this.conn = conn;
    this.dialect = dialect;
  }

  long start(String job, Instant startedAt, String mode, String runner, String settingsJson)
      throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    String sql =
        "INSERT INTO "
            + RUNS
            + " (job, status, started_at, mode, runner, partitions_succeeded, partitions_failed,"
            + " files_copied, files_skipped, files_failed, bytes_copied, settings)"
            + " VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, ?)";
    // The key by column index: PostgreSQL returns every column (run_id first), H2 and SQL Server
    // the identity alone.
    try (PreparedStatement ps = conn.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, job);
      ps.setString(2, RunStatus.RUNNING.name());
      dialect.setInstant(ps, 3, startedAt);
      ps.setString(4, Jdbc.truncate(mode, Schema.MODE_LENGTH));
      ps.setString(5, Jdbc.truncate(runner, Schema.RUNNER_LENGTH));
      ps.setString(6, settingsJson);
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("no run_id was generated");
        }
        return keys.getLong(1);
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "start run", e);
    }
  }

  void finish(long runId, RunStatus status, RunTotals totals, Instant endedAt, String error)
      throws SQLException {
    String sql =
        "UPDATE "
            + RUNS
            + " SET status = ?, ended_at = ?, partitions_succeeded = ?, partitions_failed = ?,"
            + " files_copied = ?, files_skipped = ?, files_failed = ?, bytes_copied = ?, error = ?"
            + " WHERE run_id = ?";
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
      ps.setLong(10, runId);
      if (ps.executeUpdate() != 1) {
        throw new SQLException("no run " + runId);
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "finish run " + runId, e);
    }
  }

  Optional<RunRecord> read(long runId) throws SQLException {
    List<RunRecord> runs = runs("run_id = ?", ps -> ps.setLong(1, runId), 1);
    return runs.stream().findFirst();
  }

  List<RunRecord> history(String job, int limit) throws SQLException {
    if (limit <= 0) {
      throw new IllegalArgumentException("history limit must be > 0, was " + limit);
    }
    return runs("job = ?", ps -> ps.setString(1, job), limit);
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
                      rs.getLong("bytes_copied")),
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
