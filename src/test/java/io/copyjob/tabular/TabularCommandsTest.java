package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.cli.CopyJob;
import io.copyjob.control.ControlStore;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.FileInfo;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The commands on a tabular job as a user types them (CSV in s3proxy into an H2 database): what
 * they print, their exit codes, and that a bad input is one line with nothing recorded as
 * succeeded.
 */
public class TabularCommandsTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private String id;
  private String bucket;
  private Path jobFile;
  private String sinkUrl;
  private Store store;

  @Before
  public void setUp() throws Exception {
    id = UUID.randomUUID().toString().substring(0, 8);
    bucket = "cli-" + id;
    jobFile = tmp.getRoot().toPath().resolve("job.yaml");
    sinkUrl = "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("sink") + ";AUTO_SERVER=TRUE";
    store = Stores.open(URI.create("s3://" + bucket + "/"), S3.connection("s3", true));
    store.prepare(true);
    sql(
        "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(10) NOT NULL)",
        "CREATE TABLE \"b\" (\"id\" INTEGER PRIMARY KEY, \"amount\" NUMERIC(6,2))");
    put("in/a/1.csv", "id,name\n1,one\n2,two\n");
    put("in/b/1.csv", "id,amount\n1,1.50\n");
  }

  @After
  public void tearDown() throws Exception {
    store.close();
  }

  private void put(String key, String text) throws Exception {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    store.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
  }

  private void sql(String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection(sinkUrl);
        Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  private long count(String table) throws Exception {
    try (Connection c = DriverManager.getConnection(sinkUrl);
        Statement st = c.createStatement();
        var rs = st.executeQuery("SELECT COUNT(*) FROM \"" + table + "\"")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void writeJob(String tables) throws Exception {
    Files.writeString(
        jobFile,
        "name: cli-"
            + id
            + "\n"
            + "connections:\n"
            + "  s3: {type: s3, region: us-east-1, endpoint: '"
            + S3.endpoint()
            + "', pathStyle: true, accessKeyIdEnv: COPYJOB_TEST_S3_KEY,"
            + " secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET}\n"
            + "source: {root: 's3://"
            + bucket
            + "/in/', connection: s3, format: csv}\n"
            + "sink:\n"
            + "  database: {url: '"
            + sinkUrl
            + "'}\n"
            + tables);
  }

  private static final String TABLES =
      "tables:\n  a: {files: a/, target: a}\n  b: {files: b/, target: b}\n";

  private int copyjob(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  /** The statuses of the job's tables in the control table, "a=SUCCEEDED b=FAILED". */
  private String statuses() throws Exception {
    try (ControlStore control = ControlStore.open(JobSpecParser.parse(jobFile).control())) {
      return String.join(
          " ",
          control.partitions("cli-" + id).stream()
              .map(p -> p.key().prefix() + "=" + p.status())
              .toList());
    }
  }

  @Test
  public void runPlanHistoryAndPartitionsShowTables() throws Exception {
    writeJob(TABLES);

    assertThat(copyjob("plan", jobFile.toString())).isZero();
    assertThat(out.toString())
        .contains("table 'a' (s3://" + bucket + "/in/a/) -> PUBLIC.a: 1 files, 20 B")
        .contains("plan for job 'cli-" + id + "' (full): 2 table(s), 2 files, 37 B");
    out.getBuffer().setLength(0);
    assertThat(copyjob("plan", jobFile.toString(), "--json")).isZero();
    com.fasterxml.jackson.databind.JsonNode plan =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertThat(plan.get("tables"))
        .extracting(t -> t.get("table").asText() + "=" + t.get("files").asLong())
        .containsExactlyInAnyOrder("a=1", "b=1");
    assertThat(plan.at("/totals/bytes").asLong()).isEqualTo(37);
    out.getBuffer().setLength(0);

    assertThat(copyjob("run", jobFile.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .startsWith("run 1 of job 'cli-" + id + "': SUCCEEDED")
        .contains("tables      2 succeeded, 0 failed")
        .contains("files       2 loaded, 0 already loaded, 0 failed")
        .contains("rows        3 read, 3 written, 0 rejected");
    assertThat(count("a")).isEqualTo(2);

    assertThat(copyjob("history", jobFile.toString())).isZero();
    assertThat(out.toString().split("\\R")[1])
        .startsWith("1    SUCCEEDED")
        .contains("2/0")
        .contains("3/3/0");
    assertThat(copyjob("history", jobFile.toString(), "--run", "1")).isZero();
    assertThat(out.toString())
        .containsPattern("(?m)^a\\s+succeeded\\s+1/0/0\\s+2\\s+2\\s+0\\s+20 B")
        .containsPattern("(?m)^b\\s+succeeded\\s+1/0/0\\s+1\\s+1\\s+0");
    // The piece transfers wrote their progress too: per table, as the workers counted it.
    try (ControlStore control = ControlStore.open(JobSpecParser.parse(jobFile).control())) {
      long runId = control.history("cli-" + id, 1).get(0).runId();
      io.copyjob.control.ProgressRecord a =
          control
              .progress()
              .read(runId)
              .of(new io.copyjob.control.PartitionKey("s3://" + bucket + "/in/", "a"));
      assertThat(a.state()).isEqualTo(io.copyjob.control.ProgressState.DONE);
      assertThat(a.filesListed()).isEqualTo(1);
      assertThat(a.filesCopied()).isEqualTo(1);
      assertThat(a.rows()).isEqualTo(2);
      assertThat(a.bytes()).isEqualTo(20);
      assertThat(a.longestStep()).isNotNull();
    }

    assertThat(copyjob("partitions", "list", jobFile.toString())).isZero();
    assertThat(out.toString())
        .containsPattern("'a'\\s+SUCCEEDED")
        .containsPattern("'b'\\s+SUCCEEDED");
    assertThat(copyjob("partitions", "reset", jobFile.toString(), "b")).isZero();
    assertThat(statuses()).isEqualTo("a=SUCCEEDED b=PENDING");
    assertThat(copyjob("partitions", "add", jobFile.toString(), "c")).isEqualTo(2);
  }

  @Test
  public void onlyFailedReloadsWhatTheLastRunDidNotLoad() throws Exception {
    writeJob(TABLES);
    put("in/b/2.csv", "id,amount\n2,\"unterminated\n");

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "copyjob: run 1 failed: 1 table(s) failed; first table 'b': s3://"
                + bucket
                + "/in/b/2.csv line 2: malformed CSV: EOF reached before encapsulated token"
                + " finished"
                + System.lineSeparator());
    assertThat(statuses()).isEqualTo("a=SUCCEEDED b=FAILED");
    assertThat(count("b")).isEqualTo(1); // b/1.csv was loaded all the same

    put("in/b/2.csv", "id,amount\n2,2.50\n");
    assertThat(copyjob("run", jobFile.toString(), "--only-failed")).as(err.toString()).isZero();

    assertThat(out.toString())
        .contains("tables      1 succeeded, 0 failed")
        .contains("files       1 loaded, 1 already loaded, 0 failed");
    assertThat(count("a")).isEqualTo(2);
    assertThat(count("b")).isEqualTo(2);
    assertThat(statuses()).isEqualTo("a=SUCCEEDED b=SUCCEEDED");

    assertThat(copyjob("run", jobFile.toString(), "--only-failed")).isZero();
    assertThat(out.toString()).contains("tables      0 succeeded, 0 failed");
  }

  @Test
  public void aMissingTableOrColumnFailsItsTableWithOneLine() throws Exception {
    writeJob(
        "tables:\n"
            + "  a: {files: a/, target: nowhere}\n"
            + "  b:\n"
            + "    files: b/\n"
            + "    target: b\n"
            + "    columns: [{source: id, sink: id}, {source: amount, sink: amount_eur}]\n");

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(1);

    assertThat(err.toString().split("\\R")).hasSize(1);
    assertThat(err.toString())
        .startsWith(
            "copyjob: run 1 failed: 2 table(s) failed; first table 'a': sink table nowhere does"
                + " not exist in schema PUBLIC of jdbc:h2:file:");
    assertThat(out.toString()).contains("tables      0 succeeded, 2 failed");
    assertThat(statuses()).isEqualTo("a=FAILED b=FAILED");
    assertThat(copyjob("history", jobFile.toString(), "--run", "1")).isZero();
    assertThat(out.toString())
        .contains("columns[1]: no column 'amount_eur' in PUBLIC.b (its columns: id, amount)");
    assertThat(count("b")).isZero();
  }

  @Test
  public void anIncompatibleValueFailsItsTableNamingFileLineColumnAndValue() throws Exception {
    writeJob(TABLES);
    put("in/b/2.csv", "id,amount\n2,2.50\n3,12345.678\n");

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(1);

    assertThat(err.toString())
        .isEqualTo(
            "copyjob: run 1 failed: 1 table(s) failed; first table 'b': s3://"
                + bucket
                + "/in/b/2.csv line 3, column 'amount': '12345.678' has more than 2 digits after"
                + " the point (decimal(6,2))"
                + System.lineSeparator());
    assertThat(count("b")).isEqualTo(1); // 1.csv; nothing of 2.csv
    assertThat(statuses()).isEqualTo("a=SUCCEEDED b=FAILED");
  }

  @Test
  public void anUnknownTypeNameIsOneLineNamingTheField() throws Exception {
    writeJob(
        "tables:\n  b:\n    files: b/\n    target: b\n    columns: [{source: id, sink: id, type: intger}]\n");

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(2);

    assertThat(err.toString())
        .isEqualTo(
            "copyjob: "
                + jobFile
                + ": tables.b.columns[0].type: unknown type 'intger'; use one of "
                + io.copyjob.spec.ColumnType.NAMES
                + System.lineSeparator());
    assertThat(Files.exists(tmp.getRoot().toPath().resolve(".copyjob"))).isFalse();
  }
}
