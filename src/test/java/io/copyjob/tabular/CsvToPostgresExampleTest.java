package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * examples/csv-to-postgres.yaml and json-to-postgres.yaml as a newcomer runs them, with the local
 * stack's addresses swapped for the test servers': its sample files, its tables' DDL, its mapping.
 */
public class CsvToPostgresExampleTest extends TabularTestBase {
  private static final Path EXAMPLES = Path.of("examples").toAbsolutePath();

  @Override
  SinkDatabase database() {
    return SinkDatabase.postgres();
  }

  /** The example's job file with the test servers' addresses and the sample files put there. */
  private JobSpec example(String name) throws Exception {
    Path data = EXAMPLES.resolve("data/sales");
    try (Stream<Path> files = Files.walk(data)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        put("sales/" + data.relativize(file), Files.readAllBytes(file));
      }
    }
    String sinkBlock = sink.yaml();
    String url = sinkBlock.substring(sinkBlock.indexOf("url: '") + 6, sinkBlock.indexOf("', user"));
    String yaml =
        Files.readString(EXAMPLES.resolve(name))
                .replace("http://127.0.0.1:9000", S3.endpoint().toString())
                .replace("s3://exports/", "s3://" + bucket + "/")
                .replace("COPYJOB_LOCAL_S3_", "COPYJOB_TEST_S3_")
                .replace("jdbc:postgresql://127.0.0.1:55432/copyjob_test", url)
                .replace("user: copyjob", "user: " + System.getenv("COPYJOB_TEST_PG_USER"))
                .replace("COPYJOB_LOCAL_PG_PASSWORD", "COPYJOB_TEST_PG_PASSWORD")
                .replace("public.", "")
            + "control: {url: 'jdbc:h2:file:"
            + tmp.getRoot().toPath().resolve("control")
            + "'}\n";
    return JobSpecParser.parse(yaml, EXAMPLES, name);
  }

  @Test
  public void theJsonExampleLoadsItsSampleFile() throws Exception {
    sink.execute(
        Files.readString(EXAMPLES.resolve("json-to-postgres.sql"))
            .replace("public.", "")
            .split(";"));
    JobSpec spec = example("json-to-postgres.yaml");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(
            sink.rows("SELECT id, order_id, amount, reason, returned_at FROM returns ORDER BY id"))
        .containsExactly(
            "1 | 1001 | 19.90 | arrived damaged | 2024-03-02T10:00:00Z",
            "2 | 1003 | 60.00 | null | 2024-03-05T15:30:00Z",
            "3 | 1005 | 0.99 | null | 2024-03-06T09:00:00Z");
  }

  @Test
  public void theExampleLoadsItsSampleFiles() throws Exception {
    sink.execute(
        Files.readString(EXAMPLES.resolve("csv-to-postgres.sql"))
            .replace("public.", "")
            .split(";"));
    JobSpec spec = example("csv-to-postgres.yaml");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(
            sink.rows("SELECT id, customer_id, amount, ordered_at, note FROM orders ORDER BY id"))
        .containsExactly(
            "1001 | 7 | 19.90 | 2024-01-03T10:15:00Z | first order",
            "1002 | 8 | 5.00 | 2024-01-04T09:00:00Z | gift wrap, please",
            "1003 | 7 | 120.00 | 2024-01-31T23:59:59Z | two\nlines",
            "1004 | 9 | 42.42 | 2024-02-01T08:30:00Z | null",
            "1005 | 8 | 0.99 | 2024-02-29T12:00:00Z | leap day");
    assertThat(sink.rows("SELECT id, name, joined FROM customers ORDER BY id"))
        .isEqualTo(
            List.of(
                "7 | Ada Lovelace | 2023-12-10",
                "8 | Grace Hopper | 2024-01-01",
                "9 | Edsger Dijkstra | 2024-05-11"));
    assertThat(run.totals().rowsWritten()).isEqualTo(8);
  }
}
