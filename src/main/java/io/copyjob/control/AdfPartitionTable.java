package io.copyjob.control;

import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.PartitionTableSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;

/**
 * An existing Azure Data Factory control table, read and updated as the migration templates do
 * (seed 001), so that a team can move its migration onto copyjob without touching its database:
 *
 * <ul>
 *   <li>full (historical) mode: {@code SELECT PartitionPrefix ... WHERE SuccessOrFailure = 0}; a
 *       partition that succeeds gets {@code UPDATE ... SET SuccessOrFailure = 1}; a failed one is
 *       left at 0;
 *   <li>delta mode: every distinct prefix; a partition's window starts at {@code max(JobRunTime)
 *       WHERE SuccessOrFailure = 1}; every run inserts {@code (prefix, run time, 1 or 0)}, but for
 *       a partition that keeps its watermark ({@link PartitionResult#watermarkKept}).
 * </ul>
 *
 * Nothing is created in that database. Times are UTC, as ADF applies them. Column and table names
 * come from the job file, checked there to be plain identifiers.
 */
public final class AdfPartitionTable implements PartitionQueries {
  /**
   * SQL Server's {@code datetime} (the seed's JobRunTime type) rounds to 1/300 s, so a stored run
   * time can read back up to 3 ms late; a window starting that much earlier copies nothing twice
   * (files already there are skipped) and loses nothing.
   */
  static final Duration ROUNDING_TOLERANCE = Duration.ofMillis(10);

  private static final TimeZone UTC = TimeZone.getTimeZone("UTC");

  private final PartitionTableSpec table;
  private final String sourceRoot;
  private transient Boolean booleanColumn;

  public AdfPartitionTable(PartitionTableSpec table, String sourceRoot) {
    this.table = table;
    this.sourceRoot = sourceRoot;
  }

  @Override
  public JobSpec.ControlSpec connection() {
    return table.connection();
  }

  private String keyColumns() {
    return table.rootColumn() == null
        ? table.prefixColumn()
        : table.prefixColumn() + ", " + table.rootColumn();
  }

  @Override
  public String partitionsToCopy(Mode mode) {
    return switch (mode) {
        // CAST: the seed's column is a SQL Server bit; a copy on PostgreSQL may be a boolean.
        // DISTINCT: a table may hold a prefix twice (rows added again by hand or by a template),
        // and a partition listed twice would be copied twice, concurrently, and counted twice.
      case FULL ->
          "SELECT DISTINCT "
              + keyColumns()
              + " FROM "
              + table.table()
              + " WHERE "
              + table.successColumn()
              + " IS NULL OR CAST("
              + table.successColumn()
              + " AS INT) = 0 ORDER BY "
              + keyColumns();
      case DELTA, INCREMENTAL, CONTINUOUS ->
          "SELECT DISTINCT "
              + keyColumns()
              + " FROM "
              + table.table()
              + " ORDER BY "
              + keyColumns();
    };
  }

  @Override
  public String lastSuccessTimes(Mode mode) {
    if (mode == Mode.FULL) {
      // A historical table has no run time column: full mode needs no watermarks.
      return "SELECT " + keyColumns() + ", NULL FROM " + table.table() + " WHERE 1 = 0";
    }
    return "SELECT "
        + keyColumns()
        + ", MAX("
        + table.runTimeColumn()
        + ") FROM "
        + table.table()
        + " WHERE CAST("
        + table.successColumn()
        + " AS INT) = 1 GROUP BY "
        + keyColumns();
  }

  @Override
  public void bind(PreparedStatement statement) {}

