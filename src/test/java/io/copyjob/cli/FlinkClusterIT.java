package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.ProgressState;
import io.copyjob.control.ProgressTable;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.LiveProgress;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code copyjob run --runner=flink --flink-master=HOST:PORT} against a real standalone Flink 1.19
 * session cluster (a JobManager and a TaskManager JVM with two slots, the one the ITs share: {@link
 * FlinkTestCluster}) with a PostgreSQL control store.
 */
public class FlinkClusterIT {
  private static final Path ROOT = FlinkTestCluster.ROOT;
  private static final Path JAR = FlinkTestCluster.JAR;

  private static String master;

  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @BeforeClass
  public static void cluster() throws Exception {
    master = FlinkTestCluster.master();
  }

  @Test
  public void aPartitionedJobCopiesEveryFileAndRecordsWhatTheDirectRunnerRecords()
      throws Exception {
    List<String> partitions = List.of("p0", "p1", "p2", "p3", "p4", "p5", "empty");
    Map<String, byte[]> files = new TreeMap<>();
    Path source = tmp.newFolder("source").toPath();
    for (int i = 0; i < 300; i++) {
      String key = "p" + (i % 6) + "/d" + (i % 7) + "/f" + i + ".bin";
      files.put(key, TestTrees.write(source, key, 1_000 + 37 * i));
    }
    Path onFlink = job("flink", source, tmp.getRoot().toPath().resolve("sink-flink"), partitions);
    Path onDirect =
        job("direct", source, tmp.getRoot().toPath().resolve("sink-direct"), partitions);

    // As a user runs it: the launcher, the shaded jar, the jar found and staged by copyjob itself.
    Launched flink =
        launch("run", onFlink.toString(), "--runner=flink", "--flink-master=" + master);
    Launched direct = copyjob("run", onDirect.toString());

    assertThat(flink.exit).as(flink.err).isZero();
    assertThat(direct.exit).as(direct.err).isZero();
    TestTrees.assertTree(tmp.getRoot().toPath().resolve("sink-flink"), files);
    assertThat(flink.out)
        .contains("partitions  7 succeeded, 0 failed")
        .contains("files       300 copied, 0 skipped, 0 failed");
    assertThat(summaryCounts(flink.out)).isEqualTo(summaryCounts(direct.out));
    RunRecord flinkRun = lastRun(onFlink);
    RunRecord directRun = lastRun(onDirect);
    assertThat(flinkRun.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(flinkRun.runner()).isEqualTo("flink");
    assertThat(flinkRun.totals()).isEqualTo(directRun.totals());
    assertThat(partitionRuns(onFlink, flinkRun)).isEqualTo(partitionRuns(onDirect, directRun));
    assertThat(states(onFlink).values()).allMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
  }

  /**
   * The workers on the TaskManager write their progress to the PostgreSQL control store while the
   * Flink job runs (Beam's metrics are not readable from a running Flink job): polled here every
   * half second, the bytes and files grow in several steps, each heartbeat is recent, and {@code
   * copyjob status} reads the same rows. The copies are slowed by the job's own byte cap.
   */
  @Test
  public void progressRowsAdvanceWhileTheFlinkJobRunsAndStatusReadsThem() throws Exception {
    List<String> partitions = List.of("a", "b", "c");
    Map<String, byte[]> files = new TreeMap<>();
    Path source = tmp.newFolder("source").toPath();
    for (int i = 0; i < 240; i++) {
      String key = partitions.get(i % partitions.size()) + "/f" + i + ".bin";
      files.put(key, TestTrees.write(source, key, 64 * 1024));
    }
    long total = files.values().stream().mapToLong(b -> b.length).sum();
    Path sink = tmp.getRoot().toPath().resolve("sink");
    // 15 MiB at 1 MiB/s: some fifteen seconds of copying.
    Path jobFile = job("progress", source, sink, partitions, "copy:\n  maxBytesPerSecond: 1MiB\n");
    JobSpec spec = JobSpecParser.parse(jobFile);

    CompletableFuture<Launched> run = CompletableFuture.supplyAsync(() -> submit(jobFile));
    List<long[]> polls = new ArrayList<>(); // {millis since the first poll, bytes, files, lag ms}
    String status = null;
    long first = System.nanoTime();
    while (!run.isDone()) {
      try (ControlStore control = ControlStore.open(spec.control())) {
        Optional<RunRecord> last = control.history(spec.name(), 1).stream().findFirst();
        if (last.isPresent() && last.get().status() == RunStatus.RUNNING) {
          LiveProgress live = LiveProgress.read(control, last.get());
          assertThat(live.stale()).isNull();
          if (live.total().heartbeat() != null) {
            long lag = Duration.between(live.total().heartbeat(), live.now()).toMillis();
            polls.add(
                new long[] {
                  (System.nanoTime() - first) / 1_000_000,
                  live.total().bytes(),
                  live.total().filesDone(),
                  lag
                });
            if (status == null && live.total().filesDone() > 0) {
              status = copyjob("status", jobFile.toString()).out;
            }
          }
        }
      }
      Thread.sleep(500);
    }
    Launched launched = run.get();

    assertThat(launched.exit).as(launched.out + launched.err).isZero();
    TestTrees.assertTree(sink, files);
    List<long[]> partial = polls.stream().filter(p -> p[1] > 0 && p[1] < total).toList();
    List<Long> steps = partial.stream().map(p -> p[1]).distinct().toList();
    long maxLag = polls.stream().mapToLong(p -> p[3]).max().orElse(-1);
    double meanLag = polls.stream().mapToLong(p -> p[3]).average().orElse(-1);
    long span = partial.isEmpty() ? 0 : partial.get(partial.size() - 1)[0] - partial.get(0)[0];
    System.out.printf(
        "FlinkClusterIT progress: %d polls while RUNNING, bytes advanced %d times over %.1f s"
            + " (every %.1f s), heartbeat lag mean %.0f ms, max %d ms%n",
        polls.size(),
        steps.size(),
        span / 1000.0,
        steps.size() > 1 ? span / 1000.0 / (steps.size() - 1) : 0.0,
        meanLag,
        maxLag);
    assertThat(steps).as("bytes seen while the Flink job ran").hasSizeGreaterThanOrEqualTo(3);
    assertThat(steps).isSorted();
    assertThat(maxLag).as("heartbeat lag").isLessThan(ProgressTable.STALE_AFTER.toMillis());
    assertThat(status)
        .as("copyjob status while the job ran")
        .isNotNull()
        .contains(" RUNNING since ")
        .contains(" ago on flink")
        .containsPattern(
            "  files       [1-9][0-9]* copied, 0 skipped, 0 failed of [1-9][0-9]* listed");
    try (ControlStore control = ControlStore.open(spec.control())) {
      LiveProgress end = LiveProgress.read(control, lastRun(jobFile));
      assertThat(end.partitions())
          .extracting(ProgressRecord::state)
          .containsOnly(ProgressState.DONE);
      assertThat(end.total().bytes()).isEqualTo(total);
      assertThat(end.total().waitingMillis()).isPositive(); // the byte cap's waits
    }
  }

  @Test
  public void aKilledTaskManagerFailsTheRunAndTheRerunCompletesIt() throws Exception {
    List<String> partitions = List.of("a", "b", "c", "d", "e");
    Map<String, byte[]> files = new TreeMap<>();
    Path source = tmp.newFolder("source").toPath();
    for (int i = 0; i < 1_500; i++) {
      String key = partitions.get(i % partitions.size()) + "/f" + i + ".bin";
      files.put(key, TestTrees.write(source, key, 32 * 1024));
    }
    Path sink = tmp.getRoot().toPath().resolve("sink");
    Path jobFile = job("killed", source, sink, partitions, "copy:\n  transfersPerWorker: 1\n");

    CompletableFuture<Launched> killed = CompletableFuture.supplyAsync(() -> submit(jobFile));
    long copiedAtKill = waitForFiles(sink, 20, Duration.ofSeconds(90));
    ProcessHandle.of(FlinkTestCluster.taskManagerPid())
        .ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
    Launched first = killed.get(3, TimeUnit.MINUTES);

    assertThat(copiedAtKill).as("files at the sink when the TaskManager died").isLessThan(1_500);
    assertThat(first.exit).as(first.out + first.err).isEqualTo(CopyJob.FAILED);
    RunRecord failed = lastRun(jobFile);
    assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
    assertThat(failed.error()).isNotBlank();
    assertSucceededPartitionsAreComplete(jobFile, sink, files);

    FlinkTestCluster.start(); // starts a new TaskManager
    Launched rerun = submit(jobFile);

    assertThat(rerun.exit).as(rerun.out + rerun.err).isZero();
    // A copy killed mid-write leaves its hidden temporary file (".NAME.copyjob-UUID.tmp"): the
    // local store renames a file into place only when complete, and nobody lives to remove the
    // rest. Listings skip them; apart from them the sink is exactly the source.
    Path leftovers = tmp.newFolder("leftovers").toPath();
    try (Stream<Path> walk = Files.walk(sink)) {
      for (Path file : (Iterable<Path>) walk::iterator) {
        if (file.getFileName().toString().matches("\\..+\\.copyjob-[-0-9a-f]+\\.tmp")) {
          Files.move(file, leftovers.resolve(file.getFileName()));
        }
      }
    }
    assertThat(countFiles(leftovers)).isLessThanOrEqualTo(2); // at most one per slot
    TestTrees.assertTree(sink, files);
    assertThat(states(jobFile).values()).allMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
    assertThat(lastRun(jobFile).status()).isEqualTo(RunStatus.SUCCEEDED);
  }

  @Test
  public void tenJobsInARowOnOneClusterAllSucceed() throws Exception {
    Path source = tmp.newFolder("source").toPath();
    Map<String, byte[]> files =
        Map.of(
            "x/1.bin", TestTrees.write(source, "x/1.bin", 1_000),
            "x/2.bin", TestTrees.write(source, "x/2.bin", 2_000),
            "y/3.bin", TestTrees.write(source, "y/3.bin", 3_000));
    long taskManager = FlinkTestCluster.taskManagerPid();
    List<Long> metaspace = new ArrayList<>();

    for (int i = 1; i <= 10; i++) {
      Path sink = tmp.getRoot().toPath().resolve("sink-" + i);
      Launched run = submit(job("ten-" + i, source, sink, List.of("x", "y")));

      assertThat(run.exit).as("job " + i + ": " + run.out + run.err).isZero();
      TestTrees.assertTree(sink, files);
      metaspace.add(FlinkRest.taskManagerMetaspaceUsed(master));
    }

    assertThat(FlinkTestCluster.taskManagerPid()).isEqualTo(taskManager);
    System.out.println("TaskManager metaspace used after each job (MiB): " + mib(metaspace));
    // A new copy of Beam per job grew it by ~43 MB a job; with copyjob's jar in the cluster's lib
    // it stays flat after the first job.
    assertThat(metaspace.get(9) - metaspace.get(0)).isLessThan(64L << 20);
  }

  @Test
  public void anS3ToAzureJobOnTheClusterCopiesVerifiesAndRecords() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    List<String> partitions = List.of("a", "b", "c", "d", "e");
    Map<String, byte[]> files = new TreeMap<>();
    Random random = new Random(6);
    try (Store s3 = Stores.open(URI.create("s3://flink-" + id + "/"), S3.connection("aws", true))) {
      s3.prepare(true);
      for (int i = 0; i < 200; i++) {
        String key = partitions.get(i % 5) + "/day-" + (i % 3) + "/f" + i + ".csv";
        byte[] data = new byte[500 + random.nextInt(40_000)];
        random.nextBytes(data);
        s3.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
        files.put(key, data);
      }
    }
    String unique = "s3-azure-" + id;
    Path jobFile = tmp.getRoot().toPath().resolve(unique + ".yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + unique,
            "connections:",
            "  aws: {type: s3, endpoint: '" + S3.endpoint() + "', pathStyle: true,",
            "        accessKeyIdEnv: COPYJOB_TEST_S3_KEY, secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET}",
            "  lake: {type: azure, account: devstoreaccount1, endpoint: '"
                + AzuriteServer.endpoint()
                + "',",
            "         accountKeyEnv: COPYJOB_TEST_AZURE_KEY, createContainer: true}",
            "source: {root: 's3://flink-"
                + id
                + "/', connection: aws, partitions: "
                + partitions
                + "}",
            "sink: {root: 'azfs://devstoreaccount1/flink-" + id + "/landing/', connection: lake}",
            "control:",
            "  url: " + System.getenv("COPYJOB_TEST_PG_URL"),
            "  user: " + System.getenv("COPYJOB_TEST_PG_USER"),
            "  passwordEnv: COPYJOB_TEST_PG_PASSWORD",
            ""));

