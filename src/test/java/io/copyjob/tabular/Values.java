package io.copyjob.tabular;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;

/** A column's value read as the same Java value from PostgreSQL and H2, for exact comparisons. */
final class Values {
  private Values() {}

  static Object read(ResultSet rs, int i) throws SQLException {
    int type = rs.getMetaData().getColumnType(i);
    String name = rs.getMetaData().getColumnTypeName(i).toLowerCase(java.util.Locale.ROOT);
    Object value =
        switch (type) {
          case Types.DATE -> rs.getObject(i, LocalDate.class);
          case Types.TIMESTAMP ->
              name.equals("timestamptz")
                  ? instant(rs.getObject(i, OffsetDateTime.class))
                  : rs.getObject(i, LocalDateTime.class);
          case Types.TIMESTAMP_WITH_TIMEZONE -> instant(rs.getObject(i, OffsetDateTime.class));
          case Types.NUMERIC, Types.DECIMAL -> rs.getBigDecimal(i);
          case Types.BOOLEAN, Types.BIT -> rs.getBoolean(i);
          case Types.DOUBLE, Types.FLOAT, Types.REAL -> rs.getDouble(i);
          case Types.INTEGER, Types.SMALLINT -> rs.getInt(i);
          case Types.BIGINT -> rs.getLong(i);
          default -> rs.getString(i);
        };
    return rs.wasNull() ? null : value;
  }

  private static Object instant(OffsetDateTime value) {
    return value == null ? null : value.toInstant();
  }
}
