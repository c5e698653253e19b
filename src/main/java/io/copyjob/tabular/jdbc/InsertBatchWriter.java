package io.copyjob.tabular.jdbc;

import io.copyjob.tabular.MappedRow;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;

/** Rows as batched, parameterised INSERTs: what every JDBC database takes (H2 here). */
final class InsertBatchWriter implements BatchWriter {
  private final List<SinkColumn> columns;
  private final PreparedStatement insert;

  InsertBatchWriter(Connection conn, SinkTable table, List<SinkColumn> columns)
      throws SQLException {
    this.columns = columns;
    String names = String.join(", ", columns.stream().map(table::quoted).toList());
    String marks = String.join(", ", Collections.nCopies(columns.size(), "?"));
    this.insert =
        conn.prepareStatement(
            "INSERT INTO " + table.sql() + " (" + names + ") VALUES (" + marks + ")");
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
