package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.pipeline.JobException;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.util.Comparator;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Database tables as sources: PostgreSQL into PostgreSQL, each in a schema of its own; full loads
 * of several tables, a pattern, a column subset and a query; a table read in range pieces; and the
 * incremental mode's watermark, exact to the microsecond, stored only after a successful write.
 */
public class JdbcSourceTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private SinkDatabase source;
  private SinkDatabase sink;
  private String id;

  @Before
  public void setUp() {
    id = java.util.UUID.randomUUID().toString().substring(0, 8);
    source = SinkDatabase.postgres();
    sink = SinkDatabase.postgres();
  }

  @After
  public void tearDown() throws Exception {
    if (source != null) {
      source.drop();
    }
    if (sink != null) {
      sink.drop();
    }
  }

  private String jobYaml(String rest) {
    return "name: jdbc-"
        + id
        + "\n"
        + "source:\n"
        + source.yaml()
        + "sink:\n"
        + sink.yaml()
        + rest
        + "control: {url: 'jdbc:h2:file:"
        + tmp.getRoot().toPath().resolve("control")
        + ";AUTO_SERVER=TRUE'}\n";
  }

  private JobSpec job(String rest) {
    return JobSpecParser.parse(jobYaml(rest), tmp.getRoot().toPath(), "job.yaml");
  }

  private List<PartitionRunRecord> tables(JobSpec spec, RunRecord run) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.partitionRuns(run.runId()).stream()
          .sorted(Comparator.comparing(r -> r.result().key().prefix()))
          .toList();
    }
  }

  private static String schemaOf(SinkDatabase db) {
    String yaml = db.yaml();
    int at = yaml.indexOf("currentSchema=") + "currentSchema=".length();
    return yaml.substring(at, yaml.indexOf('\'', at));
  }

  private static final String ORDERS =
      "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer BIGINT, amount"
          + " NUMERIC(12,2), at TIMESTAMP(6), at_tz TIMESTAMPTZ, day DATE, paid BOOLEAN, note"
          + " TEXT)";

  private void seedOrders() throws Exception {
    source.execute(
        ORDERS,
        "INSERT INTO orders VALUES (1, 10, 12.50, '2024-01-01 10:00:00.123456',"
            + " '2024-01-01 10:00:00.654321+02', '2024-01-01', true, 'first, \"quoted\"\nline')",
        "INSERT INTO orders VALUES (2, NULL, -0.01, NULL, NULL, NULL, false, NULL)",
        "INSERT INTO orders VALUES (3, 30, 99999.99, '1999-12-31 23:59:59.999999',"
            + " '2038-01-19 03:14:07.000001+00', '2000-02-29', NULL, 'ü ∑ 😀')");
  }

  @Test
  public void severalTablesAPatternAColumnSubsetAndAQueryAreCopiedRowForRow() throws Exception {
    seedOrders();
    source.execute(
        "CREATE TABLE item_a (id INTEGER PRIMARY KEY, name VARCHAR(10))",
        "CREATE TABLE item_b (id INTEGER PRIMARY KEY, name VARCHAR(10))",
        "CREATE TABLE other (id INTEGER)",
        "INSERT INTO item_a VALUES (1, 'a1'), (2, 'a2')",
        "INSERT INTO item_b VALUES (7, 'b7')",
        "INSERT INTO other VALUES (1)");
    sink.execute(
        ORDERS,
        "CREATE TABLE orders_subset (id INTEGER NOT NULL, amount NUMERIC(12,2), note TEXT)",
        "CREATE TABLE doubled (id INTEGER, amount NUMERIC(12,2))",
        "CREATE TABLE item_a (id INTEGER, name VARCHAR(10))",
        "CREATE TABLE item_b (id INTEGER, name VARCHAR(10))");
    String src = schemaOf(source);
    String dst = schemaOf(sink);
    JobSpec spec =
        job(
            "tables:\n"
                + "  orders: {table: orders, target: orders}\n"
                + "  subset:\n"
                + "    table: orders\n"
                + "    target: orders_subset\n"
                + "    columns: [{source: id, sink: id}, {source: AMOUNT, sink: amount},"
                + " {constant: $source, sink: note}]\n"
                + "  doubled: {query: 'SELECT id, amount * 2 AS amount FROM orders WHERE id <= 2',"
                + " target: doubled}\n"
                + "  items: {pattern: '"
                + src
                + ".item_*', target: '"
                + dst
                + ".*'}\n");

    RunRecord run = TabularTestBase.run(spec, false);

    assertThat(run.status().name()).isEqualTo("SUCCEEDED");
    String all = "SELECT * FROM orders ORDER BY id";
    assertThat(sink.rows(all)).isEqualTo(source.rows(all)).hasSize(3);
    assertThat(sink.rows("SELECT id, amount, note FROM orders_subset ORDER BY id"))
        .containsExactly("1 | 12.50 | orders", "2 | -0.01 | orders", "3 | 99999.99 | orders");
    assertThat(sink.rows("SELECT * FROM doubled ORDER BY id"))
        .containsExactly("1 | 25.00", "2 | -0.02");
    assertThat(sink.rows("SELECT * FROM item_a ORDER BY id")).containsExactly("1 | a1", "2 | a2");
    assertThat(sink.rows("SELECT * FROM item_b")).containsExactly("7 | b7");
    // Each table the pattern matched is a table of its own, with its own row in the history.
    assertThat(tables(spec, run))
        .extracting(r -> r.result().key().prefix() + " " + r.result().table().rowsWritten())
        .containsExactly(src + ".item_a 2", src + ".item_b 1", "doubled 2", "orders 3", "subset 3");
  }

  @Test
  public void createTableGivesTheSinkTableTheSourcesColumnTypes() throws Exception {
    seedOrders();
    source.execute(
        "CREATE TABLE typed (id INTEGER NOT NULL PRIMARY KEY, small SMALLINT, code VARCHAR(20),"
            + " free NUMERIC, ratio DOUBLE PRECISION, uid UUID, tag CHAR(3), t TIME, b BYTEA)",
        "INSERT INTO typed VALUES (1, 2, 'x', 1.000001, 0.5,"
            + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'abc', '12:34:56.789012', '\\x0001ff')");
    JobSpec spec =
        job(
            "tableDefaults: {createTable: true}\n"
                + "tables:\n"
                + "  orders: {table: orders, target: orders}\n"
                + "  typed: {table: typed, target: typed}\n"
                + "  mapped:\n"
                + "    table: orders\n"
                + "    target: mapped\n"
                + "    columns: [{source: id, sink: order_id}, {source: amount, sink: total},"
                + " {source: note, sink: note, type: 'varchar(100)'}]\n");

    RunRecord run = TabularTestBase.run(spec, false);

    assertThat(run.status().name()).isEqualTo("SUCCEEDED");
    String columns =
        "SELECT table_name || '.' || column_name || ' ' || CASE WHEN data_type = 'numeric'"
            + " AND numeric_precision IS NOT NULL THEN 'numeric(' || numeric_precision || ','"
            + " || numeric_scale || ')' WHEN character_maximum_length IS NOT NULL THEN data_type"
            + " || '(' || character_maximum_length || ')' ELSE data_type END FROM"
            + " information_schema.columns WHERE table_schema = '"
            + schemaOf(sink)
            + "' AND table_name IN ('orders', 'typed', 'mapped') ORDER BY table_name,"
            + " ordinal_position";
    assertThat(sink.rows(columns))
        .containsExactly(
            "mapped.order_id integer",
            "mapped.total numeric(12,2)",
            "mapped.note character varying(100)",
            "orders.id integer",
            "orders.customer bigint",
            "orders.amount numeric(12,2)",
            "orders.at timestamp without time zone",
            "orders.at_tz timestamp with time zone",
            "orders.day date",
            "orders.paid boolean",
            "orders.note text",
            "typed.id integer",
            "typed.small smallint",
            "typed.code character varying(20)",
            "typed.free numeric",
            "typed.ratio double precision",
            "typed.uid uuid",
            "typed.tag character varying(3)",
            "typed.t time without time zone",
            "typed.b bytea");
    String all = "SELECT * FROM orders ORDER BY id";
    assertThat(sink.rows(all)).isEqualTo(source.rows(all));
    assertThat(sink.rows("SELECT * FROM typed")).isEqualTo(source.rows("SELECT * FROM typed"));
  }

  @Test
  public void aTableReadInRangePiecesEqualsTheSourceRowForRow() throws Exception {
    source.execute(
        "CREATE TABLE big (k BIGINT, at TIMESTAMP(6), v TEXT)",
        "INSERT INTO big SELECT g, TIMESTAMP '2024-01-01' + g * INTERVAL '1 microsecond' * 7,"
            + " 'v' || g FROM generate_series(-500, 1499) g",
        "INSERT INTO big VALUES (NULL, NULL, 'no key')");
    sink.execute(
        "CREATE TABLE big (k BIGINT, at TIMESTAMP(6), v TEXT)",
        "CREATE TABLE big_by_time (k BIGINT, at TIMESTAMP(6), v TEXT)");
    JobSpec spec =
        job(
            "tables:\n"
                + "  big: {table: big, target: big, partitionColumn: k, pieces: 4}\n"
                + "  big_by_time: {table: big, target: big_by_time, partitionColumn: at,"
                + " pieces: 3}\n");

    RunRecord run = TabularTestBase.run(spec, false);

    assertThat(run.status().name()).isEqualTo("SUCCEEDED");
    String all = "SELECT * FROM big ORDER BY k NULLS FIRST, v";
    assertThat(sink.rows(all)).isEqualTo(source.rows(all)).hasSize(2001);
    assertThat(sink.rows("SELECT * FROM big_by_time ORDER BY k NULLS FIRST, v"))
        .isEqualTo(source.rows(all));
    assertThat(tables(spec, run))
        .extracting(r -> r.result().filesCopied() + " " + r.result().table().rowsRead())
        .containsExactly("4 2001", "3 2001");
  }

  private static final String EVENTS =
      "CREATE TABLE events (id BIGINT, at TIMESTAMP(6), note TEXT)";

  private JobSpec incremental() {
    return job(
        "tables:\n  events: {table: events, target: events, watermark: {column: at}}\n"
            + "mode: incremental\n");
  }

  private String storedWatermark(JobSpec spec) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.watermark(spec.name(), "events", "at").orElse(null);
    }
  }

  @Test
  public void incrementalRunsCopyNewRowsExactlyOnceToTheMicrosecond() throws Exception {
    source.execute(
        EVENTS,
        "INSERT INTO events VALUES (1, '2024-01-01 00:00:00.000001', 'a'),"
            + " (2, '2024-01-01 00:00:00.000002', 'b'), (3, NULL, 'no time')");
    sink.execute(EVENTS);
    JobSpec spec = incremental();

    RunRecord first = TabularTestBase.run(spec, false);

    assertThat(first.status().name()).isEqualTo("SUCCEEDED");
    assertThat(first.mode()).isEqualTo("incremental");
    assertThat(sink.rows("SELECT id FROM events ORDER BY id")).containsExactly("1", "2", "3");
    assertThat(storedWatermark(spec)).isEqualTo("2024-01-01 00:00:00.000002");
    PartitionResult firstTable = tables(spec, first).get(0).result();
    assertThat(firstTable.table().watermark().before()).isNull();
    assertThat(firstTable.table().watermark().after()).isEqualTo("2024-01-01 00:00:00.000002");
    assertThat(firstTable.warning())
        .isEqualTo(
            "1 row(s) with NULL at: loaded by this full load; incremental runs will not see them");

    RunRecord nothingNew = TabularTestBase.run(spec, false);
    assertThat(nothingNew.status().name()).isEqualTo("SUCCEEDED");
    assertThat(tables(spec, nothingNew).get(0).result().table().rowsRead()).isZero();

    // One microsecond above the mark: a millisecond watermark would miss it or copy row 2 again.
    source.execute(
        "INSERT INTO events VALUES (4, '2024-01-01 00:00:00.000003', 'c'),"
            + " (5, '2024-01-01 00:00:01', 'd'), (6, NULL, 'late, no time')");
    RunRecord third = TabularTestBase.run(spec, false);

    assertThat(third.status().name()).isEqualTo("SUCCEEDED");
    assertThat(sink.rows("SELECT id FROM events ORDER BY id"))
        .containsExactly("1", "2", "3", "4", "5");
    PartitionResult table = tables(spec, third).get(0).result();
    assertThat(table.table().rowsRead()).isEqualTo(2);
    assertThat(table.table().watermark().before()).isEqualTo("2024-01-01 00:00:00.000002");
    assertThat(table.table().watermark().after()).isEqualTo("2024-01-01 00:00:01");
    assertThat(table.warning())
        .isEqualTo(
            "2 row(s) with NULL at: not copied (an incremental run copies rows with a value above"
                + " the watermark)");
    assertThat(storedWatermark(spec)).isEqualTo("2024-01-01 00:00:01");
  }

  /**
   * Rows sharing the boundary value that commit after a run are the loss users report most from
   * incremental tools (a strict {@code >}): with upsert on keys the boundary is read again ({@code
   * >=}), its repeats replace themselves, and a lookback re-reads late rows just below the mark.
   */
  @Test
  public void upsertOnKeysRereadsTheBoundarySoLateRowsAreNotLostNorDoubled() throws Exception {
    String table =
        "CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, at TIMESTAMP(6), note TEXT)";
    source.execute(
        table,
        "INSERT INTO events VALUES (1, '2024-01-01 00:00:00.000001', 'a'),"
            + " (2, '2024-01-01 00:00:00.000002', 'b')");
    sink.execute(table);
    String tables =
        "tables:\n  events: {table: events, target: events, write: upsert, keys: [id],"
            + " watermark: {column: at%s}}\nmode: incremental\n";
    JobSpec spec = job(String.format(tables, ""));

    assertThat(TabularTestBase.run(spec, false).status().name()).isEqualTo("SUCCEEDED");
    assertThat(storedWatermark(spec)).isEqualTo("2024-01-01 00:00:00.000002");

    // Committed after the run at the very boundary value: a strict > would never see it.
    source.execute(
        "INSERT INTO events VALUES (3, '2024-01-01 00:00:00.000002', 'same instant, late'),"
            + " (5, '2024-01-01 00:00:02', 'new')");
    RunRecord second = TabularTestBase.run(spec, false);

    assertThat(second.status().name()).isEqualTo("SUCCEEDED");
    assertThat(sink.rows("SELECT id || ':' || note FROM events ORDER BY id"))
        .containsExactly("1:a", "2:b", "3:same instant, late", "5:new");
    assertThat(storedWatermark(spec)).isEqualTo("2024-01-01 00:00:02");

    // Committed late below the mark: a lookback of one second reads it again, repeats replaced.
    source.execute("INSERT INTO events VALUES (4, '2024-01-01 00:00:01.5', 'below the mark')");
    RunRecord third = TabularTestBase.run(job(String.format(tables, ", lookback: 1s")), false);

    assertThat(third.status().name()).isEqualTo("SUCCEEDED");
    assertThat(sink.rows("SELECT id || ':' || note FROM events ORDER BY id"))
        .containsExactly("1:a", "2:b", "3:same instant, late", "4:below the mark", "5:new");
    assertThat(storedWatermark(spec)).isEqualTo("2024-01-01 00:00:02");
  }

  @Test
  public void aFailedIncrementalRunKeepsItsWatermarkAndTheRetryCopiesTheSameRange()
      throws Exception {
    source.execute(EVENTS, "INSERT INTO events VALUES (1, '2024-01-01 00:00:00.5', 'a')");
    sink.execute(EVENTS);
    JobSpec spec = incremental();
    TabularTestBase.run(spec, false);
    source.execute(
        "INSERT INTO events VALUES (2, '2024-01-02 00:00:00.000001', 'b'),"
            + " (3, '2024-01-03 00:00:00', 'refused')");
    sink.execute("ALTER TABLE events ADD CONSTRAINT no_refused CHECK (note <> 'refused')");

    RunRecord failed = TabularTestBase.run(spec, false);

    assertThat(failed.status().name()).isEqualTo("FAILED");
    PartitionResult table = tables(spec, failed).get(0).result();
    assertThat(table.firstError()).contains("source table events").contains("row 2");
    assertThat(table.table().watermark().after()).isEqualTo("2024-01-01 00:00:00.5");
    assertThat(storedWatermark(spec)).isEqualTo("2024-01-01 00:00:00.5");
    assertThat(sink.rows("SELECT id FROM events ORDER BY id")).containsExactly("1");

    sink.execute("ALTER TABLE events DROP CONSTRAINT no_refused");
    RunRecord retried = TabularTestBase.run(spec, false);

    assertThat(retried.status().name()).isEqualTo("SUCCEEDED");
    assertThat(sink.rows("SELECT id FROM events ORDER BY id")).containsExactly("1", "2", "3");
    assertThat(storedWatermark(spec)).isEqualTo("2024-01-03 00:00:00");
  }

  @Test
  public void aMissingTableOrColumnFailsThatTableWithOneLineAndRecordsNoWatermark()
      throws Exception {
    seedOrders();
    source.execute(EVENTS, "INSERT INTO events VALUES (1, '2024-01-01', 'a')");
    sink.execute(ORDERS, EVENTS);
    JobSpec spec =
        job(
            "tables:\n"
                + "  missing: {table: nope, target: orders, watermark: {column: at}}\n"
                + "  badcolumn:\n"
                + "    table: orders\n"
                + "    target: orders\n"
                + "    columns: [{source: nope, sink: id}]\n"
                + "    watermark: {column: at}\n"
                + "  badwatermark: {table: events, target: events, watermark: {column: nope}}\n"
                + "mode: incremental\n");

    RunRecord run = TabularTestBase.run(spec, false);

    assertThat(run.status().name()).isEqualTo("FAILED");
    assertThat(tables(spec, run))
        .extracting(r -> r.result().key().prefix() + ": " + r.result().firstError())
        .containsExactly(
            "badcolumn: source table orders has no column 'nope' (it has id, customer, amount,"
                + " at, at_tz, day, paid, note)",
            "badwatermark: source table events has no watermark.column 'nope' (it has id, at,"
                + " note)",
            "missing: source table nope: cannot be read: ERROR: relation \"nope\" does not exist");
    assertThat(tables(spec, run)).noneMatch(r -> r.result().succeeded());
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.watermark(spec.name(), "badcolumn", "at")).isEmpty();
    }
    assertThat(sink.rows("SELECT COUNT(*) FROM orders")).containsExactly("0");
  }

  @Test
  public void aWrongSourcePasswordIsOneLineWithoutTheSecretAndRecordsNoRun() throws Exception {
    sink.execute(EVENTS);
    String yaml =
        jobYaml("tables:\n  events: {table: events, target: events}\n")
            .replaceFirst("COPYJOB_TEST_PG_PASSWORD", "COPYJOB_TEST_S3_WRONG_SECRET");
    JobSpec wrong = JobSpecParser.parse(yaml, tmp.getRoot().toPath(), "job.yaml");

    assertThatThrownBy(() -> TabularTestBase.run(wrong, false))
        .isInstanceOf(JobException.class)
        .hasMessageStartingWith("source database jdbc:postgresql://")
        .hasMessageContaining("password authentication failed")
        .hasMessageNotContaining(System.getenv("COPYJOB_TEST_S3_WRONG_SECRET"))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    try (ControlStore control = ControlStore.open(wrong.control())) {
      assertThat(control.history(wrong.name(), 10)).isEmpty();
    }
  }

  private final java.io.StringWriter out = new java.io.StringWriter();
  private final java.io.StringWriter err = new java.io.StringWriter();

  private int copyjob(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return io.copyjob.cli.CopyJob.execute(
        new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), args);
  }

  @Test
  public void planAndHistoryShowTheWatermarkAndAResetMakesTheNextRunAFullLoad() throws Exception {
    source.execute(
        EVENTS, "INSERT INTO events VALUES (1, '2024-01-01 00:00:00.000001', 'a'), (2, NULL, 'b')");
    sink.execute(EVENTS);
    java.nio.file.Path jobFile = tmp.getRoot().toPath().resolve("job.yaml");
    java.nio.file.Files.writeString(
        jobFile,
        jobYaml(
            "tables:\n  events: {table: events, target: events, watermark: {column: at}}\n"
                + "mode: incremental\n"));

    assertThat(copyjob("plan", jobFile.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains(
            "table 'events' (source table events) -> "
                + schemaOf(sink)
                + ".events: 1 piece(s), at (full load) -> 2024-01-01 00:00:00.000001, 1 row(s)"
                + " with NULL at");
    assertThat(copyjob("run", jobFile.toString())).as(err.toString()).isZero();
    source.execute("INSERT INTO events VALUES (3, '2024-01-01 00:00:00.000002', 'c')");
    assertThat(copyjob("plan", jobFile.toString())).isZero();
    assertThat(out.toString())
        .contains("at 2024-01-01 00:00:00.000001 -> 2024-01-01 00:00:00.000002");
    assertThat(copyjob("run", jobFile.toString())).as(err.toString()).isZero();
    assertThat(copyjob("history", jobFile.toString(), "--run", "2")).isZero();
    assertThat(out.toString())
        .contains("WATERMARK BEFORE")
        .containsPattern(
            "events +succeeded .* 2024-01-01 00:00:00\\.000001 +2024-01-01 00:00:00\\.000002");
    assertThat(sink.rows("SELECT id FROM events ORDER BY id")).containsExactly("1", "2", "3");

    assertThat(copyjob("partitions", "reset", jobFile.toString(), "events")).isZero();
    assertThat(out.toString()).contains("cleared 1 watermark(s)");
    sink.execute("DELETE FROM events");
    assertThat(copyjob("run", jobFile.toString())).as(err.toString()).isZero();
    // A full load again: every row, the NULL one too.
    assertThat(sink.rows("SELECT id FROM events ORDER BY id")).containsExactly("1", "2", "3");
  }

  @Test
  public void theIncrementalExampleCopiesItsRowsThenOnlyTheNewOnes() throws Exception {
    java.nio.file.Path examples = java.nio.file.Path.of("examples").toAbsolutePath();
    String src = schemaOf(source);
    String dst = schemaOf(sink);
    source.execute(
        java.nio.file.Files.readString(examples.resolve("postgres-incremental.sql"))
            .replace("CREATE SCHEMA IF NOT EXISTS shop;", "")
            .replace("CREATE SCHEMA IF NOT EXISTS dw;", "")
            .replace("shop.", src + ".")
            .replace("dw.", dst + ".")
            .split(";\n"));
    String url = source.yaml().substring(source.yaml().indexOf("url: '") + 6);
    url = url.substring(0, url.indexOf('\''));
    String yaml =
        java.nio.file.Files.readString(examples.resolve("postgres-incremental.yaml"))
                .replace("jdbc:postgresql://127.0.0.1:55432/copyjob_test", url)
                .replace("user: copyjob", "user: " + System.getenv("COPYJOB_TEST_PG_USER"))
                .replace("COPYJOB_LOCAL_PG_PASSWORD", "COPYJOB_TEST_PG_PASSWORD")
                .replace("shop.", src + ".")
                .replace("dw.", dst + ".")
            + "control: {url: 'jdbc:h2:file:"
            + tmp.getRoot().toPath().resolve("control")
            + "'}\n";
    JobSpec spec = JobSpecParser.parse(yaml, examples, "postgres-incremental.yaml");

    assertThat(TabularTestBase.run(spec, false).status().name()).isEqualTo("SUCCEEDED");
    source.execute(
        "INSERT INTO " + src + ".events VALUES (4, 'refund', -5.00, '2024-03-01 09:05:00.250002')");
    RunRecord second = TabularTestBase.run(spec, false);

    assertThat(second.status().name()).isEqualTo("SUCCEEDED");
    assertThat(sink.rows("SELECT * FROM " + dst + ".events ORDER BY id"))
        .containsExactly(
            "1 | signup | null | 2024-03-01T09:00:00.000001",
            "2 | order | 19.90 | 2024-03-01T09:05:00.250",
            "3 | order | 5.00 | 2024-03-01T09:05:00.250001",
            "4 | refund | -5.00 | 2024-03-01T09:05:00.250002");
    assertThat(tables(spec, second).get(0).result().table().rowsWritten()).isEqualTo(1);
  }
}
