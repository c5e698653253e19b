package io.copyjob.control;

import static io.copyjob.control.Schema.WATERMARKS;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/** The watermarks table: the last value copied of a table's column, per job (tabular delta). */
final class WatermarkTable {
  private static final String KEY = " WHERE job = ? AND table_name = ? AND column_name = ?";

  private final Connection conn;
  private final Dialect dialect;

  WatermarkTable(Connection conn, Dialect dialect) {
    this.conn = conn;
    this.dialect = dialect;
  }

  Optional<String> read(String job, String table, String column) throws SQLException {
    try (PreparedStatement ps =
        conn.prepareStatement("SELECT watermark FROM " + WATERMARKS + KEY)) {
      bindKey(ps, 1, job, table, column);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(WATERMARKS, "read watermark", e);
    }
  }

  /**
   * Update, else insert; run in a transaction that is retried when a concurrent put inserted the
   * key first. A value too long is refused, never cut: a cut watermark would be a wrong one.
   */
  void put(String job, String table, String column, String value, Instant updatedAt)
      throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    Jdbc.checkLength("watermark table", table, Schema.TABLE_NAME_LENGTH);
    Jdbc.checkLength("watermark column", column, Schema.COLUMN_NAME_LENGTH);
    Jdbc.checkLength("watermark value", value, Schema.WATERMARK_LENGTH);
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE " + WATERMARKS + " SET watermark = ?, updated_at = ?" + KEY)) {
      ps.setString(1, value);
      dialect.setInstant(ps, 2, updatedAt);
      bindKey(ps, 3, job, table, column);
      if (ps.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement ps =
        conn.prepareStatement(
            "INSERT INTO "
                + WATERMARKS
                + " (job, table_name, column_name, watermark, updated_at) VALUES (?, ?, ?, ?, ?)")) {
      bindKey(ps, 1, job, table, column);
      ps.setString(4, value);
      dialect.setInstant(ps, 5, updatedAt);
      ps.executeUpdate();
    }
  }

  private static void bindKey(
      PreparedStatement ps, int first, String job, String table, String column)
      throws SQLException {
    ps.setString(first, job);
    ps.setString(first + 1, table);
    ps.setString(first + 2, column);
  }
}
