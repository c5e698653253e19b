package io.copyjob.tabular.jdbc;

import io.copyjob.spec.ColumnType;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What differs between the sink databases: how names are quoted, the column types a created table
 * gets, and the statement that writes a row or replaces the row of the same key. Chosen from the
 * JDBC URL ({@link #forUrl}).
 */
enum SinkDialect {
  /** PostgreSQL: rows through COPY, upsert with {@code INSERT ... ON CONFLICT}. */
  POSTGRESQL("\"", "\"", true),
  /** H2: upsert with its {@code MERGE INTO ... KEY}. */
  H2("\"", "\"", false),
  /**
   * SQL Server and Azure SQL: names in brackets, upsert with {@code MERGE}, N-types. H2 in its
   * MSSQLServer mode speaks this dialect too, which is how it is tested (no SQL Server runs here).
   */
  SQLSERVER("[", "]", false);

  /** The longest text a SQL Server key column can hold (a key is at most 900 bytes). */
  private static final int SQLSERVER_KEY_TEXT = 450;

  private final String open;
  private final String close;
  private final boolean transactionalDdl;

  SinkDialect(String open, String close, boolean transactionalDdl) {
    this.open = open;
    this.close = close;
    this.transactionalDdl = transactionalDdl;
  }

  /**
   * The dialect of a sink URL: {@code jdbc:postgresql:}, {@code jdbc:sqlserver:}, or {@code
   * jdbc:h2:} (SQL Server's when the URL sets {@code MODE=MSSQLServer}).
   */
  static SinkDialect forUrl(String url) {
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    if (lower.startsWith("jdbc:sqlserver:") || lower.contains(";mode=mssqlserver")) {
      return SQLSERVER;
    }
    return H2;
  }

  /** The quote before a name ({@code [} for SQL Server, else {@code "}). */
  String quote() {
    return open;
  }

  /** {@code name} quoted, a closing quote inside it doubled. */
  String quoted(String name) {
    return open + name.replace(close, close + close) + close;
  }

  /** Whether a transaction can create and drop tables and roll that back (PostgreSQL). */
  boolean transactionalDdl() {
    return transactionalDdl;
  }

  /** Empties a table in the current transaction (PostgreSQL's TRUNCATE is transactional). */
  String truncate(String table) {
    return this == POSTGRESQL ? "TRUNCATE TABLE " + table : "DELETE FROM " + table;
  }

  /** A timestamp with time zone column of the ledger. */
  String ledgerTimestamp() {
    return this == SQLSERVER ? "DATETIME2(6)" : "TIMESTAMP(6) WITH TIME ZONE";
  }

  /** Whether {@code CREATE TABLE IF NOT EXISTS} is understood (SQL Server has no such clause). */
  boolean createIfNotExists() {
    return this != SQLSERVER;
  }

  /**
   * The column type a created table gets for {@code type}; null is text. A key column of unbounded
   * text on SQL Server is {@code NVARCHAR(450)}: a key there holds at most 900 bytes.
   */
  String columnType(ColumnType type, boolean key) {
    if (type == null) {
      type = ColumnType.of(ColumnType.Kind.TEXT);
    }
    return switch (this) {
      case POSTGRESQL -> postgres(type);
      case H2 -> h2(type);
      case SQLSERVER -> sqlServer(type, key);
    };
  }

  private static String postgres(ColumnType type) {
    return switch (type.kind()) {
      case SMALLINT -> "SMALLINT";
      case INTEGER -> "INTEGER";
      case BIGINT -> "BIGINT";
      case DECIMAL -> decimal(type, "NUMERIC");
      case DOUBLE -> "DOUBLE PRECISION";
      case BOOLEAN -> "BOOLEAN";
      case DATE -> "DATE";
      case TIMESTAMP -> "TIMESTAMP(6)";
      case TIMESTAMPTZ -> "TIMESTAMP(6) WITH TIME ZONE";
      case TIME -> "TIME(6)";
      case TEXT -> type.length() > 0 ? "VARCHAR(" + type.length() + ")" : "TEXT";
      case UUID -> "UUID";
      case BYTES -> "BYTEA";
    };
  }

  private static String h2(ColumnType type) {
    return switch (type.kind()) {
      case SMALLINT -> "SMALLINT";
      case INTEGER -> "INTEGER";
      case BIGINT -> "BIGINT";
      case DECIMAL -> decimal(type, "NUMERIC");
      case DOUBLE -> "DOUBLE PRECISION";
      case BOOLEAN -> "BOOLEAN";
      case DATE -> "DATE";
      case TIMESTAMP -> "TIMESTAMP(9)";
      case TIMESTAMPTZ -> "TIMESTAMP(9) WITH TIME ZONE";
      case TIME -> "TIME(9)";
      case TEXT -> type.length() > 0 ? "VARCHAR(" + type.length() + ")" : "VARCHAR";
      case UUID -> "UUID";
      case BYTES -> "VARBINARY";
    };
  }

  private static String sqlServer(ColumnType type, boolean key) {
    return switch (type.kind()) {
      case SMALLINT -> "SMALLINT";
      case INTEGER -> "INT";
      case BIGINT -> "BIGINT";
        // SQL Server's DECIMAL without precision is DECIMAL(18,0): an unbounded one keeps 38
        // digits.
      case DECIMAL -> type.precision() > 0 ? decimal(type, "DECIMAL") : "DECIMAL(38,10)";
      case DOUBLE -> "FLOAT";
      case BOOLEAN -> "BIT";
      case DATE -> "DATE";
      case TIMESTAMP -> "DATETIME2(7)";
      case TIMESTAMPTZ -> "DATETIMEOFFSET(7)";
      case TIME -> "TIME(7)";
      case BYTES -> "VARBINARY(MAX)";
      case TEXT ->
          type.length() > 0 && type.length() <= 4000
              ? "NVARCHAR(" + type.length() + ")"
              : key ? "NVARCHAR(" + SQLSERVER_KEY_TEXT + ")" : "NVARCHAR(MAX)";
      case UUID -> "UNIQUEIDENTIFIER";
    };
  }

  private static String decimal(ColumnType type, String name) {
    return type.precision() > 0 ? name + "(" + type.precision() + "," + type.scale() + ")" : name;
  }

  /**
   * The statement that writes one row into {@code columns} of {@code table}, replacing the row
   * whose {@code keys} match: PostgreSQL's {@code INSERT ... ON CONFLICT (keys) DO UPDATE} (it
   * needs a unique index or key on them), H2's {@code MERGE INTO ... KEY}, SQL Server's {@code
   * MERGE}. Every name is quoted already; keys are among columns.
   *
   * @param tableHints whether SQL Server's MERGE takes {@code WITH (HOLDLOCK)}, without which two
   *     MERGEs of one new key at once can both insert it (H2's MSSQLServer mode parses no hints)
   */
  String upsert(String table, List<String> columns, List<String> keys, boolean tableHints) {
    String names = String.join(", ", columns);
    String marks = String.join(", ", Collections.nCopies(columns.size(), "?"));
    List<String> others = columns.stream().filter(c -> !keys.contains(c)).toList();
    return switch (this) {
      case POSTGRESQL ->
          "INSERT INTO "
              + table
              + " ("
              + names
              + ") VALUES ("
              + marks
              + ") ON CONFLICT ("
              + String.join(", ", keys)
              + ") "
              + (others.isEmpty()
                  ? "DO NOTHING"
                  : "DO UPDATE SET "
                      + others.stream()
                          .map(c -> c + " = EXCLUDED." + c)
                          .collect(Collectors.joining(", ")));
      case H2 ->
          "MERGE INTO "
              + table
              + " ("
              + names
              + ") KEY ("
              + String.join(", ", keys)
              + ") VALUES ("
              + marks
              + ")";
      case SQLSERVER ->
          "MERGE INTO "
              + table
              + (tableHints ? " WITH (HOLDLOCK)" : "")
              + " AS t USING (VALUES ("
              + marks
              + ")) AS s ("
              + names
              + ") ON "
              + keys.stream().map(k -> "t." + k + " = s." + k).collect(Collectors.joining(" AND "))
              + (others.isEmpty()
                  ? ""
                  : " WHEN MATCHED THEN UPDATE SET "
                      + others.stream()
                          .map(c -> "t." + c + " = s." + c)
                          .collect(Collectors.joining(", ")))
              + " WHEN NOT MATCHED THEN INSERT ("
              + names
              + ") VALUES ("
              + columns.stream().map(c -> "s." + c).collect(Collectors.joining(", "))
              + ");";
    };
  }
}
