package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.Test;

public class JobSpecsTest {
  private static final JobSpec DELTA_JOB =
      new JobSpec(
          "s3-to-adls",
          new SourceSpec(URI.create("s3://bucket/data/"), List.of("a", "")),
          new SinkSpec(URI.create("azfs://account/container/")),
          new CopySpec(CopyBehavior.FLATTEN_HIERARCHY, false, 32),
          Mode.DELTA,
          new DeltaSpec(Instant.parse("2019-01-01T00:00:00Z")),
          new ControlSpec("jdbc:postgresql://db/copyjob", "copyjob", "PGPASSWORD"));

  @Test
  public void rendersTheSettingsWithTheJobFileKeys() {
    assertThat(JobSpecs.toJson(DELTA_JOB))
        .isEqualTo(
            "{\"name\":\"s3-to-adls\","
                + "\"source\":{\"root\":\"s3://bucket/data/\",\"partitions\":[\"a\",\"\"]},"
                + "\"sink\":{\"root\":\"azfs://account/container/\"},"
                + "\"copy\":{\"behavior\":\"flattenHierarchy\",\"recursive\":false,"
                + "\"transfersPerWorker\":32,\"partitionsInFlight\":0,"
                + "\"maxRequestsPerSecond\":0,\"maxBytesPerSecond\":0,\"parallelism\":0,\"requestTimeout\":\"1m\"},"
                + "\"mode\":\"delta\","
                + "\"delta\":{\"initialStart\":\"2019-01-01T00:00:00Z\"},"
                + "\"control\":{\"url\":\"jdbc:postgresql://db/copyjob\",\"user\":\"copyjob\","
                + "\"passwordEnv\":\"PGPASSWORD\"}}");
  }

  @Test
  public void rendersAJobFileThatParsesBackToTheSameSpec() {
    JobSpec minimal =
        JobSpecParser.parse(
            "name: j\nsource:\n  root: /a\nsink:\n  root: /b\n", Path.of("/jobs"), "job.yaml");

    for (JobSpec spec : List.of(DELTA_JOB, minimal)) {
      assertThat(JobSpecParser.parse(JobSpecs.toJson(spec), Path.of("/other"), "history.json"))
          .isEqualTo(spec);
    }
  }

  @Test
  public void masksAPasswordInTheControlUrl() {
    JobSpec spec =
        new JobSpec(
            DELTA_JOB.name(),
            DELTA_JOB.source(),
            DELTA_JOB.sink(),
            DELTA_JOB.copy(),
            Mode.FULL,
            DeltaSpec.none(),
            new ControlSpec("jdbc:sqlserver://db;user=c;password=s3cret;encrypt=true", null, null));

    assertThat(JobSpecs.toJson(spec))
        .contains("\"url\":\"jdbc:sqlserver://db;user=c;password=***;encrypt=true\"")
        .doesNotContain("s3cret");
  }
}