    Launched run = submit(jobFile);

    assertThat(run.exit).as(run.out + run.err).isZero();
    assertThat(run.out)
        .contains("partitions  5 succeeded, 0 failed")
        .contains("files       200 copied, 0 skipped, 0 failed");
    try (Store azure =
        Stores.open(
            URI.create("azfs://devstoreaccount1/flink-" + id + "/landing/"),
            AzuriteServer.connection("lake", false))) {
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        try (InputStream in = azure.open(file.getKey())) {
          assertThat(in.readAllBytes()).as(file.getKey()).isEqualTo(file.getValue());
        }
        assertThat(azure.stat(file.getKey()).orElseThrow().md5())
            .isEqualTo(HexFormat.of().formatHex(Checksums.newMd5().digest(file.getValue())));
      }
    }
    RunRecord recorded = lastRun(jobFile);
    assertThat(recorded.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(recorded.runner()).isEqualTo("flink");
    assertThat(states(jobFile).values()).allMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
  }

  // --- the stores the jobs use, in one place -----------------------------------------------------

  /**
   * Where a job copies from and to. Local folders for now: the TaskManager runs on this machine.
   * When the S3 and Azure stores land this becomes s3proxy -> Azurite.
   */
  private static String storesYaml(Path source, Path sink) {
    return "source:\n  root: " + source.toUri() + "\nsink:\n  root: " + sink.toUri() + "\n";
  }

  // --- helpers -----------------------------------------------------------------------------------

  private Path job(String name, Path source, Path sink, List<String> partitions, String... extra)
      throws Exception {
    String unique = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    String yaml =
        "name: "
            + unique
            + "\n"
            + storesYaml(source, sink)
                .replace("\nsink:", "\n  partitions: " + partitions + "\nsink:")
            + "control:\n"
            + "  url: "
            + System.getenv("COPYJOB_TEST_PG_URL")
            + "\n  user: "
            + System.getenv("COPYJOB_TEST_PG_USER")
            + "\n  passwordEnv: COPYJOB_TEST_PG_PASSWORD\n"
            + String.join("", extra);
    Path file = tmp.getRoot().toPath().resolve(unique + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** Submits in this JVM: the tests' classes are target/classes, so the jar is named. */
  private static Launched submit(Path jobFile) {
    return copyjob(
        "run",
        jobFile.toString(),
        "--runner=flink",
        "--flink-master=" + master,
        "--filesToStage=" + JAR);
  }

  private static Launched copyjob(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Launched(exit, out.toString(), err.toString());
  }

  /** Runs scripts/copyjob (the shaded jar) in its own JVM. */
  private static Launched launch(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ROOT.resolve("scripts/copyjob").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    builder.environment().put("COPYJOB_JAVA_OPTS", "-Xmx1g");
    Path err = Files.createTempFile("copyjob", ".err");
    builder.redirectError(err.toFile());
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
    String errors = Files.readString(err);
    Files.delete(err);
    return new Launched(process.exitValue(), out, errors);
  }

  private static long waitForFiles(Path sink, long atLeast, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      long count = copiedFiles(sink);
      if (count >= atLeast) {
        return count;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("fewer than " + atLeast + " files at " + sink + " after " + timeout);
  }

  private static long countFiles(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).count();
    }
  }

  /**
   * The files a run has copied to a local sink, less the hidden temporary files its copies write
   * first; the walk starts again when one of those is renamed into place as it passes.
   */
  private static long copiedFiles(Path sink) throws Exception {
    if (!Files.exists(sink)) {
      return 0;
    }
    try (Stream<Path> walk = Files.walk(sink)) {
      return walk.filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(Files::isRegularFile)
          .count();
    } catch (java.io.UncheckedIOException e) {
      return copiedFiles(sink);
    }
  }

  /** Every partition the control table calls SUCCEEDED has all of its files, byte for byte. */
  private static void assertSucceededPartitionsAreComplete(
      Path jobFile, Path sink, Map<String, byte[]> files) throws Exception {
    Map<String, byte[]> atSink = TestTrees.read(sink);
    for (PartitionState partition : states(jobFile).values()) {
      if (partition.status() != PartitionStatus.SUCCEEDED) {
        continue;
      }
      String prefix = partition.key().prefix();
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        if (file.getKey().startsWith(prefix)) {
          assertThat(atSink.get(file.getKey()))
              .as("%s of SUCCEEDED partition '%s'", file.getKey(), prefix)
              .isEqualTo(file.getValue());
        }
      }
    }
  }

  private static RunRecord lastRun(Path jobFile) throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.history(spec.name(), 1).get(0);
    }
  }

  private static Map<String, PartitionState> states(Path jobFile) throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    try (ControlStore control = ControlStore.open(spec.control())) {
      Map<String, PartitionState> states = new LinkedHashMap<>();
      for (PartitionState state : control.partitions(spec.name())) {
        states.put(state.key().prefix(), state);
      }
      return states;
    }
  }

  /** Per partition: status and counts of one run, without ids, times and roots. */
  private static Map<String, String> partitionRuns(Path jobFile, RunRecord run) throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.partitionRuns(run.runId()).stream()
          .map(PartitionRunRecord::result)
          .collect(
              Collectors.toMap(
                  r -> r.key().prefix(),
                  r ->
                      (r.succeeded() ? "succeeded" : "failed")
                          + " copied="
                          + r.filesCopied()
                          + " skipped="
                          + r.filesSkipped()
                          + " failed="
                          + r.filesFailed()
                          + " bytes="
                          + r.bytesCopied(),
                  (x, y) -> x,
                  TreeMap::new));
    }
  }

  /** The summary's partitions, files and bytes lines: what must not depend on the runner. */
  private static List<String> summaryCounts(String out) {
    return out.lines()
        .filter(l -> l.matches("\\s+(partitions|files|bytes)\\s.*"))
        .collect(Collectors.toList());
  }

  private static List<Long> mib(List<Long> bytes) {
    return bytes.stream().map(b -> b >> 20).collect(Collectors.toList());
  }

  private record Launched(int exit, String out, String err) {}
}
