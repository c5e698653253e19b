package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Valid job files and the exact values they become; invalid ones are in the errors test. */
public class JobSpecParserTest {
  private static final Path JOBS = Path.of("/jobs");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void parsesEveryField() {
    String yaml =
        String.join(
            "\n",
            "name: s3-to-adls",
            "source:",
            "  root: s3://bucket/data",
            "  partitions: [a, b, '2019', '']",
            "sink:",
            "  root: abfss://container@account.dfs.core.windows.net/copy/",
            "copy:",
            "  behavior: flattenHierarchy",
            "  recursive: false",
            "  transfersPerWorker: 64",
            "mode: delta",
            "delta:",
            "  initialStart: 2019-01-01T06:30:00Z",
            "control:",
            "  url: jdbc:postgresql://127.0.0.1:5432/copyjob",
            "  user: copyjob",
            "  passwordEnv: PGPASSWORD",
            "");

    assertThat(parse(yaml))
        .isEqualTo(
            new JobSpec(
                "s3-to-adls",
                new SourceSpec(URI.create("s3://bucket/data/"), List.of("a", "b", "2019", "")),
                new SinkSpec(URI.create("abfss://container@account.dfs.core.windows.net/copy/")),
                new CopySpec(CopyBehavior.FLATTEN_HIERARCHY, false, 64),
                Mode.DELTA,
                new DeltaSpec(Instant.parse("2019-01-01T06:30:00Z")),
                new ControlSpec(
                    "jdbc:postgresql://127.0.0.1:5432/copyjob", "copyjob", "PGPASSWORD")));
  }

