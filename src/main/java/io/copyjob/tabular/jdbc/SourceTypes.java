package io.copyjob.tabular.jdbc;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.ColumnType.Kind;
import java.sql.Types;
import java.util.Locale;

/**
 * A source database column's type in copyjob's terms, from its JDBC metadata: what a sink table
 * created from the source (a database table with {@code createTable}, a file sink's files) gives
 * the column. Decimals keep their precision and scale, text its length, a timestamp whether it has
 * a time zone. A type copyjob cannot name (an array, a range, XML, a time of day, binary data) is
 * null: its values go as text where they have one.
 */
final class SourceTypes {
  /** The longest varchar copyjob keeps as such; longer (PostgreSQL's text: 2^31-1) is text. */
  private static final int MAX_LENGTH = 10_485_760;

  private SourceTypes() {}

  static ColumnType of(int jdbcType, String typeName, int precision, int scale) {
    String name = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    if (name.equals("uuid") || name.equals("uniqueidentifier")) {
      return ColumnType.of(Kind.UUID); // PostgreSQL: OTHER; H2: BINARY; SQL Server: CHAR
    }
    return switch (jdbcType) {
      case Types.TINYINT, Types.SMALLINT -> ColumnType.of(Kind.SMALLINT);
      case Types.INTEGER -> ColumnType.of(Kind.INTEGER);
      case Types.BIGINT -> ColumnType.of(Kind.BIGINT);
      case Types.NUMERIC, Types.DECIMAL ->
          // An unconstrained numeric reports precision 0 (or its largest): unbounded.
          precision > 0 && precision <= 1000 && scale >= 0 && scale <= precision
              ? new ColumnType(Kind.DECIMAL, 0, precision, scale)
              : ColumnType.of(Kind.DECIMAL);
      case Types.REAL, Types.FLOAT, Types.DOUBLE -> ColumnType.of(Kind.DOUBLE);
        // PostgreSQL reports boolean as BIT; a bit string of more than one bit is no boolean.
      case Types.BOOLEAN -> ColumnType.of(Kind.BOOLEAN);
      case Types.BIT -> precision > 1 ? null : ColumnType.of(Kind.BOOLEAN);
      case Types.DATE -> ColumnType.of(Kind.DATE);
        // PostgreSQL reports timestamptz as TIMESTAMP.
      case Types.TIMESTAMP ->
          ColumnType.of(name.equals("timestamptz") ? Kind.TIMESTAMPTZ : Kind.TIMESTAMP);
      case Types.TIMESTAMP_WITH_TIMEZONE, -155 -> ColumnType.of(Kind.TIMESTAMPTZ);
      case Types.CHAR, Types.VARCHAR, Types.NCHAR, Types.NVARCHAR ->
          precision > 0 && precision <= MAX_LENGTH
              ? new ColumnType(Kind.TEXT, precision, 0, 0)
              : ColumnType.of(Kind.TEXT);
      case Types.LONGVARCHAR, Types.LONGNVARCHAR, Types.CLOB, Types.NCLOB ->
          ColumnType.of(Kind.TEXT);
      default -> null;
    };
  }
}