  @Override
  public PartitionKey key(ResultSet row) throws SQLException {
    String prefix = row.getString(1);
    if (table.rootColumn() == null) {
      return new PartitionKey(sourceRoot, prefix);
    }
    String raw = row.getString(2);
    String where =
        "partition table " + table.table() + ", prefix '" + prefix + "', " + table.rootColumn();
    if (raw == null) {
      throw new SQLException(where + ": empty; give a bucket, container or folder name, or a URI");
    }
    try {
      return new PartitionKey(RootNames.resolve(sourceRoot, raw), prefix);
    } catch (IllegalArgumentException e) {
      throw new SQLException(where + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Instant lastSuccess(ResultSet row) throws SQLException {
    int column = table.rootColumn() == null ? 2 : 3;
    Timestamp time = row.getTimestamp(column, Calendar.getInstance(UTC));
    return time == null ? null : time.toInstant().minus(ROUNDING_TOLERANCE);
  }

  /** The root a root column's value names, or null for one that names none (never a partition). */
  private String resolvedOrNull(String raw) {
    try {
      return RootNames.resolve(sourceRoot, raw);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Opens a connection to the table's database. */
  public Connection connect() throws SQLException {
    return Jdbc.connect(table.connection(), "partition table " + table.table());
  }

  /**
   * The partitions a run in {@code mode} copies, each once (two root values may name one root: a
   * bucket's name and its URI).
   */
  public List<PartitionKey> partitions(Connection connection, Mode mode) throws SQLException {
    return distinct(connection, partitionsToCopy(mode));
  }

  /** Every partition of the table, whatever its success column says. */
  public List<PartitionKey> allPartitions(Connection connection) throws SQLException {
    return distinct(
        connection,
        "SELECT DISTINCT " + keyColumns() + " FROM " + table.table() + " ORDER BY " + keyColumns());
  }

  private List<PartitionKey> distinct(Connection connection, String query) throws SQLException {
    Map<String, PartitionKey> keys = new LinkedHashMap<>();
    try (PreparedStatement s = connection.prepareStatement(query);
        ResultSet rows = s.executeQuery()) {
      while (rows.next()) {
        PartitionKey key = key(rows);
        keys.putIfAbsent(key.id(), key);
      }
    }
    return new ArrayList<>(keys.values());
  }

  /** Each partition's next window start, by {@link PartitionKey#id()}. */
  public Map<String, Instant> lastSuccessTimes(Connection connection, Mode mode)
      throws SQLException {
    Map<String, Instant> times = new LinkedHashMap<>();
    try (PreparedStatement s = connection.prepareStatement(lastSuccessTimes(mode));
        ResultSet rows = s.executeQuery()) {
      while (rows.next()) {
        Instant time = lastSuccess(rows);
        if (time != null) {
          times.put(key(rows).id(), time);
        }
      }
    }
    return times;
  }

  /**
   * Writes a partition's outcome back as the template's stored procedures do. Safe to repeat for
   * the same run (a retried bundle): the delta row of this run time is replaced.
   */
  public void record(Connection connection, PartitionResult result, Instant runTime, Mode mode)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      List<String> rawRoots = rawRoots(connection, result.key());
      if (mode == Mode.FULL) {
        if (result.succeeded()) {
          for (String rawRoot : rawRoots) {
            markSucceeded(connection, result.key(), rawRoot);
          }
        }
      } else if (!result.watermarkKept()) {
        // A kept watermark adds no run: the table's last successful JobRunTime is the watermark.
        insertRun(connection, result, rawRoots.get(0), runTime);
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /** Marks the given prefixes (all when empty) to be copied again by a full-mode run. */
  public int reset(Connection connection, List<String> prefixes) throws SQLException {
    String sql = "UPDATE " + table.table() + " SET " + table.successColumn() + " = ?";
    if (!prefixes.isEmpty()) {
      sql += " WHERE " + table.prefixColumn() + " IN (" + "?, ".repeat(prefixes.size() - 1) + "?)";
    }
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      setSuccess(connection, s, 1, false);
      for (int i = 0; i < prefixes.size(); i++) {
        s.setString(i + 2, prefixes.get(i));
      }
      return s.executeUpdate();
    }
  }

  private String where(String rawRoot) {
    return " WHERE "
        + table.prefixColumn()
        + " = ?"
        + (rawRoot == null ? "" : " AND " + table.rootColumn() + " = ?");
  }

  private void markSucceeded(Connection connection, PartitionKey key, String rawRoot)
      throws SQLException {
    try (PreparedStatement s =
        connection.prepareStatement(
            "UPDATE "
                + table.table()
                + " SET "
                + table.successColumn()
                + " = ?"
                + where(rawRoot))) {
      setSuccess(connection, s, 1, true);
      s.setString(2, key.prefix());
      if (rawRoot != null) {
        s.setString(3, rawRoot);
      }
      s.executeUpdate();
    }
  }

  private void insertRun(
      Connection connection, PartitionResult result, String rawRoot, Instant runTime)
      throws SQLException {
    Timestamp time = Timestamp.from(runTime);
    try (PreparedStatement s =
        connection.prepareStatement(
            "DELETE FROM "
                + table.table()
                + where(rawRoot)
                + " AND "
                + table.runTimeColumn()
                + " = ?")) {
      s.setString(1, result.key().prefix());
      int next = 2;
      if (rawRoot != null) {
        s.setString(next++, rawRoot);
      }
      s.setTimestamp(next, time, Calendar.getInstance(UTC));
      s.executeUpdate();
    }
    String columns =
        table.prefixColumn()
            + ", "
            + table.runTimeColumn()
            + ", "
            + table.successColumn()
            + (rawRoot == null ? "" : ", " + table.rootColumn());
    String values = rawRoot == null ? "?, ?, ?" : "?, ?, ?, ?";
    try (PreparedStatement s =
        connection.prepareStatement(
            "INSERT INTO " + table.table() + " (" + columns + ") VALUES (" + values + ")")) {
      s.setString(1, result.key().prefix());
      s.setTimestamp(2, time, Calendar.getInstance(UTC));
      setSuccess(connection, s, 3, result.succeeded());
      if (rawRoot != null) {
        s.setString(4, rawRoot);
      }
      s.executeUpdate();
    }
  }

  /**
   * The root column's values for a partition: those whose resolved root is the partition's (a
   * bucket's name and its URI are one root). One null when the table has no root column.
   */
  private List<String> rawRoots(Connection connection, PartitionKey key) throws SQLException {
    if (table.rootColumn() == null) {
      return java.util.Collections.singletonList(null);
    }
    List<String> raws = new ArrayList<>();
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT DISTINCT "
                + table.rootColumn()
                + " FROM "
                + table.table()
                + " WHERE "
                + table.prefixColumn()
                + " = ?")) {
      s.setString(1, key.prefix());
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) {
          String raw = rows.getString(1);
          if (raw != null && key.root().equals(resolvedOrNull(raw))) {
            raws.add(raw);
          }
        }
      }
    }
    if (!raws.isEmpty()) {
      return raws;
    }
    throw new SQLException(
        table.table() + ": no row for partition '" + key.prefix() + "' of " + key.root());
  }

  /** Binds success as the column's own type: a bit or boolean, or a number. */
  private void setSuccess(Connection connection, PreparedStatement s, int index, boolean value)
      throws SQLException {
    if (isBooleanColumn(connection)) {
      s.setBoolean(index, value);
    } else {
      s.setInt(index, value ? 1 : 0);
    }
  }

  private boolean isBooleanColumn(Connection connection) throws SQLException {
    if (booleanColumn == null) {
      try (PreparedStatement s =
              connection.prepareStatement(
                  "SELECT " + table.successColumn() + " FROM " + table.table() + " WHERE 1 = 0");
          ResultSet rows = s.executeQuery()) {
        ResultSetMetaData meta = rows.getMetaData();
        int type = meta.getColumnType(1);
        booleanColumn = type == Types.BOOLEAN || type == Types.BIT;
      }
    }
    return booleanColumn;
  }
}
