package io.copyjob.tabular.jdbc;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.ColumnType.Kind;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A sink table and its columns from JDBC metadata, which every driver has: the table a job file
 * names is found as SQL resolves an unquoted name (exactly, else ignoring case), and its columns'
 * types are mapped to what copyjob converts values into.
 */
final class SinkTables {
  /** A text column at least this long is unbounded (PostgreSQL's largest varchar(n)). */
  private static final int UNBOUNDED_TEXT = 10_485_760;

  /** A decimal column this precise or more is unbounded (PostgreSQL's numeric, H2's default). */
  private static final int UNBOUNDED_DECIMAL = 1000;

  private SinkTables() {}

  /**
   * @param target {@code table} (in the connection's current schema) or {@code schema.table}
   * @param where the database as messages name it (a redacted URL)
   */
  static SinkTable describe(Connection conn, String target, String where, SinkDialect dialect)
      throws SQLException, MappingException {
    int dot = target.indexOf('.');
    String schema = dot < 0 ? null : target.substring(0, dot);
    String name = dot < 0 ? target : target.substring(dot + 1);
    String inSchema = schema != null ? schema : conn.getSchema();
    DatabaseMetaData meta = conn.getMetaData();
    List<String[]> found = new ArrayList<>();
    for (String variant : variants(name)) {
      for (String schemaVariant : schema == null ? List.of(inSchema) : variants(schema)) {
        try (ResultSet rs = meta.getTables(conn.getCatalog(), schemaVariant, variant, null)) {
          while (rs.next()) {
            String[] table = {rs.getString("TABLE_SCHEM"), rs.getString("TABLE_NAME")};
            if (table[1].equalsIgnoreCase(name)
                && table[0] != null
                && table[0].equalsIgnoreCase(inSchema)
                && found.stream().noneMatch(t -> t[0].equals(table[0]) && t[1].equals(table[1]))) {
              found.add(table);
            }
          }
        }
      }
    }
    List<String[]> exact = found.stream().filter(t -> t[1].equals(name)).toList();
    if (exact.size() == 1) {
      found = exact;
    }
    if (found.isEmpty()) {
      throw new TableMissing(
          "sink table " + target + " does not exist in schema " + inSchema + " of " + where);
    }
    if (found.size() > 1) {
      throw new MappingException(
          "sink table " + target + " matches several tables of " + where + " ignoring case");
    }
    String quote = dialect.quote();
    String[] table = found.get(0);
    List<SinkColumn> columns = new ArrayList<>();
    try (ResultSet rs = meta.getColumns(conn.getCatalog(), table[0], table[1], null)) {
      while (rs.next()) {
        if (table[0].equals(rs.getString("TABLE_SCHEM"))
            && table[1].equals(rs.getString("TABLE_NAME"))) {
          columns.add(column(rs));
        }
      }
    }
    return new SinkTable(
        table[0] + "." + table[1],
        SinkTable.quoted(quote, table[0]) + "." + SinkTable.quoted(quote, table[1]),
        quote,
        columns);
  }

  /** The sink table a job file names is not in the database. */
  static final class TableMissing extends MappingException {
    TableMissing(String message) {
      super(message);
    }
  }

  /** The columns of {@code table} that have a default, with its SQL expression as stored. */
  static Map<String, String> defaults(Connection conn, SinkTable table) throws SQLException {
    int dot = table.name().indexOf('.');
    String schema = table.name().substring(0, dot);
    String name = table.name().substring(dot + 1);
    Map<String, String> defaults = new HashMap<>();
    try (ResultSet rs = conn.getMetaData().getColumns(conn.getCatalog(), schema, name, null)) {
      while (rs.next()) {
        if (schema.equals(rs.getString("TABLE_SCHEM"))
            && name.equals(rs.getString("TABLE_NAME"))
            && rs.getString("COLUMN_DEF") != null) {
          defaults.put(rs.getString("COLUMN_NAME"), rs.getString("COLUMN_DEF"));
        }
      }
    }
    return defaults;
  }

  /**
   * The name as written, and folded to lower and upper case (how databases store unquoted names).
   */
  private static Set<String> variants(String name) {
    Set<String> variants = new LinkedHashSet<>();
    variants.add(name);
    variants.add(name.toLowerCase(Locale.ROOT));
    variants.add(name.toUpperCase(Locale.ROOT));
    return variants;
  }

  private static SinkColumn column(ResultSet rs) throws SQLException {
    String typeName = rs.getString("TYPE_NAME");
    int jdbcType = rs.getInt("DATA_TYPE");
    int size = rs.getInt("COLUMN_SIZE");
    int digits = rs.getInt("DECIMAL_DIGITS");
    boolean identity = "YES".equalsIgnoreCase(rs.getString("IS_AUTOINCREMENT"));
    boolean generated = "YES".equalsIgnoreCase(rs.getString("IS_GENERATEDCOLUMN"));
    return new SinkColumn(
        rs.getString("COLUMN_NAME"),
        type(jdbcType, typeName, size, digits),
        typeName,
        jdbcType,
        rs.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls,
        rs.getString("COLUMN_DEF") != null || identity,
        generated,
        identity);
  }

  /** What copyjob converts into for a column of this type; null when it cannot write it. */
  static ColumnType type(int jdbcType, String typeName, int size, int digits) {
    String name = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    if (name.equals("uuid")) {
      return ColumnType.of(Kind.UUID);
    }
    return switch (jdbcType) {
      case Types.TINYINT, Types.SMALLINT -> ColumnType.of(Kind.SMALLINT);
      case Types.INTEGER -> ColumnType.of(Kind.INTEGER);
      case Types.BIGINT -> ColumnType.of(Kind.BIGINT);
      case Types.NUMERIC, Types.DECIMAL ->
          size <= 0 || size >= UNBOUNDED_DECIMAL
              ? ColumnType.of(Kind.DECIMAL)
              : new ColumnType(Kind.DECIMAL, 0, size, Math.max(0, digits));
      case Types.REAL, Types.FLOAT, Types.DOUBLE -> ColumnType.of(Kind.DOUBLE);
      case Types.BOOLEAN, Types.BIT ->
          // PostgreSQL reports boolean as BIT; a real bit(n) is no boolean.
          name.startsWith("bool") || jdbcType == Types.BOOLEAN ? ColumnType.of(Kind.BOOLEAN) : null;
      case Types.DATE -> ColumnType.of(Kind.DATE);
      case Types.TIMESTAMP ->
          // PostgreSQL reports timestamptz as TIMESTAMP.
          ColumnType.of(name.equals("timestamptz") ? Kind.TIMESTAMPTZ : Kind.TIMESTAMP);
      case Types.TIMESTAMP_WITH_TIMEZONE -> ColumnType.of(Kind.TIMESTAMPTZ);
      case Types.TIME -> ColumnType.of(Kind.TIME);
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB ->
          ColumnType.of(Kind.BYTES);
      case Types.CHAR,
              Types.VARCHAR,
              Types.NCHAR,
              Types.NVARCHAR,
              Types.LONGVARCHAR,
              Types.LONGNVARCHAR,
              Types.CLOB,
              Types.NCLOB ->
          new ColumnType(Kind.TEXT, size <= 0 || size >= UNBOUNDED_TEXT ? 0 : size, 0, 0);
      default -> null;
    };
  }
}
