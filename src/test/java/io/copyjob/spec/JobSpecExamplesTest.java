package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.Mode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;

/** The job files in examples/ are what newcomers copy: each must parse and mean what it says. */
public class JobSpecExamplesTest {
  // Surefire runs tests in the project folder.
  private static final Path EXAMPLES = Path.of("examples").toAbsolutePath();

  @Test
  public void everyExampleParses() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(EXAMPLES)) {
      files =
          list.filter(f -> f.toString().endsWith(".yaml")).sorted().collect(Collectors.toList());
    }

    assertThat(files)
        .extracting(f -> f.getFileName().toString())
        .contains("delta-copy.yaml", "local-copy.yaml", "postgres-control.yaml");
    for (Path file : files) {
      assertThat(JobSpecParser.parse(file).name())
          .isEqualTo(file.getFileName().toString().replace(".yaml", ""));
    }
  }

  @Test
  public void localCopyUsesFoldersBesideTheJobFile() {
    JobSpec spec = JobSpecParser.parse(EXAMPLES.resolve("local-copy.yaml"));

    assertThat(spec.source().root()).isEqualTo(URI.create(EXAMPLES.toUri() + "data/in/"));
    assertThat(spec.source().partitions()).containsExactly("2019", "2020", "2021");
    assertThat(spec.sink().root()).isEqualTo(URI.create(EXAMPLES.toUri() + "data/out/"));
    assertThat(spec.control()).isEqualTo(ControlSpec.embeddedIn(EXAMPLES));
  }

  @Test
  public void deltaCopyStartsIn2019() {
    JobSpec spec = JobSpecParser.parse(EXAMPLES.resolve("delta-copy.yaml"));

    assertThat(spec.mode()).isEqualTo(Mode.DELTA);
    assertThat(spec.delta().initialStart())
        .isEqualTo(Optional.of(Instant.parse("2019-01-01T00:00:00Z")));
  }

  @Test
  public void continuousCopiesEveryThirtySecondsWithAMinuteOfOverlap() {
    JobSpec spec = JobSpecParser.parse(EXAMPLES.resolve("continuous.yaml"));

    assertThat(spec.mode()).isEqualTo(Mode.CONTINUOUS);
    assertThat(spec.delta().interval()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(spec.delta().overlap()).isEqualTo(java.time.Duration.ofMinutes(1));
    // The settings a run records parse back to the same spec.
    assertThat(JobSpecs.toJson(spec)).contains("\"continuous\":{\"interval\":\"30s\"}");
  }

  @Test
  public void continuousTablesAreReadEveryTenSecondsAndWrittenByKey() {
    JobSpec spec = JobSpecParser.parse(EXAMPLES.resolve("continuous-tables.yaml"));

    assertThat(spec.mode()).isEqualTo(Mode.CONTINUOUS);
    assertThat(spec.delta().interval()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(spec.tabular().table("events").rereadsBoundary()).isTrue();
    assertThat(spec.tabular().table("events").watermark().lookback())
        .isEqualTo(java.time.Duration.ofMinutes(1));
    assertThat(JobSpecParser.parse(JobSpecs.toJson(spec), EXAMPLES, "x.yaml")).isEqualTo(spec);
  }

  @Test
  public void postgresControlNamesThePasswordVariable() {
    JobSpec spec = JobSpecParser.parse(EXAMPLES.resolve("postgres-control.yaml"));

    assertThat(spec.control())
        .isEqualTo(
            new ControlSpec("jdbc:postgresql://127.0.0.1:5432/copyjob", "copyjob", "PGPASSWORD"));
    assertThat(spec.control().isEmbedded()).isFalse();
  }

  @Test
  public void hdfsToAdlsReachesTheClusterWithKerberos() {
    JobSpec spec = JobSpecParser.parse(EXAMPLES.resolve("hdfs-to-adls.yaml"));

    assertThat(spec.source().root())
        .isEqualTo(URI.create("hdfs://namenode.example.com:8020/warehouse/"));
    assertThat(spec.connectionFor(spec.source().root().toString()))
        .isEqualTo(
            new Connection.Hadoop(
                "cluster",
                java.util.Map.of("dfs.client.use.datanode.hostname", "true"),
                java.util.Map.of(),
                "etl@EXAMPLE.COM",
                "/etc/security/keytabs/etl.keytab"));
    // The settings a run records parse back to the same job.
    assertThat(JobSpecParser.parse(JobSpecs.toJson(spec), EXAMPLES, "settings").connections())
        .isEqualTo(spec.connections());
  }
}
