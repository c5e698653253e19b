package io.copyjob.tabular.jdbc;

import io.copyjob.tabular.MappedRow;
import java.sql.SQLException;
import java.util.List;

/**
 * How one database takes rows: a whole batch at once, or one row (to find which one it refuses).
 */
interface BatchWriter extends AutoCloseable {
  void writeAll(List<MappedRow> rows) throws SQLException;

  void writeOne(MappedRow row) throws SQLException;

  @Override
  void close() throws SQLException;
}
