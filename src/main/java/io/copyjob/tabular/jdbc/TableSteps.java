package io.copyjob.tabular.jdbc;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.CreatedColumns;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.SourceColumn;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The table-level statements of a JDBC sink, around a table's pieces: create a missing table, empty
 * it before a full copy, and for {@code overwrite} a staging table (made empty before the pieces,
 * swapped in after them, dropped on failure).
 *
 * <p>Overwrite swaps by truncate-and-insert in one transaction rather than by renaming tables: the
 * target keeps its grants, indexes, constraints and the foreign keys that point at it, and readers
 * see the old rows until the commit, then the new ones. The cost is one copy of the rows inside the
 * database.
 */
final class TableSteps {
  /** A name SQL takes as it is written, unquoted. */
  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private TableSteps() {}

  /**
   * The staging table of one table of one job, in the target's schema: a fixed name, so the next
   * run finds and drops one a killed run left.
   */
  static String stagingName(String job, String table) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] hash = sha.digest((job + '\u0000' + table).getBytes(StandardCharsets.UTF_8));
      return "copyjob_stage_" + HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The staging table's SQL name, beside {@code target}. */
  static String stagingSql(SinkDialect dialect, SinkTable target, String job, String table) {
    String schema = target.name().substring(0, target.name().indexOf('.'));
    return dialect.quoted(schema) + "." + dialect.quoted(stagingName(job, table));
  }

  /**
   * The DDL of {@code table}'s missing sink table: its {@link CreatedColumns} (text where neither
   * the mapping nor the source gives a type); keys NOT NULL and the primary key. A name SQL would
   * take unquoted is folded as the database folds such names ({@code fold}: upper case on H2, lower
   * case on PostgreSQL), so the table is the one a hand-written {@code CREATE TABLE} makes; every
   * name is quoted, so a name that is also a keyword ({@code day}) works.
   */
  static String createDdl(
      SinkDialect dialect,
      TableSpec table,
      List<SourceColumn> sourceColumns,
      UnaryOperator<String> fold)
      throws MappingException {
    List<String> names = new ArrayList<>();
    List<ColumnType> types = new ArrayList<>();
    for (SourceColumn column : CreatedColumns.of(table, sourceColumns)) {
      if (table.columns().isEmpty() && names.stream().anyMatch(column.name()::equalsIgnoreCase)) {
        throw new MappingException(
            "createTable: the source names column '"
                + column.name()
                + "' twice; map them under columns:");
      }
      names.add(column.name());
      types.add(column.type());
    }
    if (names.isEmpty()) {
      throw new MappingException(
          "createTable: no columns to create "
              + table.target()
              + " with: the files have no header; map them under columns: with their types");
    }
    List<String> keys = new ArrayList<>();
    for (String key : table.keys()) {
      String found =
          names.stream()
              .filter(key::equals)
              .findFirst()
              .or(() -> names.stream().filter(key::equalsIgnoreCase).findFirst())
              .orElseThrow(
                  () ->
                      new MappingException(
                          "keys: column '"
                              + key
                              + "' is not among the columns "
                              + table.target()
                              + " would be created with ("
                              + String.join(", ", names)
                              + ")"));
      keys.add(found);
    }
    List<String> definitions = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      boolean key = keys.contains(names.get(i));
      definitions.add(
          name(dialect, names.get(i), fold)
              + " "
              + dialect.columnType(types.get(i), key)
              + (key ? " NOT NULL" : ""));
    }
    if (!keys.isEmpty()) {
      definitions.add(
          "PRIMARY KEY ("
              + keys.stream().map(k -> name(dialect, k, fold)).collect(Collectors.joining(", "))
              + ")");
    }
    String target =
        Pattern.compile("\\.")
            .splitAsStream(table.target())
            .map(part -> name(dialect, part, fold))
            .collect(Collectors.joining("."));
    return "CREATE TABLE " + target + " (" + String.join(", ", definitions) + ")";
  }

  private static String name(SinkDialect dialect, String name, UnaryOperator<String> fold) {
    return dialect.quoted(PLAIN_NAME.matcher(name).matches() ? fold.apply(name) : name);
  }

  /**
   * Drops a staging table left by a killed run and makes it again, empty: the target's columns
   * copyjob writes (less generated ones), nullable, with the target's defaults, so a row takes in
   * it what it would take in the target. Constraints are the target's concern at the swap.
   */
  static void makeStaging(Connection conn, SinkDialect dialect, SinkTable target, String stagingSql)
      throws SQLException {
    dropStaging(conn, stagingSql);
    Map<String, String> defaults = SinkTables.defaults(conn, target);
    List<String> definitions = new ArrayList<>();
    for (SinkColumn c : stagingColumns(target)) {
      String def = c.identity() ? null : defaults.get(c.name());
      definitions.add(
          target.quoted(c)
              + " "
              + dialect.columnType(c.type(), false)
              + (def == null ? "" : " DEFAULT " + def));
    }
    try (Statement st = conn.createStatement()) {
      st.execute("CREATE TABLE " + stagingSql + " (" + String.join(", ", definitions) + ")");
    }
  }

  /** The target's columns a staging table has: those copyjob can write. */
  private static List<SinkColumn> stagingColumns(SinkTable target) {
    return target.columns().stream().filter(c -> c.type() != null && !c.generated()).toList();
  }

  /** Drops the staging table when it exists. */
  static void dropStaging(Connection conn, String stagingSql) throws SQLException {
    if (!exists(conn, stagingSql)) {
      return;
    }
    try (Statement st = conn.createStatement()) {
      st.execute("DROP TABLE " + stagingSql);
    }
  }

  /** Whether a table named by its quoted SQL name exists (a query on it works). */
  static boolean exists(Connection conn, String sql) throws SQLException {
    boolean auto = conn.getAutoCommit();
    // Inside a transaction a failed query would abort it on PostgreSQL: probe under a savepoint.
    java.sql.Savepoint probe = auto ? null : conn.setSavepoint();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + sql + " WHERE 1 = 0")) {
      if (probe != null) {
        conn.releaseSavepoint(probe);
      }
      return true;
    } catch (SQLException e) {
      if (probe != null) {
        conn.rollback(probe);
      }
      String state = String.valueOf(e.getSQLState());
      if (state.startsWith("42") || state.equals("S0002") || e.getErrorCode() == 208) {
        return false; // undefined table (42P01 PostgreSQL, 42102 H2, S0002 / 208 SQL Server)
      }
      throw e;
    }
  }

  /**
   * Replaces the target's rows with the staging table's, in one transaction, then drops the staging
   * table (in that transaction where DDL is transactional). Identity columns take new values unless
   * the mapping writes them. Does nothing when there is no staging table: the swap was committed
   * already.
   *
   * @return whether rows were swapped in
   */
  static boolean swap(
      Connection conn,
      SinkDialect dialect,
      SinkTable target,
      String stagingSql,
      Set<String> mappedIdentities)
      throws SQLException {
    if (!exists(conn, stagingSql)) {
      return false;
    }
    List<String> columns =
        stagingColumns(target).stream()
            .filter(c -> !c.identity() || mappedIdentities.contains(c.name()))
            .map(target::quoted)
            .toList();
    String names = String.join(", ", columns);
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      st.execute(dialect.truncate(target.sql()));
      st.executeUpdate(
          "INSERT INTO "
              + target.sql()
              + " ("
              + names
              + ") SELECT "
              + names
              + " FROM "
              + stagingSql);
      if (dialect.transactionalDdl()) {
        st.execute("DROP TABLE " + stagingSql);
      }
      conn.commit();
    } catch (SQLException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
    // Elsewhere DDL commits on its own: the rows are swapped in first, so a failure here leaves
    // a staging table the next run drops, and the new rows in place.
    dropStaging(conn, stagingSql);
    return true;
  }
}
