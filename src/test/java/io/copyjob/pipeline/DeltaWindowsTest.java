package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
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
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Delta windows that miss no file, on every store (local folders, s3proxy, Azurite), each case as
 * it happens: a file changed in the previous window end's second, a client clock ahead of the
 * store's, an S3 multipart object stamped before it became visible, a chained job whose source
 * keeps old times. Every run is a real run on the DirectRunner; bytes are read back from the sink.
 */
public class DeltaWindowsTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @ClassRule public static final S3ProxyServer S3_ON_FILES = S3ProxyServer.onFiles();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private String id;
  private Path sink;

  @Before
  public void setUp() throws Exception {
    id = UUID.randomUUID().toString().substring(0, 8);
    sink = tmp.newFolder("sink").toPath();
  }

  @Test
  public void aLocalFileChangedInTheWatermarksSecondAfterItIsCopied() throws Exception {
    Path source = tmp.newFolder("source").toPath();
    Store store = Stores.open(source.toUri());
    // A file system that keeps whole seconds (FAT, ext3, an SMB share) stamps a change at
    // 12:09:52.568 as 12:09:52.
    assertChangeInTheWatermarksSecondIsCopied(
        source.toUri().toString(),
        null,
        (key, data) -> {
          Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
          Files.createDirectories(source.resolve(key).getParent());
          Files.write(source.resolve(key), data);
          Files.setLastModifiedTime(
              source.resolve(key), FileTime.from(before.truncatedTo(ChronoUnit.SECONDS)));
          return before;
        },
        store);
  }

  @Test
  public void anS3ObjectChangedInTheWatermarksSecondAfterItIsCopied() throws Exception {
    Connection.S3 aws = S3.connection("aws", true);
    String root = "s3://delta-" + id + "/";
    Store store = Stores.open(URI.create(root), aws);
    store.prepare(true);
    assertChangeInTheWatermarksSecondIsCopied(root, aws, putter(store), store);
  }

  @Test
  public void anAzureBlobChangedInTheWatermarksSecondAfterItIsCopied() throws Exception {
    Connection.Azure lake = AzuriteServer.connection("lake", true);
    String root = "azfs://devstoreaccount1/delta-" + id + "/in/";
    Store store = Stores.open(URI.create(root), lake);
    store.prepare(true);
    try {
      assertChangeInTheWatermarksSecondIsCopied(root, lake, putter(store), store);
    } finally {
      deleteAll(store);
    }
  }

  /** Writes a file and returns the instant just before it was written. */
  private interface Change {
    Instant write(String key, byte[] data) throws Exception;
  }

  private static Change putter(Store store) {
    return (key, data) -> {
      Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      store.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
      return before;
    };
  }

  /**
   * The previous window ended at W (its run listed then and saw nothing); a file changed after W,
   * in W's second, is listed with that whole second, earlier than W. A window starting at W, as the
   * next one did, never copies it.
   */
  private void assertChangeInTheWatermarksSecondIsCopied(
      String root, Connection connection, Change change, Store store) throws Exception {
    JobSpec spec = spec(root, connection, sink, Duration.ZERO);
    byte[] data = "changed after the watermark".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Instant watermark = null;
    for (int attempt = 0; attempt < 20 && watermark == null; attempt++) {
      Instant before = change.write("p/late.txt", data);
      Instant listed = listedTime(store, "p/late.txt");
      if (listed.isBefore(before) && listed.plusSeconds(1).isAfter(before)) {
        watermark = before; // else the write crossed a second: try again
      }
    }
    if (watermark == null) {
      fail("no write landed in the second it started in");
    }
    previousRunEndedAt(spec, root, watermark);
    intoTheNextSecond();

    RunRecord run = run(spec, Clock.systemUTC());

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals().filesCopied()).isEqualTo(1);
    assertThat(TestTrees.read(sink)).containsOnlyKeys("p/late.txt");
    assertThat(TestTrees.read(sink).get("p/late.txt")).isEqualTo(data);
    try (ControlStore control = ControlStore.open(spec.control())) {
      PartitionResult result = control.partitionRuns(run.runId()).get(0).result();
      // The window listed, as recorded: rounded down to the store's resolution.
      assertThat(result.windowStart())
          .isEqualTo(DeltaWindow.roundDown(watermark, store.timeResolution()));
    }
  }

  @Test
  public void aClientClockAheadOfTheS3StoresLosesNoObject() throws Exception {
    Connection.S3 aws = S3.connection("aws", true);
    String root = "s3://ahead-" + id + "/";
    Store store = Stores.open(URI.create(root), aws);
    store.prepare(true);
    assertClientClockAheadLosesNothing(root, aws, putter(store));
  }

  @Test
  public void aClientClockAheadOfThisMachinesFilesLosesNoFile() throws Exception {
    Path source = tmp.newFolder("source").toPath();
    assertClientClockAheadLosesNothing(
        source.toUri().toString(),
        null,
        (key, data) -> {
          Files.createDirectories(source.resolve(key).getParent());
          Files.write(source.resolve(key), data);
          return null;
        });
  }

  /** Runs twice with a clock an hour ahead (no overlap): a file written in between is copied. */
  private void assertClientClockAheadLosesNothing(String root, Connection connection, Change change)
      throws Exception {
    JobSpec spec = spec(root, connection, sink, Duration.ZERO);
    Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofHours(1));
    byte[] first = {1, 2, 3};
    byte[] second = {4, 5, 6, 7};
    change.write("p/first.bin", first);
    intoTheNextSecond();
    RunRecord one = run(spec, ahead);
    assertThat(one.totals().filesCopied()).isEqualTo(1);

    change.write("p/second.bin", second);
    intoTheNextSecond();
    RunRecord two = run(spec, ahead);

    assertThat(two.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(two.totals().filesCopied()).isEqualTo(1);
    assertThat(TestTrees.read(sink).get("p/second.bin")).isEqualTo(second);
    try (ControlStore control = ControlStore.open(spec.control())) {
      // The window ended at the store's time, not at this (wrong) clock's.
      PartitionResult result = control.partitionRuns(one.runId()).get(0).result();
      assertThat(result.windowEnd()).isBefore(one.startedAt().minus(Duration.ofMinutes(59)));
    }
  }

  @Test
  public void aMultipartObjectStampedBeforeThePreviousWindowsEndIsCopiedThanksToTheOverlap()
      throws Exception {
    Connection.S3 aws = S3_ON_FILES.connection("aws", true);
    String bucket = "multipart-" + id;
    String root = "s3://" + bucket + "/";
    Stores.open(URI.create(root), aws).prepare(true);
    JobSpec withOverlap = spec(root, aws, sink, DeltaSpec.DEFAULT_OVERLAP);
    Path noOverlapSink = tmp.newFolder("sink-no-overlap").toPath();
    JobSpec withoutOverlap = spec(root, aws, noOverlapSink, Duration.ZERO);
    S3Client s3 = client(aws);
    // The partition lists a file in the first runs: one that lists none keeps its watermark.
    s3.putObject(b -> b.bucket(bucket).key("p/old.txt"), RequestBody.fromString("old"));
    // S3 gives a multipart object the time its upload started, and shows it only once completed.
    Instant started = Instant.now();
    String upload = s3.createMultipartUpload(c -> c.bucket(bucket).key("p/big.bin")).uploadId();
    byte[] data = new byte[100_000];
    new java.util.Random(7).nextBytes(data);
    String eTag =
        s3.uploadPart(
                u -> u.bucket(bucket).key("p/big.bin").uploadId(upload).partNumber(1),
                RequestBody.fromBytes(data))
            .eTag();
    Thread.sleep(1100); // the runs' windows end in a later second than the upload's start
    assertThat(run(withOverlap, Clock.systemUTC()).totals().filesCopied()).isEqualTo(1);
    assertThat(run(withoutOverlap, Clock.systemUTC()).totals().filesCopied()).isEqualTo(1);

    s3.completeMultipartUpload(
        c ->
            c.bucket(bucket)
                .key("p/big.bin")
                .uploadId(upload)
                .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(eTag))));
    // s3proxy stamps the completion instead: give the object the time S3 gives it.
    Files.setLastModifiedTime(S3_ON_FILES.objectFile(bucket, "p/big.bin"), FileTime.from(started));

    RunRecord next = run(withOverlap, Clock.systemUTC());

    assertThat(next.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(next.totals().filesCopied()).isEqualTo(1);
    assertThat(TestTrees.read(sink).get("p/big.bin")).isEqualTo(data);
    // Without an overlap the object is never copied: what the overlap is for.
    assertThat(run(withoutOverlap, Clock.systemUTC()).totals().filesCopied()).isZero();
    assertThat(TestTrees.read(noOverlapSink)).containsOnlyKeys("p/old.txt");
  }

  @Test
  public void aChainedDeltaJobCopiesWhatItsSourceJobWroteWithAnOlderTime() throws Exception {
    Path source = tmp.newFolder("source").toPath();
    Path middle = tmp.newFolder("middle").toPath();
    JobSpec first = spec(source.toUri().toString(), null, middle, DeltaSpec.DEFAULT_OVERLAP);
    JobSpec chained =
        rename(spec(middle.toUri().toString(), null, sink, DeltaSpec.DEFAULT_OVERLAP), "chained");
    byte[] data = TestTrees.write(source, "p/report.csv", 5_000);
    // The chained job lists the middle folder before the first job has copied the file there.
    assertThat(run(chained, Clock.systemUTC()).totals().filesCopied()).isZero();
    assertThat(run(first, Clock.systemUTC()).totals().filesCopied()).isEqualTo(1);
    // copyjob's local sink keeps the source's time, earlier than the chained job's last window end.
    assertThat(Files.getLastModifiedTime(middle.resolve("p/report.csv")))
        .isEqualTo(Files.getLastModifiedTime(source.resolve("p/report.csv")));

    RunRecord next = run(chained, Clock.systemUTC());

    assertThat(next.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(next.totals()).isEqualTo(new RunTotals(1, 0, 1, 0, 0, 5_000));
    TestTrees.assertTree(sink, Map.of("p/report.csv", data));
  }

  /**
   * A window ends at the store's time, which S3 and Azure give in whole seconds: a file of the
   * current second is left to the next window (the listing may not show it yet), so a test waits
   * for the next second before a run that must copy it.
   */
  private static void intoTheNextSecond() throws InterruptedException {
    Thread.sleep(1000 - Instant.now().toEpochMilli() % 1000 + 10);
  }

  private void previousRunEndedAt(JobSpec spec, String root, Instant end) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      long runId = control.startRun(spec.name(), end, "delta", "direct", "{}");
      control.recordPartitionResult(
          runId,
          spec.name(),
          end,
          new PartitionResult(new PartitionKey(root, "p/"), 0, 0, 0, 0, null, null, end));
      control.finishRun(runId, RunStatus.SUCCEEDED, new RunTotals(1, 0, 0, 0, 0, 0), end, null);
    }
  }

  private static Instant listedTime(Store store, String key) throws Exception {
    try (Listing listing = store.list(key, true)) {
      return listing.next().lastModified();
    }
  }

  private static void deleteAll(Store store) throws Exception {
    try (Listing listing = store.list("", true)) {
      while (listing.hasNext()) {
        store.delete(listing.next().key());
      }
    }
  }

  private static S3Client client(Connection.S3 aws) {
    return S3Client.builder()
        .endpointOverride(aws.endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
        .build();
  }

  private JobSpec spec(String root, Connection connection, Path sinkDir, Duration overlap) {
    Map<String, Connection> connections = new HashMap<>();
    if (connection != null) {
      connections.put(connection.name(), connection);
    }
    return new JobSpec(
        "delta-" + id,
        new SourceSpec(
            URI.create(root), List.of("p/"), connection == null ? null : connection.name()),
        new SinkSpec(sinkDir.toUri()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 4),
        Mode.DELTA,
        new DeltaSpec(null, overlap),
        new ControlSpec(
            "jdbc:h2:file:"
                + tmp.getRoot().toPath().resolve("control-" + sinkDir.getFileName())
                + ";AUTO_SERVER=TRUE",
            null,
            null),
        null,
        connections);
  }

  private static JobSpec rename(JobSpec s, String name) {
    return new JobSpec(
        s.name() + "-" + name,
        s.source(),
        s.sink(),
        s.copy(),
        s.mode(),
        s.delta(),
        s.control(),
        s.partitionTable(),
        s.connections());
  }

  static RunRecord run(JobSpec spec, Clock clock) throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return new FileCopyJob(
            spec,
            options,
            "direct",
            "{}",
            new PrintStream(new ByteArrayOutputStream()),
            false,
            clock)
        .run();
  }
}
