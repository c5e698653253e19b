package io.copyjob.control;

import static io.copyjob.control.Schema.LEASES;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The leases table: one row per job, naming the process that runs it.
 *
 * <p>Every change is one conditional statement in auto-commit, never a read then a write, so two
 * processes racing for a lease cannot both win: the database serialises the UPDATEs on the row (the
 * second re-checks its condition against the first's result) and the job's primary key lets only
 * one INSERT through.
 */
final class LeaseTable {
  private final Connection conn;
  private final Dialect dialect;
  private final int queryTimeout;

  LeaseTable(Connection conn, Dialect dialect, int queryTimeoutSeconds) {
    this.conn = conn;
    this.dialect = dialect;
    this.queryTimeout = queryTimeoutSeconds;
  }

  private PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement ps = conn.prepareStatement(sql);
    ps.setQueryTimeout(queryTimeout);
    return ps;
  }

  boolean acquire(String job, String owner, Instant now, Duration ttl) throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    Jdbc.checkLength("lease owner", owner, Schema.OWNER_LENGTH);
    Instant expiresAt = expiry(now, ttl);
    // Taken over from another owner, the lease no longer belongs to that owner's run.
    String takeOver =
        "UPDATE "
            + LEASES
            + " SET run_id = CASE WHEN owner = ? THEN run_id ELSE NULL END, owner = ?,"
            + " expires_at = ? WHERE job = ? AND (owner = ? OR expires_at < ?)";
    try (PreparedStatement ps = prepare(takeOver)) {
      ps.setString(1, owner);
      ps.setString(2, owner);
      dialect.setInstant(ps, 3, expiresAt);
      ps.setString(4, job);
      ps.setString(5, owner);
      dialect.setInstant(ps, 6, now);
      if (ps.executeUpdate() == 1) {
        return true;
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(LEASES, "acquire lease", e);
    }
    String insert = "INSERT INTO " + LEASES + " (job, owner, expires_at) VALUES (?, ?, ?)";
    try (PreparedStatement ps = prepare(insert)) {
      ps.setString(1, job);
      ps.setString(2, owner);
      dialect.setInstant(ps, 3, expiresAt);
      ps.executeUpdate();
      return true;
    } catch (SQLException e) {
      if (Jdbc.isUniqueViolation(e)) {
        return false; // another owner holds a lease that has not expired
      }
      throw Jdbc.wrap(LEASES, "acquire lease", e);
    }
  }

  /**
   * Extends the owner's lease that has not expired at {@code now}. An expired lease is not revived
   * even when no one took it: its run may already be marked abandoned, and another run may start.
   */
  boolean renew(String job, String owner, Instant now, Duration ttl) throws SQLException {
    String sql =
        "UPDATE " + LEASES + " SET expires_at = ? WHERE job = ? AND owner = ? AND expires_at >= ?";
    try (PreparedStatement ps = prepare(sql)) {
      dialect.setInstant(ps, 1, expiry(now, ttl));
      ps.setString(2, job);
      ps.setString(3, owner);
      dialect.setInstant(ps, 4, now);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw Jdbc.wrap(LEASES, "renew lease", e);
    }
  }

  boolean setRun(String job, String owner, long runId) throws SQLException {
    return update(
        "set lease run",
        "UPDATE " + LEASES + " SET run_id = ? WHERE job = ? AND owner = ?",
        ps -> ps.setLong(1, runId),
        job,
        owner);
  }

  void release(String job, String owner) throws SQLException {
    String sql = "DELETE FROM " + LEASES + " WHERE job = ? AND owner = ?";
    try (PreparedStatement ps = prepare(sql)) {
      ps.setString(1, job);
      ps.setString(2, owner);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw Jdbc.wrap(LEASES, "release lease", e);
    }
  }

  Optional<Lease> read(String job) throws SQLException {
    String sql = "SELECT job, owner, run_id, expires_at FROM " + LEASES + " WHERE job = ?";
    try (PreparedStatement ps = prepare(sql)) {
      ps.setString(1, job);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        long runId = rs.getLong("run_id");
        Long run = rs.wasNull() ? null : runId;
        return Optional.of(
            new Lease(
                rs.getString("job"),
                rs.getString("owner"),
                run,
                dialect.getInstant(rs, "expires_at")));
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(LEASES, "read lease", e);
    }
  }

  /** Runs a statement whose first parameter {@code first} binds, then job and owner. */
  private boolean update(String operation, String sql, Jdbc.Binder first, String job, String owner)
      throws SQLException {
    try (PreparedStatement ps = prepare(sql)) {
      first.bind(ps);
      ps.setString(2, job);
      ps.setString(3, owner);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw Jdbc.wrap(LEASES, operation, e);
    }
  }

  private static Instant expiry(Instant now, Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("lease ttl must be > 0, was " + ttl);
    }
    return now.plus(ttl);
  }
}
