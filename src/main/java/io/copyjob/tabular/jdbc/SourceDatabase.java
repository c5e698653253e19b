package io.copyjob.tabular.jdbc;

import io.copyjob.control.Dialect;
import io.copyjob.control.Jdbc;
import io.copyjob.spec.TabularSpec.DatabaseSpec;
import io.copyjob.spec.TabularSpec.TableSource;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.MappingException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The database a tabular job reads its tables from ({@code source.database}): connections with the
 * session pinned to UTC, patterns expanded into tables from its metadata, and each table planned
 * into pieces ({@link SourcePlanner}). Connects on first use; not thread-safe.
 */
public final class SourceDatabase implements AutoCloseable {
  private final DatabaseSpec database;
  private transient Connection conn;

  public SourceDatabase(DatabaseSpec database) {
    this.database = database;
  }

  /** The database as messages name it: its URL without credentials or properties. */
  public String where() {
    return "source database " + Jdbc.redact(database.url());
  }

  /**
   * A new connection whose session reads and writes times in UTC: a timestamp with time zone read
   * as text, or compared with a watermark, must not move with the JVM's zone (pgjdbc sends the
   * JVM's zone as the session's). Auto-commit is on; a reader turns it off to stream.
   *
   * @throws IOException one line naming the database, never the password
   */
  public static Connection connect(DatabaseSpec database) throws IOException {
    try {
      Connection c =
          Jdbc.connect(
              database.url(), database.user(), database.password(), "source database", null);
      try (Statement st = c.createStatement()) {
        switch (Dialect.forUrl(database.url())) {
          case POSTGRESQL, H2 -> st.execute("SET TIME ZONE 'UTC'");
          case SQLSERVER -> {} // no session time zone: datetimeoffset keeps its own offset
        }
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      return c;
    } catch (SQLException e) {
      throw new IOException(JdbcPieceWriter.reason(e), e);
    }
  }

  /** This database's connection, made on first use (or again when it broke). */
  Connection connection() throws IOException {
    try {
      if (conn != null && !conn.isClosed() && conn.isValid(10)) {
        return conn;
      }
    } catch (SQLException e) {
      // made again below
    }
    close();
    conn = connect(database);
    return conn;
  }

  /** Checks that the database can be reached: one line naming it when not. */
  public void check() throws IOException {
    connection();
  }

  /**
   * The job's tables with each pattern replaced by the tables it matches, in name order: each
   * becomes a table of its own, named {@code schema.table} as the database spells it, going to the
   * table of that name in the target's schema.
   *
   * @throws IOException when a pattern matches no table, or a matched table's name is the name of
   *     another table of the job
   */
  public List<TableSpec> expand(List<TableSpec> tables) throws IOException {
    List<TableSpec> expanded = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>();
    tables.forEach(t -> names.add(t.name()));
    for (TableSpec table : tables) {
      TableSource source = table.source();
      if (source == null || source.pattern() == null) {
        expanded.add(table);
        continue;
      }
      List<String> matched = match(source.pattern());
      if (matched.isEmpty()) {
        throw new IOException(
            "tables."
                + table.name()
                + ".pattern: '"
                + source.pattern()
                + "' matches no table of "
                + where());
      }
      // schema.* (a database sink) or folder/* and * (a file sink): what precedes the '*'.
      String target = table.target();
      String targetPrefix =
          target.equals("*") || target.endsWith("/*")
              ? target.substring(0, target.length() - 1)
              : target.substring(0, target.indexOf('.') + 1);
      for (String name : matched) {
        if (!names.add(name)) {
          throw new IOException(
              "tables."
                  + table.name()
                  + ".pattern: matches "
                  + name
                  + ", which is also a table of the job");
        }
        String tableName = name.substring(name.indexOf('.') + 1);
        expanded.add(
            table.matched(
                name,
                new TableSource(
                    quotedName(name), null, null, source.partitionColumn(), source.pieces()),
                targetPrefix + tableName));
      }
    }
    return expanded;
  }

  /** The tables ({@code schema.table}) a {@code schema.glob} pattern matches, in name order. */
  List<String> match(String pattern) throws IOException {
    int dot = pattern.indexOf('.');
    String schema = pattern.substring(0, dot);
    Pattern glob =
        Pattern.compile(
            Pattern.quote(pattern.substring(dot + 1))
                .replace("*", "\\E.*\\Q")
                .replace("?", "\\E.\\Q"));
    TreeSet<String> found = new TreeSet<>();
    try {
      DatabaseMetaData meta = connection().getMetaData();
      // Unquoted names are folded (PostgreSQL: lower case, H2: upper case): try the pattern's
      // schema as written and folded, and match table names ignoring case as SQL would.
      for (String s :
          new TreeSet<>(
              List.of(schema, schema.toLowerCase(Locale.ROOT), schema.toUpperCase(Locale.ROOT)))) {
        try (ResultSet rs =
            meta.getTables(null, s, "%", new String[] {"TABLE", "VIEW", "BASE TABLE"})) {
          while (rs.next()) {
            String name = rs.getString("TABLE_NAME");
            String inSchema = rs.getString("TABLE_SCHEM");
            if (glob.matcher(name).matches()
                || glob.matcher(name.toLowerCase(Locale.ROOT)).matches()
                || glob.matcher(name.toUpperCase(Locale.ROOT)).matches()) {
              found.add(inSchema + "." + name);
            }
          }
        }
      }
    } catch (SQLException e) {
      throw new IOException(
          where() + ": cannot list the tables of " + pattern + ": " + JdbcPieceWriter.reason(e), e);
    }
    return new ArrayList<>(found);
  }

  /** {@code schema.table} with both parts quoted: names from the metadata are exact. */
  private String quotedName(String name) throws IOException {
    String quote;
    try {
      quote = connection().getMetaData().getIdentifierQuoteString().trim();
    } catch (SQLException e) {
      throw new IOException(where() + ": " + JdbcPieceWriter.reason(e), e);
    }
    int dot = name.indexOf('.');
    return quote(quote, name.substring(0, dot)) + "." + quote(quote, name.substring(dot + 1));
  }

  static String quote(String quote, String name) {
    return quote + name.replace(quote, quote + quote) + quote;
  }

  /**
   * Plans one table: its columns checked, its watermark's high-water mark read (incremental mode),
   * its pieces computed.
   *
   * @param lastWatermark the watermark of the table's last successful incremental run, or null for
   *     a full load
   * @param incremental whether the job's mode is incremental
   * @throws MappingException when the table, or a column the job names, does not exist
   */
  public List<TableRead> plan(TableSpec table, String lastWatermark, boolean incremental)
      throws IOException, MappingException {
    return new SourcePlanner(connection(), Dialect.forUrl(database.url()), table)
        .plan(lastWatermark, incremental);
  }

  @Override
  public void close() {
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException e) {
        // nothing to keep
      }
      conn = null;
    }
  }
}
