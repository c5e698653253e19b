package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.Assume.assumeTrue;

import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code copyjob run} (the shaded jar in its own JVM, as a user runs it) killed with -9 at a random
 * moment of its copies, then run again: the sink ends byte-equal to the source; no partition was
 * ever marked SUCCEEDED with a file missing or different at the sink, neither by the killed run nor
 * by the next; nothing was written outside the sink root; a local sink keeps no temporary file.
 *
 * <p>Each direction named in {@code copyjob.killDirections} (s3ToAzure, azureToS3, s3ToLocal; all
 * three by default) runs {@code copyjob.killTrials} trials, each with a sink and a control store of
 * its own, killed at moments drawn from {@code copyjob.killSeed}: the build runs one trial of each,
 * scripts/reliability/kill-trials ten of each. The figures go to the output and, when {@code
 * copyjob.killReport} names a file, are added to it.
 */
public class KilledCopiesIT {
  private static final Path ROOT =
      Path.of(System.getProperty("copyjob.root", ".")).toAbsolutePath();
  private static final Path JAR =
      Path.of(System.getProperty("copyjob.jar", ROOT.resolve("target/copyjob.jar").toString()));
  private static final int TRIALS = Integer.getInteger("copyjob.killTrials", 1);
  private static final long SEED = Long.getLong("copyjob.killSeed", 12);

  /** The longest a kill waits once the files it waits for have landed. */
  private static final Duration JITTER = Duration.ofMillis(300);

  /** The directions tried. */
  private static final Set<String> DIRECTIONS =
      Set.of(
          System.getProperty("copyjob.killDirections", "s3ToAzure,azureToS3,s3ToLocal").split(","));

  /** How s3proxy's storage names what an incomplete multipart upload has stored. */
  private static final String INCOMPLETE_UPLOAD = ".mpus-";

  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final List<String> FIGURES = new ArrayList<>();

  private final String id = UUID.randomUUID().toString().substring(0, 8);

  private enum Sink {
    AZURE,
    S3,
    LOCAL
  }

  /** What one direction's trials found. */
  private static final class Tally {
    int trials;
    int killedCopying;
    int endedFirst;
    long filesAtSinkWhenKilled;
    long temporaryFilesLeft;
    long uploadsLeft;
    long filesVerified;
    long filesLost;
  }

