package io.copyjob.tabular.jdbc;

import io.copyjob.tabular.PieceId;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The ledger of loaded pieces, {@code copyjob_loaded}, in the sink database itself (its current
 * schema): a piece's row is inserted in the transaction that writes the piece's rows, so the two
 * commit together or not at all. A piece retried after its commit finds its row and writes nothing.
 */
final class Ledger {
  static final String TABLE = "copyjob_loaded";

  private Ledger() {}

  /** Creates the ledger when missing; safe when several processes do it at once. */
  static void createMissing(Connection conn, SinkDialect dialect) throws SQLException {
    if (exists(conn)) {
      return;
    }
    String ddl =
        "CREATE TABLE "
            + (dialect.createIfNotExists() ? "IF NOT EXISTS " : "")
            + TABLE
            + " (job VARCHAR(200) NOT NULL, table_name VARCHAR(256) NOT NULL,"
            + " piece VARCHAR(64) NOT NULL, run_id BIGINT NOT NULL, rows_written BIGINT NOT NULL,"
            + " loaded_at "
            + dialect.ledgerTimestamp()
            + " NOT NULL,"
            + " CONSTRAINT copyjob_loaded_pk PRIMARY KEY (job, table_name, piece, run_id))";
    try (Statement st = conn.createStatement()) {
      st.execute(ddl);
    } catch (SQLException e) {
      if (!exists(conn)) {
        throw e;
      }
    }
  }

  private static boolean exists(Connection conn) throws SQLException {
    DatabaseMetaData meta = conn.getMetaData();
    try (ResultSet rs = meta.getTables(conn.getCatalog(), conn.getSchema(), null, null)) {
      while (rs.next()) {
        if (TABLE.equalsIgnoreCase(rs.getString("TABLE_NAME"))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the piece was loaded by its load: by a run from {@link PieceId#loadFrom} on. */
  static boolean loaded(Connection conn, PieceId piece) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT 1 FROM "
                + TABLE
                + " WHERE job = ? AND table_name = ? AND piece = ? AND run_id >= ?")) {
      ps.setString(1, piece.job());
      ps.setString(2, piece.table());
      ps.setString(3, piece.piece());
      ps.setLong(4, piece.loadFrom());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Whether any piece of {@code table} of {@code job} was loaded by a run from {@code loadFrom} on.
   */
  static boolean anyLoaded(Connection conn, String job, String table, long loadFrom)
      throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "SELECT 1 FROM " + TABLE + " WHERE job = ? AND table_name = ? AND run_id >= ?")) {
      ps.setString(1, job);
      ps.setString(2, table);
      ps.setLong(3, loadFrom);
      ps.setMaxRows(1);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Claims the piece for its run, in the piece's transaction: its row is inserted first, so a
   * second attempt at the same piece waits on it, and fails with a unique violation once the first
   * commits.
   */
  static void claim(Connection conn, PieceId piece) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + TABLE
                + " (job, table_name, piece, run_id, rows_written, loaded_at)"
                + " VALUES (?, ?, ?, ?, 0, CURRENT_TIMESTAMP)")) {
      bind(ps, 1, piece);
      ps.executeUpdate();
    }
  }

  /** Notes the rows the piece wrote, and when; in the piece's transaction, before its commit. */
  static void loaded(Connection conn, PieceId piece, long rowsWritten) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + TABLE
                + " SET rows_written = ?, loaded_at = CURRENT_TIMESTAMP"
                + " WHERE job = ? AND table_name = ? AND piece = ? AND run_id = ?")) {
      ps.setLong(1, rowsWritten);
      bind(ps, 2, piece);
      ps.executeUpdate();
    }
  }

  private static void bind(PreparedStatement ps, int first, PieceId piece) throws SQLException {
    ps.setString(first, piece.job());
    ps.setString(first + 1, piece.table());
    ps.setString(first + 2, piece.piece());
    ps.setLong(first + 3, piece.runId());
  }

  /**
   * Whether the error is a lock wait that timed out (H2 waits about a second for a row another
   * transaction inserted; PostgreSQL waits until it ends): the other attempt is still writing.
   */
  static boolean isLockTimeout(SQLException e) {
    return "HYT00".equals(e.getSQLState()) || e.getErrorCode() == 50200;
  }
}