  @Test
  public void fillsDefaultsOfAMinimalFile() {
    String yaml = "name: minimal\nsource:\n  root: /data/src\nsink:\n  root: /data/dst\n";

    assertThat(parse(yaml))
        .isEqualTo(
            new JobSpec(
                "minimal",
                new SourceSpec(URI.create("file:///data/src/"), List.of()),
                new SinkSpec(URI.create("file:///data/dst/")),
                new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 16),
                Mode.FULL,
                DeltaSpec.none(),
                new ControlSpec(
                    "jdbc:h2:file:/jobs/.copyjob/copyjob;AUTO_SERVER=TRUE", null, null)));
  }

  @Test
  public void treatsEmptyBlocksAsDefaults() {
    String yaml =
        "name: j\nsource:\n  root: /a\n  partitions:\nsink:\n  root: /b\ncopy:\ndelta:\ncontrol:\n";

    JobSpec spec = parse(yaml);

    assertThat(spec.source().partitions()).isEmpty();
    assertThat(spec.copy()).isEqualTo(new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 16));
    assertThat(spec.delta()).isEqualTo(DeltaSpec.none());
    assertThat(spec.control()).isEqualTo(ControlSpec.embeddedIn(JOBS));
  }

  @Test
  public void resolvesRelativeRootsAgainstTheJobFileFolder() throws Exception {
    Path dir = tmp.newFolder("jobs").toPath();
    Files.createDirectory(dir.resolve("in"));
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(jobFile, "name: j\nsource:\n  root: in\nsink:\n  root: ../out\n");

    JobSpec spec = JobSpecParser.parse(jobFile);

    Path base = tmp.getRoot().toPath().toAbsolutePath().normalize();
    assertThat(spec.source().root()).isEqualTo(URI.create(base.toUri() + "jobs/in/"));
    assertThat(spec.sink().root()).isEqualTo(URI.create(base.toUri() + "out/"));
    assertThat(spec.control().url())
        .isEqualTo("jdbc:h2:file:" + base + "/jobs/.copyjob/copyjob;AUTO_SERVER=TRUE");
  }

  @Test
  public void normalisesRoots() {
    assertThat(root("file:///data/./src/../in")).isEqualTo(URI.create("file:///data/in/"));
    assertThat(root("file:/data/in")).isEqualTo(URI.create("file:///data/in/"));
    assertThat(root("file://localhost/data/in/")).isEqualTo(URI.create("file:///data/in/"));
    assertThat(root("/data/my folder")).isEqualTo(URI.create("file:///data/my%20folder/"));
    assertThat(root("S3://bucket")).isEqualTo(URI.create("s3://bucket/"));
    assertThat(root("azfs://account/container/a/../b"))
        .isEqualTo(URI.create("azfs://account/container/b/"));
    assertThat(root("hdfs://namenode:8020/data"))
        .isEqualTo(URI.create("hdfs://namenode:8020/data/"));
    assertThat(root("~/data"))
        .isEqualTo(URI.create(Path.of(System.getProperty("user.home")).toUri() + "data/"));
  }

  @Test
  public void readsADateAsMidnightUtcAndAnOffsetAsItsInstant() {
    String job = "name: j\nsource:\n  root: /a\nsink:\n  root: /b\nmode: delta\n";

    assertThat(parse(job + "delta:\n  initialStart: 2019-01-01\n").delta())
        .isEqualTo(new DeltaSpec(Instant.parse("2019-01-01T00:00:00Z")));
    assertThat(parse(job + "delta:\n  initialStart: '2019-01-01T02:00:00+02:00'\n").delta())
        .isEqualTo(new DeltaSpec(Instant.parse("2019-01-01T00:00:00Z")));
    assertThat(parse(job).delta()).isEqualTo(DeltaSpec.none());
  }

  @Test
  public void readsTheDeltaOverlapAsADurationFiveMinutesByDefault() {
    String job = "name: j\nsource:\n  root: /a\nsink:\n  root: /b\nmode: delta\n";

    assertThat(parse(job).delta().overlap()).isEqualTo(Duration.ofMinutes(5));
    assertThat(parse(job + "delta:\n  overlap: 30s\n").delta())
        .isEqualTo(new DeltaSpec(null, Duration.ofSeconds(30)));
    assertThat(parse(job + "delta:\n  overlap: 0s\n").delta().overlap()).isZero();
    assertThat(parse(job + "delta:\n  overlap: PT2H\n").delta().overlap())
        .isEqualTo(Duration.ofHours(2));
  }

  @Test
  public void rootsOnDifferentStoresOrSiblingsDoNotOverlap() {
    String job = "name: j\nsource:\n  root: %s\nsink:\n  root: %s\n";

    assertThat(parse(String.format(job, "/data/src", "/data/src2")).sink().root())
        .isEqualTo(URI.create("file:///data/src2/"));
    assertThat(parse(String.format(job, "s3://a/x/", "s3://b/x/")).sink().root())
        .isEqualTo(URI.create("s3://b/x/"));
    assertThat(parse(String.format(job, "s3://a/x/", "azfs://a/x/")).sink().root())
        .isEqualTo(URI.create("azfs://a/x/"));
  }

  @Test
  public void namesAMissingFileAsGiven() {
    assertThatThrownBy(() -> JobSpecParser.parse(Path.of("missing.yaml")))
        .isInstanceOf(SpecException.class)
        .hasMessage("missing.yaml: no such file");
  }

  @Test
  public void refusesAFolder() throws Exception {
    Path dir = tmp.newFolder("jobs.yaml").toPath();

    assertThatThrownBy(() -> JobSpecParser.parse(dir))
        .isInstanceOf(SpecException.class)
        .hasMessage(dir + ": is a folder, not a job file");
  }

  @Test
  public void namesTheFileInMessagesFromAPath() throws Exception {
    Path jobFile = tmp.newFile("job.yaml").toPath();
    Files.writeString(jobFile, "name: j\n");

    assertThatThrownBy(() -> JobSpecParser.parse(jobFile))
        .isInstanceOf(SpecException.class)
        .hasMessage(jobFile + ": source.root: required");
  }

  @Test
  public void tellsEmbeddedControlStoresFromServers() {
    assertThat(ControlSpec.embeddedIn(JOBS).isEmbedded()).isTrue();
    assertThat(new ControlSpec("jdbc:h2:mem:test", null, null).isEmbedded()).isTrue();
    assertThat(new ControlSpec("jdbc:h2:tcp://db/copyjob", null, null).isEmbedded()).isFalse();
    assertThat(new ControlSpec("jdbc:postgresql://db/copyjob", null, null).isEmbedded()).isFalse();
  }

  private static JobSpec parse(String yaml) {
    return JobSpecParser.parse(yaml, JOBS, "job.yaml");
  }

  private static URI root(String root) {
    String yaml = "name: j\nsource:\n  root: " + root + "\nsink:\n  root: s3://elsewhere/\n";
    return parse(yaml).source().root();
  }

  @Test
  public void anAdoptedControlTableTakesTheSeedsColumnNamesByDefault() {
    JobSpec spec =
        JobSpecParser.parse(
            "name: migrate\n"
                + "source:\n  root: s3://bucket/\n"
                + "sink:\n  root: file:///data/dst/\n"
                + "control:\n"
                + "  url: jdbc:postgresql://db/copyjob\n"
                + "  partitionTable:\n"
                + "    url: jdbc:sqlserver://adf.example:1433;databaseName=ops\n"
                + "    user: adf\n"
                + "    passwordEnv: ADF_PASSWORD\n"
                + "    table: dbo.s3_partition_control_table\n"
                + "    rootColumn: BucketName\n",
            Path.of("/jobs"),
            "job.yaml");
    assertThat(spec.partitionTable())
        .isEqualTo(
            new JobSpec.PartitionTableSpec(
                new JobSpec.ControlSpec(
                    "jdbc:sqlserver://adf.example:1433;databaseName=ops", "adf", "ADF_PASSWORD"),
                "dbo.s3_partition_control_table",
                "PartitionPrefix",
                "SuccessOrFailure",
                "JobRunTime",
                "BucketName"));
    assertThat(JobSpecParser.parse(JobSpecs.toJson(spec), Path.of("/jobs"), "again.json"))
        .isEqualTo(spec);
  }

  @Test
  public void throttlesAndPartitionsInFlightAreRead() {
    JobSpec spec =
        JobSpecParser.parse(
            "name: t\nsource:\n  root: /a/\nsink:\n  root: /b/\ncopy:\n"
                + "  partitionsInFlight: 2\n  maxRequestsPerSecond: 500\n"
                + "  maxBytesPerSecond: 1.5MiB\n  parallelism: 4\n  requestTimeout: 500ms\n",
            Path.of("/jobs"),
            "job.yaml");
    assertThat(spec.copy())
        .isEqualTo(
            new JobSpec.CopySpec(
                JobSpec.CopyBehavior.PRESERVE_HIERARCHY,
                true,
                16,
                2,
                500,
                1_572_864,
                4,
                java.time.Duration.ofMillis(500)));
  }

  @Test
  public void connectionsAreDeclaredOnceAndNamedByTheRoots() {
    JobSpec spec =
        JobSpecParser.parse(
            "name: s3-to-adls\n"
                + "connections:\n"
                + "  aws:\n"
                + "    type: s3\n"
                + "    region: eu-west-1\n"
                + "    endpoint: http://127.0.0.1:9000\n"
                + "    pathStyle: true\n"
                + "    accessKeyIdEnv: AWS_ACCESS_KEY_ID\n"
                + "    secretAccessKeyEnv: AWS_SECRET_ACCESS_KEY\n"
                + "  lake:\n"
                + "    type: azure\n"
                + "    account: devstoreaccount1\n"
                + "    endpoint: http://127.0.0.1:10000/devstoreaccount1\n"
                + "    accountKeyEnv: AZURE_STORAGE_KEY\n"
                + "    createContainer: true\n"
                + "source:\n  root: s3://bucket/\n  connection: aws\n"
                + "sink:\n  root: azfs://devstoreaccount1/lake/landing/\n  connection: lake\n",
            Path.of("/jobs"),
            "job.yaml");
    Connection.S3 aws =
        new Connection.S3(
            "aws",
            "eu-west-1",
            java.net.URI.create("http://127.0.0.1:9000"),
            true,
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            null,
            false);
    Connection.Azure lake =
        new Connection.Azure(
            "lake",
            "devstoreaccount1",
            java.net.URI.create("http://127.0.0.1:10000/devstoreaccount1"),
            "AZURE_STORAGE_KEY",
            null,
            null,
            true);
    assertThat(spec.connections()).isEqualTo(java.util.Map.of("aws", aws, "lake", lake));
    assertThat(spec.connectionFor("s3://bucket/")).isEqualTo(aws);
    assertThat(spec.connectionFor("s3://another-bucket/")).isEqualTo(aws);
    assertThat(spec.connectionFor("azfs://devstoreaccount1/lake/landing/")).isEqualTo(lake);
    assertThat(spec.connectionFor("file:///tmp/")).isNull();
    assertThat(JobSpecs.toJson(spec)).contains("\"secretAccessKeyEnv\":\"AWS_SECRET_ACCESS_KEY\"");
    assertThat(JobSpecParser.parse(JobSpecs.toJson(spec), Path.of("/jobs"), "again.json"))
        .isEqualTo(spec);
  }
}
