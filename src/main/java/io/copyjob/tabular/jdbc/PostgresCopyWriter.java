package io.copyjob.tabular.jdbc;

import io.copyjob.tabular.MappedRow;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Rows into PostgreSQL through {@code COPY ... FROM STDIN} (pgjdbc's CopyManager), in COPY's text
 * format: far faster than INSERTs, since the server parses rows as a stream. Each batch is one COPY
 * in the piece's transaction.
 */
final class PostgresCopyWriter implements BatchWriter {
  private final CopyManager copy;
  private final String sql;

  PostgresCopyWriter(Connection conn, SinkTable table, List<SinkColumn> columns)
      throws SQLException {
    this.copy = conn.unwrap(PGConnection.class).getCopyAPI();
    String names = String.join(", ", columns.stream().map(table::quoted).toList());
    this.sql = "COPY " + table.sql() + " (" + names + ") FROM STDIN";
  }

  @Override
  public void writeAll(List<MappedRow> rows) throws SQLException {
    StringBuilder text = new StringBuilder(rows.size() * 64);
    for (MappedRow row : rows) {
      append(text, row);
    }
    copy(text);
  }

  @Override
  public void writeOne(MappedRow row) throws SQLException {
    StringBuilder text = new StringBuilder(64);
    append(text, row);
    copy(text);
  }

  private void copy(StringBuilder text) throws SQLException {
    try {
      copy.copyIn(sql, new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new SQLException("COPY failed: " + e.getMessage(), "08006", e);
    }
  }

  /** One row in COPY's text format: tab-separated, \N for NULL, backslash escapes. */
  private static void append(StringBuilder text, MappedRow row) {
    Object[] values = row.values();
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        text.append('\t');
      }
      Object value = values[i];
      if (value == null) {
        text.append("\\N");
      } else if (value instanceof String s) {
        escape(text, s);
      } else if (value instanceof Boolean b) {
        text.append(b ? 't' : 'f');
      } else if (value instanceof BigDecimal d) {
        text.append(d.toPlainString());
      } else if (value instanceof byte[] bytes) {
        // bytea's hex input, its backslash escaped for COPY's text format.
        text.append("\\\\x").append(java.util.HexFormat.of().formatHex(bytes));
      } else {
        // Numbers, UUIDs and java.time values: their ISO-8601 text is what PostgreSQL reads.
        text.append(value);
      }
    }
    text.append('\n');
  }

  private static void escape(StringBuilder text, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> text.append("\\\\");
        case '\n' -> text.append("\\n");
        case '\r' -> text.append("\\r");
        case '\t' -> text.append("\\t");
        default -> text.append(c);
      }
    }
  }

  @Override
  public void close() {}
}