  @AfterClass
  public static void report() throws Exception {
    FIGURES.forEach(System.out::println);
    String report = System.getProperty("copyjob.killReport");
    if (report != null && !FIGURES.isEmpty()) {
      Files.write(
          Path.of(report),
          FIGURES,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  /**
   * Four partitions of small files, and two files above the stores' 16 MiB part size: written in
   * parts (S3) or blocks (Azure), where a kill can leave an upload half done.
   */
  private static Map<String, byte[]> files() {
    Map<String, byte[]> files = new TreeMap<>();
    Random random = new Random(7);
    for (int i = 0; i < 160; i++) {
      byte[] data = new byte[i % 9 == 0 ? 0 : 1 + random.nextInt(64_000)];
      random.nextBytes(data);
      files.put(String.format("%s/%03d.bin", "abcd".charAt(i % 4), i), data);
    }
    for (String key : List.of("a/large.bin", "c/large.bin")) {
      byte[] data = new byte[(17 << 20) + random.nextInt(1 << 20)];
      random.nextBytes(data);
      files.put(key, data);
    }
    return files;
  }

  private static void fill(String root, Connection connection, Map<String, byte[]> files)
      throws Exception {
    try (Store store = Stores.open(URI.create(root), connection)) {
      store.prepare(true);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        byte[] data = file.getValue();
        store.put(
            file.getKey(),
            new ByteArrayInputStream(data),
            new FileInfo(file.getKey(), data.length, null, null));
      }
    }
  }

  @Test
  public void s3ToAzure() throws Exception {
    assumeTrue(DIRECTIONS.contains("s3ToAzure"));
    Map<String, byte[]> files = files();
    String source = "s3://kill-src-" + id + "/";
    fill(source, S3.connection("aws", true), files);
    trials("S3 -> Azure", source, Sink.AZURE, files);
  }

  @Test
  public void azureToS3() throws Exception {
    assumeTrue(DIRECTIONS.contains("azureToS3"));
    Map<String, byte[]> files = files();
    String source = "azfs://devstoreaccount1/kill-src-" + id + "/data/";
    fill(source, AzuriteServer.connection("lake", true), files);
    trials("Azure -> S3", source, Sink.S3, files);
  }

  @Test
  public void s3ToLocal() throws Exception {
    assumeTrue(DIRECTIONS.contains("s3ToLocal"));
    Map<String, byte[]> files = files();
    String source = "s3://kill-src-" + id + "/";
    fill(source, S3.connection("aws", true), files);
    trials("S3 -> local", source, Sink.LOCAL, files);
  }

  private void trials(String direction, String source, Sink sink, Map<String, byte[]> files)
      throws Exception {
    Random random = new Random(SEED * 31 + sink.ordinal());
    Tally tally = new Tally();
    for (int trial = 0; trial < TRIALS; trial++) {
      trial(trial, source, sink, files, random, tally);
    }
    FIGURES.add(
        String.format(
            "%s: %d trial(s): %d killed while copying (%d of %d files at the sink then), %d ended"
                + " before the kill; the kills left %d temporary file(s) and %d incomplete"
                + " upload(s); after the reruns %d files verified byte for byte, %d lost",
            direction,
            tally.trials,
            tally.killedCopying,
            tally.filesAtSinkWhenKilled,
            (long) tally.killedCopying * files.size(),
            tally.endedFirst,
            tally.temporaryFilesLeft,
            tally.uploadsLeft,
            tally.filesVerified,
            tally.filesLost));
  }

  private void trial(
      int trial, String source, Sink sink, Map<String, byte[]> files, Random random, Tally tally)
      throws Exception {
    Path dir = tmp.newFolder("trial-" + sink + "-" + trial).toPath();
    String job = "kill-" + sink.name().toLowerCase(Locale.ROOT) + "-" + trial;
    String bucket = "kill-" + id + "-" + sink.name().toLowerCase(Locale.ROOT) + "-" + trial;
    String sinkRoot =
        switch (sink) {
          case AZURE -> "azfs://devstoreaccount1/" + bucket + "/landing/";
          case S3 -> "s3://" + bucket + "/copy/";
          case LOCAL -> "./dst/";
        };
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(jobFile, jobYaml(job, source, sinkRoot));
    JobSpec spec = JobSpecParser.parse(jobFile);
    SinkView view = new SinkView(spec, sink, dir);

    // Killed at a moment drawn at random from the copies, whatever their speed: once a number of
    // files drawn from 1 to all of them has landed, and a few moments more (with all of them
    // landed, the run records its partitions).
    Process child = start(jobFile, dir.resolve("run.log"));
    boolean copying;
    try {
      awaitFiles(spec, child, view, 1 + random.nextInt(files.size()));
      Thread.sleep(random.nextLong(JITTER.toMillis() + 1));
      copying = child.isAlive();
    } finally {
      kill(child);
      view.close();
    }
    tally.trials++;
    if (copying) {
      tally.killedCopying++;
    } else {
      tally.endedFirst++;
    }

    // What the kill left: nothing wrong under a file's own name, and no partition marked done
    // without all its files.
    Set<String> uploads = new HashSet<>();
    Map<String, byte[]> left = view.read(uploads);
    tally.uploadsLeft += uploads.size();
    long temporary = left.keySet().stream().filter(k -> k.contains(".copyjob-")).count();
    tally.temporaryFilesLeft += temporary;
    left.keySet().removeIf(k -> k.contains(".copyjob-"));
    if (copying) {
      tally.filesAtSinkWhenKilled += left.size();
    }
    left.forEach(
        (key, data) -> assertThat(data).as("after the kill: " + key).isEqualTo(files.get(key)));
    assertSucceededPartitionsComplete(spec, files, left);

    // The next run, once the killed run's lease has lapsed (two minutes later, by the database's
    // clock), copies the rest.
    expireLease(spec);
    Process rerun = start(jobFile, dir.resolve("rerun.log"));
    assertThat(rerun.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(rerun.exitValue()).as(Files.readString(dir.resolve("rerun.log"))).isZero();

    // Exactly the source's files: none missing or different, no temporary file left, nothing
    // written outside the sink root.
    Map<String, byte[]> after = view.read(new HashSet<>());
    tally.filesLost +=
        files.entrySet().stream()
            .filter(f -> !Arrays.equals(after.get(f.getKey()), f.getValue()))
            .count();
    assertThat(after.keySet()).containsExactlyElementsOf(files.keySet());
    files.forEach((key, data) -> assertThat(after.get(key)).as(key).isEqualTo(data));
    tally.filesVerified += files.size();
    assertSucceededPartitionsComplete(spec, files, after);
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitions(job))
          .extracting(PartitionState::status)
          .containsOnly(PartitionStatus.SUCCEEDED);
      List<RunRecord> history = control.history(job, 10);
      assertThat(history).extracting(RunRecord::status).startsWith(RunStatus.SUCCEEDED);
      if (copying) {
        assertThat(history.get(1).status()).isEqualTo(RunStatus.ABANDONED);
      }
    }
  }

  private String jobYaml(String job, String source, String sinkRoot) {
    boolean fromS3 = source.startsWith("s3:");
    return String.join(
        "\n",
        "name: " + job,
        "connections:",
        "  aws:",
        "    type: s3",
        "    endpoint: " + S3.endpoint(),
        "    pathStyle: true",
        "    accessKeyIdEnv: COPYJOB_TEST_S3_KEY",
        "    secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET",
        "    createBucket: true",
        "  lake:",
        "    type: azure",
        "    account: devstoreaccount1",
        "    endpoint: " + AzuriteServer.endpoint(),
        "    accountKeyEnv: COPYJOB_TEST_AZURE_KEY",
        "    createContainer: true",
        "source:",
        "  root: " + source,
        "  connection: " + (fromS3 ? "aws" : "lake"),
        "  partitions: [a, b, c, d]",
        "sink:",
        "  root: " + sinkRoot,
        sinkRoot.startsWith("./")
            ? ""
            : "  connection: " + (sinkRoot.startsWith("s3:") ? "aws" : "lake"),
        "");
  }

  /** {@code copyjob run} in its own JVM through the launcher, as a user starts it. */
  private static Process start(Path jobFile, Path log) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(ROOT.resolve("scripts/copyjob").toString(), "run", jobFile.toString());
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    builder.environment().put("COPYJOB_JAVA_OPTS", "-Xmx768m -XX:TieredStopAtLevel=1");
    // The launcher's class data archive is written when a JVM exits normally: not by these.
    builder.environment().put("COPYJOB_CDS", "off");
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    return builder.start();
  }

