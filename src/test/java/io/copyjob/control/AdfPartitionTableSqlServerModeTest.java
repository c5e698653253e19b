package io.copyjob.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.PartitionTableSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * An adopted ADF control table created with the seed's T-SQL (bit, datetime, bracketed names) on
 * H2's MSSQLServer mode: every statement copyjob sends to such a table, run against that DDL. H2
 * takes neither bracketed type names ({@code [varchar](255)}) nor the seed's US date literal, so
 * those two are written plainly. Not a real SQL Server (none can run here); see README "SQL
 * Server".
 */
public class AdfPartitionTableSqlServerModeTest {
  private static final String ROOT = "s3://bucket/";

  @Rule public TemporaryFolder folder = new TemporaryFolder();

  private Connection connection;
  private ControlSpec database;

  @Before
  public void createSeedTables() throws Exception {
    database =
        new ControlSpec(
            "jdbc:h2:file:"
                + folder.getRoot()
                + "/adf;MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;CASE_INSENSITIVE_IDENTIFIERS=TRUE"
                + ";AUTO_SERVER=TRUE",
            null,
            null);
    connection = java.sql.DriverManager.getConnection(database.url());
    execute(
        "CREATE TABLE [s3_partition_control_table]( [PartitionPrefix] varchar(255) NULL,"
            + " [SuccessOrFailure] bit NULL)");
    execute(
        "INSERT INTO s3_partition_control_table (PartitionPrefix, SuccessOrFailure) VALUES"
            + " ('a', 0), ('b', 0), ('c', 0), ('d', 0), ('e', 0)");
    execute(
        "CREATE TABLE [s3_partition_delta_control_table]( [PartitionPrefix] varchar(255) NULL,"
            + " [JobRunTime] datetime NULL, [SuccessOrFailure] bit NULL, [BucketName]"
            + " varchar(255) NULL)");
    execute(
        "INSERT INTO s3_partition_delta_control_table"
            + " (PartitionPrefix, JobRunTime, SuccessOrFailure, BucketName) VALUES"
            + " ('a','2019-01-01 00:00:00',1,'bucket'), ('b','2019-01-01 00:00:00',1,'bucket'),"
            + " ('a','2019-01-01 00:00:00',1,'other')");
  }

  @After
  public void close() throws Exception {
    connection.close();
  }

  private AdfPartitionTable historical() {
    return new AdfPartitionTable(
        new PartitionTableSpec(
            database,
            "s3_partition_control_table",
            "PartitionPrefix",
            "SuccessOrFailure",
            "JobRunTime",
            null),
        ROOT);
  }

  private AdfPartitionTable delta() {
    return new AdfPartitionTable(
        new PartitionTableSpec(
            database,
            "s3_partition_delta_control_table",
            "PartitionPrefix",
            "SuccessOrFailure",
            "JobRunTime",
            "BucketName"),
        ROOT);
  }

  private static PartitionResult result(String root, String prefix, boolean ok) {
    return new PartitionResult(
        new PartitionKey(root, prefix), 1, 0, ok ? 0 : 1, 10, ok ? null : "x: failed", null, null);
  }

  @Test
  public void historicalTableListsZeroRowsAndSetsOneOnSuccessOnly() throws Exception {
    AdfPartitionTable table = historical();
    assertThat(table.partitions(connection, Mode.FULL))
        .extracting(PartitionKey::prefix)
        .containsExactly("a", "b", "c", "d", "e");

    table.record(connection, result(ROOT, "b", true), Instant.now(), Mode.FULL);
    table.record(connection, result(ROOT, "c", false), Instant.now(), Mode.FULL);
    table.record(connection, result(ROOT, "b", true), Instant.now(), Mode.FULL); // a retry

    assertThat(table.partitions(connection, Mode.FULL))
        .extracting(PartitionKey::prefix)
        .containsExactly("a", "c", "d", "e");
    assertThat(table.lastSuccessTimes(connection, Mode.FULL)).isEmpty();
    assertThat(table.reset(connection, List.of("b"))).isEqualTo(1);
    assertThat(table.partitions(connection, Mode.FULL)).hasSize(5);
  }

  @Test
  public void deltaTableGivesWindowsPerBucketAndInsertsOneRowPerRun() throws Exception {
    AdfPartitionTable table = delta();
    assertThat(table.partitions(connection, Mode.DELTA))
        .containsExactly(
            new PartitionKey("s3://bucket/", "a"),
            new PartitionKey("s3://other/", "a"),
            new PartitionKey("s3://bucket/", "b"));
    Instant seed = Instant.parse("2019-01-01T00:00:00Z");
    assertThat(table.lastSuccessTimes(connection, Mode.DELTA))
        .isEqualTo(
            Map.of(
                new PartitionKey("s3://bucket/", "a").id(),
                seed.minus(AdfPartitionTable.ROUNDING_TOLERANCE),
                new PartitionKey("s3://other/", "a").id(),
                seed.minus(AdfPartitionTable.ROUNDING_TOLERANCE),
                new PartitionKey("s3://bucket/", "b").id(),
                seed.minus(AdfPartitionTable.ROUNDING_TOLERANCE)));

    Instant run = Instant.parse("2026-05-06T07:08:09.123Z");
    table.record(connection, result("s3://other/", "a", true), run, Mode.DELTA);
    table.record(connection, result("s3://other/", "a", true), run, Mode.DELTA); // a retry
    table.record(connection, result("s3://bucket/", "b", false), run, Mode.DELTA);

    assertThat(rows())
        .containsExactly(
            "a 2019-01-01T00:00 true bucket",
            "a 2019-01-01T00:00 true other",
            "a 2026-05-06T07:08:09.123 true other",
            "b 2019-01-01T00:00 true bucket",
            "b 2026-05-06T07:08:09.123 false bucket");
    Map<String, Instant> next = table.lastSuccessTimes(connection, Mode.DELTA);
    assertThat(next.get(new PartitionKey("s3://other/", "a").id()))
        .isEqualTo(run.minus(AdfPartitionTable.ROUNDING_TOLERANCE));
    // A failed run keeps the old watermark, so the next run retries the same window.
    assertThat(next.get(new PartitionKey("s3://bucket/", "b").id()))
        .isEqualTo(seed.minus(AdfPartitionTable.ROUNDING_TOLERANCE));
  }

  private List<String> rows() throws Exception {
    List<String> rows = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT PartitionPrefix, JobRunTime, SuccessOrFailure, BucketName"
                    + " FROM s3_partition_delta_control_table"
                    + " ORDER BY PartitionPrefix, JobRunTime, BucketName")) {
      while (r.next()) {
        rows.add(
            r.getString(1)
                + " "
                + r.getObject(2, java.time.LocalDateTime.class)
                + " "
                + r.getBoolean(3)
                + " "
                + r.getString(4));
      }
    }
    return rows;
  }

  private void execute(String sql) throws Exception {
    try (Statement s = connection.createStatement()) {
      s.execute(sql);
    }
  }
}
