package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.control.ControlStore;
import io.copyjob.pipeline.JobException;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import org.junit.Test;

/** The tabular copy into PostgreSQL (COPY FROM STDIN), in a schema of its own per test. */
public class PostgresTabularCopyTest extends TabularCopyContractTest {
  @Override
  SinkDatabase database() {
    return SinkDatabase.postgres();
  }

  @Test
  public void aWrongPasswordIsOneLineWithoutTheSecretAndRecordsNoRun() throws Exception {
    sink.execute(ORDERS_DDL);
    put("exports/orders/1.csv", ORDERS_HEADER + "1,1,1,1,true,2024-01-01,,,a,,\n");
    // The test server's password variable is replaced by one holding another value.
    String yaml =
        jobYaml("tables:\n  orders: {files: orders/, target: orders}\n")
            .replace("COPYJOB_TEST_PG_PASSWORD", "COPYJOB_TEST_S3_WRONG_SECRET");
    JobSpec wrong = JobSpecParser.parse(yaml, tmp.getRoot().toPath(), "job.yaml");

    assertThatThrownBy(() -> run(wrong, false))
        .isInstanceOf(JobException.class)
        .hasMessageStartingWith("sink database jdbc:postgresql://")
        .hasMessageContaining("cannot connect")
        .hasMessageContaining("password authentication failed")
        .hasMessageNotContaining(System.getenv("COPYJOB_TEST_S3_WRONG_SECRET"))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    try (ControlStore control = ControlStore.open(wrong.control())) {
      assertThat(control.history(wrong.name(), 10)).isEmpty();
    }
    assertThat(sink.rows("SELECT COUNT(*) FROM \"orders\"")).containsExactly("0");
  }
}