  /**
   * Waits until the child's run has begun (its row exists and the lease names it) and {@code files}
   * files have landed at the sink, or the child has ended.
   */
  private static void awaitFiles(JobSpec spec, Process child, SinkView view, int files)
      throws Exception {
    Path database = Path.of(spec.control().url().split(":", 4)[3].split(";")[0] + ".mv.db");
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    boolean started = false;
    while (child.isAlive()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the child's run never began copying");
      }
      if (!started && Files.exists(database)) {
        try (ControlStore control = ControlStore.open(spec.control())) {
          Optional<Lease> lease = control.lease(spec.name());
          started = lease.isPresent() && lease.get().runId() != null;
        } catch (java.sql.SQLException e) {
          // the child is creating the store; ask again
        }
      }
      if (started && view.landed() >= files) {
        return;
      }
      Thread.sleep(20);
    }
  }

  /** kill -9 of the child and anything it started: no finally block or shutdown hook runs. */
  private static void kill(Process child) throws Exception {
    List<ProcessHandle> all = new ArrayList<>(child.descendants().toList());
    all.add(child.toHandle());
    all.forEach(ProcessHandle::destroyForcibly);
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    for (ProcessHandle process : all) {
      awaitDead(process.pid());
    }
  }

  /** PID 1 here does not reap, so kill -0 lies: the process is gone or a zombie. */
  private static void awaitDead(long pid) throws Exception {
    Path status = Path.of("/proc/" + pid + "/status");
    for (int i = 0; i < 300; i++) {
      if (!Files.exists(status) || Files.readString(status).contains("State:\tZ")) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("pid " + pid + " still runs after kill -9");
  }

  private static void expireLease(JobSpec spec) throws Exception {
    java.time.Instant lapsed;
    try (ControlStore control = ControlStore.open(spec.control())) {
      lapsed = control.databaseNow().minusSeconds(1);
    }
    try (java.sql.Connection c = DriverManager.getConnection(spec.control().url());
        PreparedStatement ps =
            c.prepareStatement("UPDATE copyjob_leases SET expires_at = ? WHERE job = ?")) {
      ps.setObject(1, lapsed.atOffset(ZoneOffset.UTC));
      ps.setString(2, spec.name());
      ps.executeUpdate();
    }
  }

  /**
   * What a trial's sink holds: its bucket, container or folder, all of it, so that a file written
   * outside the sink root fails the trial.
   */
  private static final class SinkView implements AutoCloseable {
    private Store polling;
    private final Sink sink;
    private final Path dir;
    private final String base;
    private final URI whole;

    SinkView(JobSpec spec, Sink sink, Path dir) {
      this.sink = sink;
      this.dir = dir;
      URI root = spec.sink().root();
      String path = root.getPath().substring(1);
      if (sink == Sink.AZURE) { // azfs://account/container/path/
        path = path.substring(path.indexOf('/') + 1);
      }
      this.base = path;
      this.whole =
          URI.create(root.toString().substring(0, root.toString().length() - path.length()));
    }

    private Store open() {
      return Stores.open(
          whole,
          sink == Sink.S3 ? S3.connection("aws", true) : AzuriteServer.connection("lake", true));
    }

    /** How many files have landed at the sink (under their own names) so far. */
    int landed() throws Exception {
      if (sink == Sink.LOCAL) {
        Path dst = dir.resolve("dst");
        if (!Files.isDirectory(dst)) {
          return 0;
        }
        try (Stream<Path> walk = Files.walk(dst)) {
          return (int)
              walk.filter(
                      p ->
                          Files.isRegularFile(p)
                              && !p.getFileName().toString().contains(".copyjob-"))
                  .count();
        } catch (java.io.UncheckedIOException e) {
          return 0; // a temporary file renamed while walked: ask again
        }
      }
      if (polling == null) {
        polling = open();
      }
      int n = 0;
      try (Listing listing = polling.list(base, true)) {
        for (; listing.hasNext(); listing.next()) {
          n++;
        }
      } catch (java.io.IOException | java.io.UncheckedIOException e) {
        return 0; // no bucket or container yet
      }
      return n;
    }

    @Override
    public void close() throws Exception {
      if (polling != null) {
        polling.close();
      }
    }

    /**
     * The files below the sink root by key, temporary files of a local sink included; an S3 upload
     * left incomplete (which s3proxy keeps as {@code .mpus-ID-KEY-stub} and {@code
     * .mpus-ID-KEY-PART} objects) counts in {@code uploads} and must be one of a key below the
     * root.
     */
    Map<String, byte[]> read(Set<String> uploads) throws Exception {
      if (sink == Sink.LOCAL) {
        try (Stream<Path> entries = Files.list(dir)) {
          assertThat(entries.map(p -> p.getFileName().toString()))
              .as("what the trial's folder holds")
              .isSubsetOf(Set.of("job.yaml", "run.log", "rerun.log", ".copyjob", "dst"));
        }
        return TestTrees.read(dir.resolve("dst"));
      }
      Map<String, byte[]> found = new TreeMap<>();
      try (Store store = open()) {
        try {
          store.prepare(false);
        } catch (java.io.IOException e) {
          return found; // killed before the run made its bucket or container
        }
        List<String> keys = new ArrayList<>();
        try (Listing listing = store.list("", true)) {
          listing.forEachRemaining(file -> keys.add(file.key()));
        }
        for (String key : keys) {
          if (sink == Sink.S3 && key.startsWith(INCOMPLETE_UPLOAD)) {
            String upload =
                key.substring(INCOMPLETE_UPLOAD.length(), INCOMPLETE_UPLOAD.length() + 36);
            assertThat(key.substring(INCOMPLETE_UPLOAD.length() + 37))
                .as("an upload outside the sink root")
                .startsWith(base);
            uploads.add(upload);
          }
        }
        for (String key : keys) {
          if (sink == Sink.S3 && (key.startsWith(INCOMPLETE_UPLOAD) || uploads.contains(key))) {
            continue;
          }
          assertThat(key).as("a file outside the sink root").startsWith(base);
          try (InputStream in = store.open(key)) {
            found.put(key.substring(base.length()), in.readAllBytes());
          }
        }
      }
      return found;
    }
  }

  /** Every partition marked SUCCEEDED has each of its files at the sink, byte-equal. */
  private static void assertSucceededPartitionsComplete(
      JobSpec spec, Map<String, byte[]> files, Map<String, byte[]> atSink) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      for (PartitionState partition : control.partitions(spec.name())) {
        if (partition.status() == PartitionStatus.SUCCEEDED) {
          String prefix = partition.key().prefix();
          files.forEach(
              (key, data) -> {
                if (key.startsWith(prefix)) {
                  assertThat(atSink.get(key))
                      .as("partition " + prefix + ": " + key)
                      .isEqualTo(data);
                }
              });
        }
      }
    }
  }
}
