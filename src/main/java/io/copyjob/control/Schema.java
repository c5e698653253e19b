package io.copyjob.control;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The control store's tables, their column sizes and their creation.
 *
 * <p>Key columns are bounded so that every unique key fits the databases' index limits: SQL Server
 * caps a clustered key at 900 bytes and a nonclustered one at 1700 (NVARCHAR takes 2 bytes a char),
 * PostgreSQL a btree entry at about 2700 bytes (up to 4 bytes a char in UTF-8). A partition (root
 * and prefix up to 1024 chars each) is therefore keyed by {@code key_hash}, the SHA-256 of {@link
 * PartitionKey#id()}, and root and prefix are plain columns.
 *
 * <p>Each table is created by one statement, its keys declared inline, so creation is all or
 * nothing per table and "create when missing" needs no separate index check (SQL Server has no
 * {@code CREATE INDEX IF NOT EXISTS}).
 */
final class Schema {
  private Schema() {}

  static final String PARTITIONS = "copyjob_partitions";
  static final String RUNS = "copyjob_runs";
  static final String PARTITION_RUNS = "copyjob_partition_runs";
  static final String WATERMARKS = "copyjob_watermarks";
  static final String LEASES = "copyjob_leases";
  static final String FILES = "copyjob_files";
  static final String PROGRESS = "copyjob_progress";
  static final String ROUNDS = "copyjob_rounds";
  static final String PROGRESS_HISTORY = "copyjob_progress_history";

  /** Every table, in creation order. */
  static final List<String> TABLES =
      List.of(
          PARTITIONS,
          RUNS,
          PARTITION_RUNS,
          WATERMARKS,
          LEASES,
          FILES,
          PROGRESS,
          ROUNDS,
          PROGRESS_HISTORY);

  static final int JOB_LENGTH = 200;
  static final int ROOT_LENGTH = 1024;
  static final int PREFIX_LENGTH = 1024;
  static final int HASH_LENGTH = 64;
  static final int STATUS_LENGTH = 16;
  static final int MODE_LENGTH = 16;
  static final int RUNNER_LENGTH = 200;
  static final int OWNER_LENGTH = 200;
  static final int TABLE_NAME_LENGTH = 256;
  static final int COLUMN_NAME_LENGTH = 128;
  static final int WATERMARK_LENGTH = 4000;
  static final int KEY_LENGTH = 4000;
  static final int MD5_LENGTH = 64;

  /** Errors are cut to this many chars: SQL Server's largest NVARCHAR short of MAX. */
  static final int ERROR_LENGTH = 4000;

  /** The CREATE TABLE statement of a table, without "IF NOT EXISTS". */
  static String createTable(Dialect d, String table) {
    String job = "job " + d.varchar(JOB_LENGTH) + " NOT NULL";
    String hash = "key_hash " + d.varchar(HASH_LENGTH) + " NOT NULL";
    String root = "source_root " + d.varchar(ROOT_LENGTH) + " NOT NULL";
    String prefix = "prefix " + d.varchar(PREFIX_LENGTH) + " NOT NULL";
    String error = "error " + d.varchar(ERROR_LENGTH);
    String counts =
        "files_copied BIGINT NOT NULL, files_skipped BIGINT NOT NULL, files_failed BIGINT NOT NULL,"
            + " bytes_copied BIGINT NOT NULL";
    String ts = d.timestamp();
    return switch (table) {
      case PARTITIONS ->
          columns(
              table,
              job,
              hash,
              root,
              prefix,
              "status " + d.varchar(STATUS_LENGTH) + " NOT NULL",
              "last_run_id BIGINT",
              "last_run_time " + ts,
              "last_success_time " + ts,
              "files BIGINT NOT NULL",
              "bytes BIGINT NOT NULL",
              error,
              "CONSTRAINT copyjob_partitions_pk PRIMARY KEY (job, key_hash)");
      case RUNS ->
          columns(
              table,
              "run_id " + d.identity() + " PRIMARY KEY",
              job,
              "run_number BIGINT",
              "status " + d.varchar(STATUS_LENGTH) + " NOT NULL",
              "started_at " + ts + " NOT NULL",
              "ended_at " + ts,
              "mode " + d.varchar(MODE_LENGTH),
              "runner " + d.varchar(RUNNER_LENGTH),
              "partitions_succeeded BIGINT NOT NULL",
              "partitions_failed BIGINT NOT NULL",
              counts,
              "settings " + d.longText(),
              error,
              "last_seen_at " + ts,
              "rows_read BIGINT",
              "rows_written BIGINT",
              "rows_rejected BIGINT",
              // Unique only because run_id is; declared to get the index history() reads by.
              "CONSTRAINT copyjob_runs_job UNIQUE (job, run_id)");
      case PARTITION_RUNS ->
          columns(
              table,
              "run_id BIGINT NOT NULL",
              job,
              hash,
              root,
              prefix,
              "run_time " + ts + " NOT NULL",
              "succeeded " + d.bool() + " NOT NULL",
              counts,
              error,
              "window_start " + ts,
              "window_end " + ts,
              "recorded_at " + ts + " NOT NULL",
              "rows_read BIGINT",
              "rows_written BIGINT",
              "rows_rejected BIGINT",
              "duration_ms BIGINT",
              "watermark_before " + d.varchar(WATERMARK_LENGTH),
              "watermark_after " + d.varchar(WATERMARK_LENGTH),
              "CONSTRAINT copyjob_partition_runs_pk PRIMARY KEY (run_id, key_hash)");
      case WATERMARKS ->
          columns(
              table,
              job,
              "table_name " + d.varchar(TABLE_NAME_LENGTH) + " NOT NULL",
              "column_name " + d.varchar(COLUMN_NAME_LENGTH) + " NOT NULL",
              // "value" is a reserved word in H2.
              "watermark " + d.varchar(WATERMARK_LENGTH) + " NOT NULL",
              "updated_at " + ts + " NOT NULL",
              // Up to 1168 bytes on SQL Server: fits a nonclustered (UNIQUE), not a clustered (PK)
              // key.
              "CONSTRAINT copyjob_watermarks_key UNIQUE (job, table_name, column_name)");
      case LEASES ->
          columns(
              table,
              job + " PRIMARY KEY",
              "owner " + d.varchar(OWNER_LENGTH) + " NOT NULL",
              "run_id BIGINT",
              "expires_at " + ts + " NOT NULL");
      case FILES ->
          // The run's manifest: a row per file copied, skipped or failed. A bundle executed again
          // writes its rows again; readers keep each file's last row (the highest file_id).
          columns(
              table,
              "file_id " + d.identity() + " PRIMARY KEY",
              "run_id BIGINT NOT NULL",
              job,
              "prefix " + d.varchar(PREFIX_LENGTH) + " NOT NULL",
              "source_key " + d.varchar(KEY_LENGTH) + " NOT NULL",
              "sink_key " + d.varchar(KEY_LENGTH),
              "size BIGINT",
              "bytes_written BIGINT NOT NULL",
              "md5 " + d.varchar(MD5_LENGTH),
              "outcome " + d.varchar(STATUS_LENGTH) + " NOT NULL",
              error,
              "recorded_at " + ts + " NOT NULL",
              // Unique only because file_id is; declared to get the index a run's files are read
              // by.
              "CONSTRAINT copyjob_files_run UNIQUE (run_id, file_id)");
      case PROGRESS ->
          columns(
              table,
              "run_id BIGINT NOT NULL",
              hash,
              // Who writes the row: each worker its own, so no two writers race on one.
              "worker " + d.varchar(OWNER_LENGTH) + " NOT NULL",
              job,
              root,
              prefix,
              // NULL in a worker's row of figures not tied to a partition.
              "state " + d.varchar(STATUS_LENGTH),
              "files_listed BIGINT NOT NULL",
              "bytes_listed BIGINT NOT NULL",
              "files_copied BIGINT NOT NULL",
              "files_skipped BIGINT NOT NULL",
              "files_failed BIGINT NOT NULL",
              "bytes BIGINT NOT NULL",
              "rows_done BIGINT NOT NULL",
              "listing_ms BIGINT NOT NULL",
              "reading_ms BIGINT NOT NULL",
              "writing_ms BIGINT NOT NULL",
              "waiting_ms BIGINT NOT NULL",
              "first_byte_ms BIGINT",
              "peak_in_flight BIGINT NOT NULL",
              "throttled BIGINT NOT NULL",
              "heartbeat_at " + ts + " NOT NULL",
              // 2 * (64 + 200) + 8 bytes on SQL Server: fits its clustered key's 900.
              "CONSTRAINT copyjob_progress_pk PRIMARY KEY (run_id, key_hash, worker)");
      case ROUNDS ->
          // A continuous run's rounds: one row per partition and round (the run's partition_runs
          // row holds the partition's sums over them).
          columns(
              table,
              "run_id BIGINT NOT NULL",
              "round_number BIGINT NOT NULL",
              job,
              hash,
              root,
              prefix,
              "status " + d.varchar(STATUS_LENGTH) + " NOT NULL",
              "started_at " + ts + " NOT NULL",
              "ended_at " + ts,
              "window_start " + ts,
              "window_end " + ts,
              counts,
              error,
              "rows_read BIGINT",
              "rows_written BIGINT",
              "rows_rejected BIGINT",
              "watermark_before " + d.varchar(WATERMARK_LENGTH),
              "watermark_after " + d.varchar(WATERMARK_LENGTH),
              "CONSTRAINT copyjob_rounds_pk PRIMARY KEY (run_id, key_hash, round_number)");
      case PROGRESS_HISTORY ->
          // Each worker's totals at each progress batch, in a ring of slots per worker and run
          // (ProgressTable.HISTORY_SLOTS): bounded, and one row written per batch.
          columns(
              table,
              "run_id BIGINT NOT NULL",
              "worker " + d.varchar(OWNER_LENGTH) + " NOT NULL",
              "slot_no INT NOT NULL",
              "sampled_at " + ts + " NOT NULL",
              "files BIGINT NOT NULL",
              "bytes BIGINT NOT NULL",
              "rows_done BIGINT NOT NULL",
              "CONSTRAINT copyjob_progress_history_pk PRIMARY KEY (run_id, worker, slot_no)");
      default -> throw new IllegalArgumentException("unknown table " + table);
    };
  }

  private static String columns(String table, String... columns) {
    return "CREATE TABLE " + table + " (" + String.join(", ", columns) + ")";
  }

  /**
   * The columns added to a table after its first release, with their types: a store made by an
   * earlier version gets them on first use. Each is nullable, so adding it needs no default.
   */
  static Map<String, String> addedColumns(Dialect d, String table) {
    Map<String, String> added = new LinkedHashMap<>();
    if (RUNS.equals(table)) {
      added.put("run_number", "BIGINT");
      added.put("last_seen_at", d.timestamp());
    }
    if (RUNS.equals(table) || PARTITION_RUNS.equals(table)) {
      // Tabular jobs' rows; NULL in the rows of file copies made before them.
      added.put("rows_read", "BIGINT");
      added.put("rows_written", "BIGINT");
      added.put("rows_rejected", "BIGINT");
    }
    if (PARTITION_RUNS.equals(table)) {
      added.put("duration_ms", "BIGINT");
      // An incremental table's watermark before and after the run, as text.
      added.put("watermark_before", d.varchar(WATERMARK_LENGTH));
      added.put("watermark_after", d.varchar(WATERMARK_LENGTH));
    }
    if (ROUNDS.equals(table)) {
      // A table's round (continuous tabular copy): its rows and its watermark before and after;
      // created with the table, added to a rounds table made before them.
      added.put("rows_read", "BIGINT");
      added.put("rows_written", "BIGINT");
      added.put("rows_rejected", "BIGINT");
      added.put("watermark_before", d.varchar(WATERMARK_LENGTH));
      added.put("watermark_after", d.varchar(WATERMARK_LENGTH));
    }
    return added;
  }

  /**
   * Creates the tables that are missing, then adds the columns an earlier version's tables lack.
   * Safe when several processes open the store at once: a CREATE or ALTER that fails is ignored
   * when the table or column exists afterwards (another process made it; even PostgreSQL's IF NOT
   * EXISTS can fail so, on its catalog's unique index).
   */
  static void createMissing(Connection conn, Dialect d) throws SQLException {
    createMissingTables(conn, d);
    for (String table : TABLES) {
      Map<String, String> added = addedColumns(d, table);
      if (added.isEmpty() || hasColumns(conn, table, added.keySet())) {
        continue; // one metadata read for the common case: a store of this version
      }
      for (Map.Entry<String, String> column : added.entrySet()) {
        if (addMissingColumn(conn, table, column.getKey(), column.getValue())
            && column.getKey().equals("run_number")) {
          numberOldRuns(conn);
        }
      }
    }
  }

  /** Adds the column when the table lacks it; true when this call added it. */
  private static boolean addMissingColumn(Connection conn, String table, String column, String type)
      throws SQLException {
    if (hasColumn(conn, table, column)) {
      return false;
    }
    // ADD without COLUMN: the one spelling H2, PostgreSQL and SQL Server all accept.
    try (Statement st = conn.createStatement()) {
      st.execute("ALTER TABLE " + table + " ADD " + column + " " + type);
      return true;
    } catch (SQLException e) {
      if (!hasColumn(conn, table, column)) {
        throw Jdbc.wrap(table, "add column " + column, e);
      }
      return false;
    }
  }

  /** Numbers the runs of a store made before run numbers existed, per job in run_id order. */
  private static void numberOldRuns(Connection conn) throws SQLException {
    String sql =
        "UPDATE "
            + RUNS
            + " SET run_number = (SELECT COUNT(*) FROM "
            + RUNS
            + " earlier WHERE earlier.job = "
            + RUNS
            + ".job AND earlier.run_id <= "
            + RUNS
            + ".run_id) WHERE run_number IS NULL";
    try (Statement st = conn.createStatement()) {
      st.executeUpdate(sql);
    } catch (SQLException e) {
      throw Jdbc.wrap(RUNS, "number old runs", e);
    }
  }

  private static void createMissingTables(Connection conn, Dialect d) throws SQLException {
    for (String table : TABLES) {
      if (!d.createIfNotExists() && exists(conn, table)) {
        continue;
      }
      String ddl = createTable(d, table);
      if (d.createIfNotExists()) {
        ddl = ddl.replaceFirst("^CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ");
      }
      try (Statement st = conn.createStatement()) {
        st.execute(ddl);
      } catch (SQLException e) {
        if (!exists(conn, table)) {
          throw Jdbc.wrap(table, "create table", e);
        }
      }
    }
  }

  /** Whether the table in the connection's current schema has all these columns (any case). */
  private static boolean hasColumns(Connection conn, String table, java.util.Set<String> columns)
      throws SQLException {
    String name = tableName(conn, table);
    if (name == null) {
      return false;
    }
    java.util.Set<String> missing = new java.util.HashSet<>();
    columns.forEach(c -> missing.add(c.toLowerCase(java.util.Locale.ROOT)));
    DatabaseMetaData meta = conn.getMetaData();
    try (ResultSet rs = meta.getColumns(conn.getCatalog(), conn.getSchema(), name, null)) {
      while (rs.next()) {
        missing.remove(rs.getString("COLUMN_NAME").toLowerCase(java.util.Locale.ROOT));
      }
    }
    return missing.isEmpty();
  }

  /** Whether the table in the connection's current schema has the column (any case). */
  static boolean hasColumn(Connection conn, String table, String column) throws SQLException {
    String name = tableName(conn, table);
    if (name == null) {
      return false;
    }
    DatabaseMetaData meta = conn.getMetaData();
    try (ResultSet rs = meta.getColumns(conn.getCatalog(), conn.getSchema(), name, null)) {
      while (rs.next()) {
        if (column.equalsIgnoreCase(rs.getString("COLUMN_NAME"))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether the table is in the connection's current schema. Asks JDBC metadata, which every driver
   * has, rather than INFORMATION_SCHEMA or OBJECT_ID; names are compared ignoring case because H2
   * stores unquoted names upper case, PostgreSQL lower case.
   */
  static boolean exists(Connection conn, String table) throws SQLException {
    return tableName(conn, table) != null;
  }

  /** The table's name as the database stores it, or null when it is not there. */
  private static String tableName(Connection conn, String table) throws SQLException {
    DatabaseMetaData meta = conn.getMetaData();
    try (ResultSet rs = meta.getTables(conn.getCatalog(), conn.getSchema(), null, null)) {
      while (rs.next()) {
        if (table.equalsIgnoreCase(rs.getString("TABLE_NAME"))) {
          return rs.getString("TABLE_NAME");
        }
      }
    }
    return null;
  }
}
