package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.Assume.assumeTrue;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.PartitionTableSpec;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The two Azure Data Factory templates of seed 001 as copyjob runs, on their own control tables in
 * a real PostgreSQL: historical migration with SuccessOrFailure (objects under a to f in s3proxy),
 * and delta copy with one JobRunTime row per partition per run (local files, whose LastModified a
 * test can set before 2019). copyjob's own history goes to an H2 file beside them.
 */
public class AdfControlTableTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Connection pg;
  private String schema;
  private Path source;
  private Path sink;
  private final Map<String, byte[]> files = new LinkedHashMap<>();

  @Before
  public void setUp() throws Exception {
    String url = System.getenv("COPYJOB_TEST_PG_URL");
    if (url == null && "1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
      throw new AssertionError(
          "COPYJOB_TEST_PG_URL is not set; start PostgreSQL with scripts/test");
    }
    assumeTrue("no PostgreSQL configured", url != null);
    pg =
        DriverManager.getConnection(
            url, System.getenv("COPYJOB_TEST_PG_USER"), System.getenv("COPYJOB_TEST_PG_PASSWORD"));
    schema = "adf_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    execute("CREATE SCHEMA " + schema);
    source = tmp.newFolder("s3").toPath();
    sink = tmp.getRoot().toPath().resolve("adls");
    for (String prefix : List.of("a", "b", "c", "d", "e", "f")) {
      for (int i = 0; i < 3; i++) {
        String key = prefix + "/part-" + i + ".csv";
        files.put(key, TestTrees.write(source, key, 1000 * (i + 1)));
      }
    }
  }

  @After
  public void tearDown() throws Exception {
    FaultyStore.UNREADABLE.clear();
    if (pg != null) {
      execute("DROP SCHEMA " + schema + " CASCADE");
      pg.close();
    }
  }

  @Test
  public void historicalMigrationSetsSuccessOrFailureAndARerunFixesTheFailedPartition()
      throws Exception {
    // The seed's table and rows, in PostgreSQL types (its bit is a boolean here).
    String table = schema + ".s3_partition_control_table";
    execute("CREATE TABLE " + table + " (PartitionPrefix varchar(255), SuccessOrFailure boolean)");
    execute(
        "INSERT INTO "
            + table
            + " (PartitionPrefix, SuccessOrFailure) VALUES"
            + " ('a', false), ('b', false), ('c', false), ('d', false), ('e', false)");
    // The objects under a to f, in S3.
    String bucket = "s3://" + schema.replace('_', '-') + "/";
    io.copyjob.spec.Connection.S3 aws = S3.connection("aws", true);
    try (Store s3 = Stores.open(URI.create(bucket), aws)) {
      s3.prepare(true);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        s3.put(
            file.getKey(),
            new ByteArrayInputStream(file.getValue()),
            new FileInfo(file.getKey(), file.getValue().length, null, null));
      }
    }
    JobSpec spec = withSource(spec(Mode.FULL, table, URI.create(bucket)), aws);
    // Partition c fails: a non-empty folder stands where one of its files must go.
    TestTrees.write(sink, "c/part-1.csv/blocker", 1);

    RunRecord first = FileCopyPipelineTest.runDirect(spec);

    assertThat(first.status()).isEqualTo(RunStatus.FAILED);
    assertThat(success(table))
        .isEqualTo(Map.of("a", true, "b", true, "c", false, "d", true, "e", true));
    assertThat(TestTrees.read(sink).keySet()).noneMatch(k -> k.startsWith("f/"));

    Files.delete(sink.resolve("c/part-1.csv/blocker"));
    Files.delete(sink.resolve("c/part-1.csv"));
    RunRecord second = FileCopyPipelineTest.runDirect(spec);

    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(second.totals()).isEqualTo(new RunTotals(1, 0, 1, 2, 0, 2000));
    assertThat(success(table)).containsOnlyKeys("a", "b", "c", "d", "e").doesNotContainValue(false);
    Map<String, byte[]> expected = new LinkedHashMap<>(files);
    expected.keySet().removeIf(k -> k.startsWith("f/"));
    TestTrees.assertTree(sink, expected);
  }

  @Test
  public void aRootNamedInTheTableThatIsMissingFailsTheRunBeforeAnythingIsRecorded()
      throws Exception {
    String table = schema + ".s3_partition_control_table";
    execute(
        "CREATE TABLE "
            + table
            + " (PartitionPrefix varchar(255), SuccessOrFailure boolean, BucketName varchar(255))");
    // The source folder is named s3; the second bucket, next to it, is not there (not mounted).
    execute(
        "INSERT INTO "
            + table
            + " (PartitionPrefix, SuccessOrFailure, BucketName) VALUES"
            + " ('a', false, 's3'), ('b', false, 'archive')");
    JobSpec plain = spec(Mode.FULL, table, source.toUri());
    PartitionTableSpec t = plain.partitionTable();
    JobSpec spec =
        new JobSpec(
            plain.name(),
            plain.source(),
            plain.sink(),
            plain.copy(),
            plain.mode(),
            plain.delta(),
            plain.control(),
            new PartitionTableSpec(
                t.connection(),
                t.table(),
                t.prefixColumn(),
                t.successColumn(),
                t.runTimeColumn(),
                "BucketName"));

    assertThatThrownBy(() -> FileCopyPipelineTest.runDirect(spec))
        .isInstanceOf(JobException.class)
        .hasMessage("folder " + source.resolveSibling("archive") + " does not exist");
    assertThat(success(table)).isEqualTo(Map.of("a", false, "b", false));
    try (ControlStore history = ControlStore.open(spec.control())) {
      assertThat(history.history(spec.name(), 10)).isEmpty();
    }
    assertThat(sink).doesNotExist();
  }

  private static JobSpec withSource(JobSpec s, io.copyjob.spec.Connection.S3 connection) {
    return new JobSpec(
        s.name(),
        new SourceSpec(s.source().root(), s.source().partitions(), connection.name()),
        s.sink(),
        s.copy(),
        s.mode(),
        s.delta(),
        s.control(),
        s.partitionTable(),
        Map.of(connection.name(), connection));
  }

  /**
   * A prefix on several rows (added again by hand, or by a template run twice; its root named by
   * its folder's name or by its URI) is one partition: listed, copied and counted once, and every
   * one of its rows set to 1.
   */
  @Test
  public void duplicateRowsAreOnePartition() throws Exception {
    String table = schema + ".s3_partition_control_table";
    execute(
        "CREATE TABLE "
            + table
            + " (PartitionPrefix varchar(255), SuccessOrFailure boolean, BucketName varchar(255))");
    String uri = source.toUri().toString();
    execute(
        "INSERT INTO "
            + table
            + " (PartitionPrefix, SuccessOrFailure, BucketName) VALUES"
            + " ('a', false, 's3'), ('a', false, 's3'), ('b', false, 's3'), ('b', true, 's3'),"
            + " ('b', false, '"
            + uri
            + "')");
    JobSpec adf = spec(Mode.FULL, table, source.toUri());
    PartitionTableSpec columns = adf.partitionTable();
    JobSpec spec =
        new JobSpec(
            adf.name(),
            adf.source(),
            adf.sink(),
            adf.copy(),
            adf.mode(),
            adf.delta(),
            adf.control(),
            new PartitionTableSpec(
                columns.connection(),
                table,
                columns.prefixColumn(),
                columns.successColumn(),
                columns.runTimeColumn(),
                "BucketName"));

    RunRecord run = FileCopyPipelineTest.runDirect(spec);

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals()).isEqualTo(new RunTotals(2, 0, 6, 0, 0, 2 * 6000));
    List<String> rows = new ArrayList<>();
    try (Statement s = pg.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT PartitionPrefix, SuccessOrFailure FROM " + table + " ORDER BY 1, 2")) {
      while (r.next()) {
        rows.add(r.getString(1) + "=" + r.getBoolean(2));
      }
    }
    assertThat(rows).containsExactly("a=true", "a=true", "b=true", "b=true", "b=true");
  }

  @Test
  public void deltaCopyInsertsOneJobRunTimeRowPerPartitionAndCopiesOnlyChangedFiles()
      throws Exception {
    String table = schema + ".s3_partition_delta_control_table";
    execute(
        "CREATE TABLE "
            + table
            + " (PartitionPrefix varchar(255), JobRunTime timestamp, SuccessOrFailure boolean)");
    execute(
        "INSERT INTO "
            + table
            + " (PartitionPrefix, JobRunTime, SuccessOrFailure) VALUES"
            + " ('a', '2019-01-01 00:00:00', true), ('b', '2019-01-01 00:00:00', true),"
            + " ('c', '2019-01-01 00:00:00', true), ('d', '2019-01-01 00:00:00', true),"
            + " ('e', '2019-01-01 00:00:00', true), ('g', '2019-01-01 00:00:00', true)");
    // Files last modified before the seed's 1/1/2019 (less the overlap: copyjob cannot tell the
    // seed's rows from its own) were migrated by the historical run.
    Files.setLastModifiedTime(
        source.resolve("a/part-0.csv"), FileTime.from(Instant.parse("2018-12-31T12:00:00Z")));
    JobSpec spec = spec(Mode.DELTA, table, source.toUri());

    RunRecord first = FileCopyPipelineTest.runDirect(spec);

    assertThat(first.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(first.totals()).isEqualTo(new RunTotals(6, 0, 14, 0, 0, 5 * 6000 - 1000));
    assertThat(TestTrees.read(sink)).doesNotContainKey("a/part-0.csv");

    Thread.sleep(20);
    byte[] changed = TestTrees.write(source, "b/part-2.csv", 4321);
    byte[] added = TestTrees.write(source, "d/new.csv", 12);
    Thread.sleep(20);
    RunRecord second = FileCopyPipelineTest.runDirect(spec);

    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    // The first run's files changed within the overlap: seen again, skipped as identical.
    assertThat(second.totals()).isEqualTo(new RunTotals(6, 0, 2, 13, 0, 4321 + 12));
    assertThat(TestTrees.read(sink).get("b/part-2.csv")).isEqualTo(changed);
    assertThat(TestTrees.read(sink).get("d/new.csv")).isEqualTo(added);
    List<String> rows = new ArrayList<>();
    try (Statement s = pg.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT PartitionPrefix, JobRunTime, SuccessOrFailure FROM "
                    + table
                    + " ORDER BY PartitionPrefix, JobRunTime")) {
      while (r.next()) {
        rows.add(
            r.getString(1)
                + " "
                + r.getObject(2, LocalDateTime.class).toInstant(ZoneOffset.UTC)
                + " "
                + r.getBoolean(3));
      }
    }
    // JobRunTime is where each window ended (the source's time at the run's start): where the next
    // window starts, as copyjob's own history records it too.
    List<String> expected = new ArrayList<>();
    try (ControlStore history = ControlStore.open(spec.control())) {
      for (String prefix : List.of("a", "b", "c", "d", "e", "g")) {
        expected.add(prefix + " 2019-01-01T00:00:00Z true");
        // 'g' lists no file (its folder is not there): it adds no run, its window stays.
        for (RunRecord run : prefix.equals("g") ? List.<RunRecord>of() : List.of(first, second)) {
          Instant end =
              history.partitionRuns(run.runId()).stream()
                  .filter(p -> p.result().key().prefix().equals(prefix))
                  .findFirst()
                  .orElseThrow()
                  .result()
                  .windowEnd();
          assertThat(end).isBetween(run.startedAt().minusSeconds(5), run.startedAt());
          expected.add(prefix + " " + end + " true");
        }
      }
    }
    assertThat(rows).containsExactlyElementsOf(expected);
  }

  private JobSpec spec(Mode mode, String table, URI root) throws Exception {
    ControlSpec adfDatabase =
        new ControlSpec(
            System.getenv("COPYJOB_TEST_PG_URL"),
            System.getenv("COPYJOB_TEST_PG_USER"),
            "COPYJOB_TEST_PG_PASSWORD");
    ControlSpec history =
        new ControlSpec(
            "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("history") + ";AUTO_SERVER=TRUE",
            null,
            null);
    return new JobSpec(
        "adf-" + schema,
        new SourceSpec(root, List.of()),
        new SinkSpec(sink.toUri()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 4),
        mode,
        DeltaSpec.none(),
        history,
        new PartitionTableSpec(
            adfDatabase, table, "PartitionPrefix", "SuccessOrFailure", "JobRunTime", null));
  }

  private Map<String, Boolean> success(String table) throws Exception {
    Map<String, Boolean> values = new LinkedHashMap<>();
    try (Statement s = pg.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT PartitionPrefix, SuccessOrFailure FROM " + table + " ORDER BY 1")) {
      while (r.next()) {
        values.put(r.getString(1), r.getBoolean(2));
      }
    }
    return values;
  }

  private void execute(String sql) throws Exception {
    try (Statement s = pg.createStatement()) {
      s.execute(sql);
    }
  }
}
