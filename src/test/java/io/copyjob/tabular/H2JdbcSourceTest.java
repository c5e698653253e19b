package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * An H2 database as a source (upper-case names, nanosecond timestamps), into H2: a pattern, range
 * pieces of a timestamp column, and an incremental watermark exact to the nanosecond.
 */
public class H2JdbcSourceTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final String sourceUrl = "jdbc:h2:mem:source-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
  private Connection keepOpen;
  private SinkDatabase sink;

  @Before
  public void setUp() throws SQLException {
    keepOpen = DriverManager.getConnection(sourceUrl);
    sink = SinkDatabase.h2();
  }

  @After
  public void tearDown() throws SQLException {
    execute("SHUTDOWN");
    sink.drop();
  }

  private void execute(String... sql) throws SQLException {
    try (Statement st = keepOpen.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  /** The source database, to read its rows as the sink's are read. */
  private SinkDatabase source() {
    return new SinkDatabase() {
      @Override
      String yaml() {
        return "";
      }

      @Override
      Connection connect() throws SQLException {
        return DriverManager.getConnection(sourceUrl);
      }

      @Override
      void drop() {}
    };
  }

  private JobSpec job(String rest) {
    return JobSpecParser.parse(
        "name: h2src\nsource:\n  database: {url: '"
            + sourceUrl
            + "'}\nsink:\n"
            + sink.yaml()
            + rest
            + "control: {url: 'jdbc:h2:file:"
            + tmp.getRoot().toPath().resolve("control")
            + "'}\n",
        tmp.getRoot().toPath(),
        "job.yaml");
  }

  @Test
  public void aPatternAndTimestampRangesAreCopiedRowForRow() throws Exception {
    execute(
        "CREATE SCHEMA sales",
        "CREATE TABLE sales.log_a (id INT, at TIMESTAMP(9), v VARCHAR(20))",
        "CREATE TABLE sales.log_b (id INT, at TIMESTAMP(9), v VARCHAR(20))",
        "INSERT INTO sales.log_a SELECT x, TIMESTAMP '2024-01-01 00:00:00' + x * INTERVAL"
            + " '0.000000001' SECOND, 'a' || x FROM SYSTEM_RANGE(1, 300)",
        "INSERT INTO sales.log_b VALUES (1, NULL, 'null time')");
    sink.execute(
        "CREATE TABLE log_a (id INT, at TIMESTAMP(9), v VARCHAR(20))",
        "CREATE TABLE log_b (id INT, at TIMESTAMP(9), v VARCHAR(20))");
    JobSpec spec =
        job(
            "tables:\n  logs: {pattern: 'sales.log_?', target: 'public.*', partitionColumn: at,"
                + " pieces: 3}\n");

    RunRecord run = TabularTestBase.run(spec, false);

    assertThat(run.status().name()).isEqualTo("SUCCEEDED");
    assertThat(sink.rows("SELECT * FROM log_a ORDER BY id"))
        .isEqualTo(source().rows("SELECT * FROM sales.log_a ORDER BY id"))
        .hasSize(300)
        .contains("300 | 2024-01-01T00:00:00.000000300 | a300");
    assertThat(sink.rows("SELECT * FROM log_b")).containsExactly("1 | null | null time");
  }

  @Test
  public void anIncrementalWatermarkKeepsNanoseconds() throws Exception {
    execute(
        "CREATE TABLE events (id INT, at TIMESTAMP(9))",
        "INSERT INTO events VALUES (1, TIMESTAMP '2024-01-01 00:00:00.000000001')");
    sink.execute("CREATE TABLE events (id INT, at TIMESTAMP(9))");
    JobSpec spec =
        job(
            "tables:\n  events: {table: events, target: events, watermark: {column: at}}\n"
                + "mode: incremental\n");

    TabularTestBase.run(spec, false);
    execute("INSERT INTO events VALUES (2, TIMESTAMP '2024-01-01 00:00:00.000000002')");
    RunRecord second = TabularTestBase.run(spec, false);

    assertThat(second.status().name()).isEqualTo("SUCCEEDED");
    assertThat(sink.rows("SELECT id, at FROM events ORDER BY id"))
        .containsExactly("1 | 2024-01-01T00:00:00.000000001", "2 | 2024-01-01T00:00:00.000000002");
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.watermark("h2src", "events", "AT")).isEmpty();
      assertThat(control.watermark("h2src", "events", "at"))
          .contains("2024-01-01 00:00:00.000000002");
    }
  }
}
