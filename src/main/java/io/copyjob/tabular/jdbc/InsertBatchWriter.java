package io.copyjob.tabular.jdbc;

import io.copyjob.tabular.MappedRow;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;

/**
 * Rows as a batch of one parameterised statement: an INSERT (what every JDBC database takes; H2 and
 * SQL Server here), or the dialect's upsert.
 */
final class InsertBatchWriter implements BatchWriter {
  private final List<SinkColumn> columns;
  private final PreparedStatement insert;

  InsertBatchWriter(Connection conn, SinkTable table, List<SinkColumn> columns)
      throws SQLException {
    this(conn, insert(table, columns), columns);
  }

  /** Rows bound to {@code sql}'s parameters, one per column in order. */
  InsertBatchWriter(Connection conn, String sql, List<SinkColumn> columns) throws SQLException {
    this.columns = columns;
    this.insert = conn.prepareStatement(sql);
  }

  private static String insert(SinkTable table, List<SinkColumn> columns) {
    String names = String.join(", ", columns.stream().map(table::quoted).toList());
    String marks = String.join(", ", Collections.nCopies(columns.size(), "?"));
    return "INSERT INTO " + table.sql() + " (" + names + ") VALUES (" + marks + ")";
  }

  @Override
  public void writeAll(List<MappedRow> rows) throws SQLException {
    try {
      for (MappedRow row : rows) {
        bind(row);
        insert.addBatch();
      }
      insert.executeBatch();
    } finally {
      insert.clearBatch();
    }
  }

  @Override
  public void writeOne(MappedRow row) throws SQLException {
    bind(row);
    insert.executeUpdate();
  }

  private void bind(MappedRow row) throws SQLException {
    Object[] values = row.values();
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        insert.setNull(i + 1, columns.get(i).jdbcType());
      } else {
        insert.setObject(i + 1, values[i]);
      }
    }
  }

  @Override
  public void close() throws SQLException {
    insert.close();
  }
}
