package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.cli.CopyJob;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Partitioned copies between the real servers: S3 (s3proxy) and Azure Blob Storage (Azurite), on
 * the DirectRunner with an H2 control store. Bytes are read back from the sink; statuses and
 * checksums are what the control tables and the sink hold.
 */
public class CloudCopyTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private String id;
  private Connection.S3 aws;
  private Connection.Azure lake;
  private final Map<String, byte[]> files = new LinkedHashMap<>();

  @Before
  public void setUp() {
    id = UUID.randomUUID().toString().substring(0, 8);
    aws = S3.connection("aws", true);
    lake = AzuriteServer.connection("lake", true);
    Random random = new Random(42);
    for (String key :
        List.of("a/1.csv", "a/deep/2.csv", "apple.csv", "b/3.bin", "b/empty.txt", "f/9.csv")) {
      byte[] data = new byte[key.contains("empty") ? 0 : 1000 + random.nextInt(200_000)];
      random.nextBytes(data);
      files.put(key, data);
    }
  }

  private Store fill(String root, Connection connection) throws Exception {
    Store store = Stores.open(URI.create(root), connection);
    store.prepare(true);
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      byte[] data = file.getValue();
      store.put(
          file.getKey(),
          new ByteArrayInputStream(data),
          new FileInfo(file.getKey(), data.length, null, null));
    }
    return store;
  }

  private JobSpec spec(String source, Connection from, String sink, Connection to) {
    Map<String, Connection> connections = new LinkedHashMap<>();
    connections.put(from.name(), from);
    connections.put(to.name(), to);
    return new JobSpec(
        "cloud-" + id,
        new SourceSpec(URI.create(source), List.of("a", "b", "c"), from.name()),
        new SinkSpec(URI.create(sink), to.name()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 8),
        Mode.FULL,
        DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control") + ";AUTO_SERVER=TRUE",
            null,
            null),
        null,
        connections);
  }

  private static FileCopyJob job(JobSpec spec) {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return new FileCopyJob(
        spec, options, "direct", "{}", new PrintStream(new ByteArrayOutputStream()), false);
  }

  /** The partitions a to c: everything but f/9.csv. */
  private Map<String, byte[]> copied() {
    Map<String, byte[]> expected = new TreeMap<>(files);
    expected.remove("f/9.csv");
    return expected;
  }

  private static long bytes(Map<String, byte[]> files) {
    return files.values().stream().mapToLong(b -> b.length).sum();
  }

  private static Map<String, byte[]> readAll(Store store) throws Exception {
    Map<String, byte[]> read = new TreeMap<>();
    try (Listing listing = store.list("", true)) {
      while (listing.hasNext()) {
        String key = listing.next().key();
        try (InputStream in = store.open(key)) {
          read.put(key, in.readAllBytes());
        }
      }
    }
    return read;
  }

  private static void assertSameFiles(Map<String, byte[]> actual, Map<String, byte[]> expected) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((key, data) -> assertThat(actual.get(key)).as(key).isEqualTo(data));
  }

  private static String md5(byte[] data) {
    return HexFormat.of().formatHex(Checksums.newMd5().digest(data));
  }

  @Test
  public void s3ToAzurePartitionedCopyKeepsBytesAndChecksums() throws Exception {
    String source = "s3://src-" + id + "/";
    String sink = "azfs://devstoreaccount1/lake-" + id + "/landing/";
    fill(source, aws).close();
    JobSpec spec = spec(source, aws, sink, lake);

    FileCopyJob job = job(spec);
    RunRecord run = job.run();

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals()).isEqualTo(new RunTotals(3, 0, 5, 0, 0, bytes(copied())));
    // Azurite reads no URL outside itself: one refused copy-from-URL, then every file streamed.
    assertThat(job.counters().getOrDefault(CopyMetrics.FILES_SERVER_SIDE, 0L)).isZero();
    try (Store azure = Stores.open(URI.create(sink), lake)) {
      assertSameFiles(readAll(azure), copied());
      for (Map.Entry<String, byte[]> file : copied().entrySet()) {
        assertThat(azure.stat(file.getKey()).orElseThrow().md5())
            .as("Content-MD5 of " + file.getKey())
            .isEqualTo(md5(file.getValue()));
      }
    }
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitions(spec.name()))
          .extracting(p -> p.key().prefix() + "=" + p.status() + "/" + p.files())
          .containsExactly("a=SUCCEEDED/3", "b=SUCCEEDED/2", "c=SUCCEEDED/0");
      // The manifest: each file, its sink key, size and the MD5 it was verified with.
      assertThat(control.files(run.runId(), false))
          .extracting(f -> f.sourceKey() + " " + f.outcome() + " " + f.size() + " " + f.md5())
          .containsExactlyInAnyOrderElementsOf(
              copied().entrySet().stream()
                  .map(e -> e.getKey() + " COPIED " + e.getValue().length + " " + md5(e.getValue()))
                  .toList());
      assertThat(control.resetPartitions(spec.name(), List.of())).isEqualTo(3);
    }

    RunRecord recheck = job(spec).run();

    assertThat(recheck.totals()).isEqualTo(new RunTotals(3, 0, 0, 5, 0, 0));
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.files(recheck.runId(), false))
          .extracting(f -> f.outcome() + " " + f.md5())
          .containsExactlyInAnyOrderElementsOf(
              copied().values().stream().map(data -> "SKIPPED " + md5(data)).toList());
      assertThat(control.files(recheck.runId(), true)).isEmpty();
    }
  }

  @Test
  public void azureToS3() throws Exception {
    String source = "azfs://devstoreaccount1/src-" + id + "/data/";
    String sink = "s3://dst-" + id + "/copy/";
    fill(source, lake).close();

    RunRecord run = job(spec(source, lake, sink, aws)).run();

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals()).isEqualTo(new RunTotals(3, 0, 5, 0, 0, bytes(copied())));
    try (Store s3 = Stores.open(URI.create(sink), aws)) {
      assertSameFiles(readAll(s3), copied());
    }
  }

  @Test
  public void s3ToS3CopiesServerSide() throws Exception {
    String source = "s3://src-" + id + "/";
    String sink = "s3://dst-" + id + "/";
    fill(source, aws).close();
    JobSpec spec = spec(source, aws, sink, aws);

    FileCopyJob job = job(spec);
    RunRecord run = job.run();

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(job.counters().get(CopyMetrics.FILES_SERVER_SIDE)).isEqualTo(5);
    try (Store s3 = Stores.open(URI.create(sink), aws)) {
      assertSameFiles(readAll(s3), copied());
    }
  }

  private Path jobFile(String sourceRoot, String secretEnv) throws Exception {
    Path file = tmp.getRoot().toPath().resolve("job.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: cli-" + id,
            "connections:",
            "  aws:",
            "    type: s3",
            "    endpoint: " + S3.endpoint(),
            "    pathStyle: true",
            "    accessKeyIdEnv: COPYJOB_TEST_S3_KEY",
            "    secretAccessKeyEnv: " + secretEnv,
            "source:",
            "  root: " + sourceRoot,
            "  connection: aws",
            "  partitions: [a]",
            "sink:",
            "  root: ./out/",
            ""));
    return file;
  }

  private String[] copyjob(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }

  @Test
  public void wrongCredentialsAreOneLineNamingTheConnectionAndRecordNothing() throws Exception {
    fill("s3://src-" + id + "/", aws).close();
    Path job = jobFile("s3://src-" + id + "/", "COPYJOB_TEST_S3_WRONG_SECRET");

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .startsWith("copyjob: connection 'aws': bucket 'src-" + id + "': access denied")
        .hasLineCount(1);
    String wrongSecret = System.getenv("COPYJOB_TEST_S3_WRONG_SECRET");
    assertThat(result[1] + result[2])
        .doesNotContain(wrongSecret)
        .doesNotContain(S3ProxyServer.SECRET_KEY);
    assertThat(history(job)).isEmpty();
    assertThat(tmp.getRoot().toPath().resolve("out")).doesNotExist();
  }

  @Test
  public void aMissingBucketIsOneLineAndRecordsNothing() throws Exception {
    Path job = jobFile("s3://missing-" + id + "/", "COPYJOB_TEST_S3_SECRET");

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: connection 'aws': bucket 'missing-"
                + id
                + "' does not exist"
                + System.lineSeparator());
    assertThat(history(job)).isEmpty();
  }

  /** A job copying the folder in/ to {@code sinkRoot} on S3, with both caps set. */
  private Path cappedUpload(String sinkRoot, boolean createBucket) throws Exception {
    Path in = tmp.getRoot().toPath().resolve("in");
    for (Map.Entry<String, byte[]> file : copied().entrySet()) {
      Path path = in.resolve(file.getKey());
      Files.createDirectories(path.getParent());
      Files.write(path, file.getValue());
    }
    Path job = tmp.getRoot().toPath().resolve("capped.yaml");
    Files.writeString(
        job,
        String.join(
            "\n",
            "name: capped-" + id,
            "connections:",
            "  aws:",
            "    type: s3",
            "    endpoint: " + S3.endpoint(),
            "    pathStyle: true",
            "    accessKeyIdEnv: COPYJOB_TEST_S3_KEY",
            "    secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET",
            "    createBucket: " + createBucket,
            "source:",
            "  root: ./in/",
            "sink:",
            "  root: " + sinkRoot,
            "  connection: aws",
            "copy:",
            "  maxBytesPerSecond: 100MB",
            "  maxRequestsPerSecond: 1000",
            ""));
    return job;
  }

  /**
   * A cap wraps every store in a throttle, which used to drop the check before the run: a missing
   * bucket then failed every file, slowly, and the partitions were recorded failed.
   */
  @Test
  public void withCapsAMissingBucketIsStillOneLineAndRecordsNothing() throws Exception {
    Path job = cappedUpload("s3://missing-" + id + "/", false);

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: connection 'aws': bucket 'missing-"
                + id
                + "' does not exist (set createBucket: true to create it)"
                + System.lineSeparator());
    assertThat(history(job)).isEmpty();
  }

  @Test
  public void withCapsCreateBucketIsHonoured() throws Exception {
    String sink = "s3://made-" + id + "/";
    Path job = cappedUpload(sink, true);

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).as(result[2]).isEqualTo("0");
    JobSpec spec = io.copyjob.spec.JobSpecParser.parse(job);
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.history(spec.name(), 10))
          .extracting(r -> r.status() + "/" + r.totals().filesCopied())
          .containsExactly("SUCCEEDED/5");
    }
    try (Store s3 = Stores.open(URI.create(sink), aws)) {
      assertSameFiles(readAll(s3), copied());
    }
  }

  private List<String> history(Path jobFile) throws Exception {
    JobSpec spec = io.copyjob.spec.JobSpecParser.parse(jobFile);
    try (ControlStore control = ControlStore.open(spec.control())) {
      List<PartitionState> partitions = control.partitions(spec.name());
      assertThat(partitions).noneMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
      return control.history(spec.name(), 10).stream().map(r -> r.status().name()).toList();
    }
  }
}
