package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.Assume.assumeTrue;

import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A continuous {@code copyjob run} (the shaded jar in its own JVM) killed with -9 in the middle of
 * a round, then started again: nothing is lost, and no file the killed run had copied and verified
 * is copied again (its round was never recorded, so the next run lists the same window and finds
 * those files identical at the sink). The killed run's round in flight ends ABANDONED with the
 * watermark untouched; the second run stops on SIGTERM, STOPPED.
 */
public class ContinuousKilledIT {
  private static final Path ROOT =
      Path.of(System.getProperty("copyjob.root", ".")).toAbsolutePath();
  private static final Path JAR =
      Path.of(System.getProperty("copyjob.jar", ROOT.resolve("target/copyjob.jar").toString()));

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aKilledContinuousRunLosesNothingAndCopiesNothingTwice() throws Exception {
    String pg = System.getenv("COPYJOB_TEST_PG_URL");
    if (pg == null) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
        throw new AssertionError(
            "COPYJOB_TEST_PG_URL is not set; start PostgreSQL with scripts/test");
      }
      assumeTrue("no PostgreSQL configured", false);
    }
    Path dir = tmp.getRoot().toPath();
    Map<String, byte[]> files = new TreeMap<>();
    for (int i = 0; i < 400; i++) {
      String key = "p/" + (i % 8) + "/f" + i + ".bin";
      files.put(key, TestTrees.write(dir.resolve("src"), key, 10_000));
    }
    String name = "cont-killed-" + UUID.randomUUID().toString().substring(0, 8);
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + name,
            "source: {root: ./src/, partitions: [p]}",
            "sink: {root: ./dst/}",
            // 4 MB at 250 kB/s: the first round lasts about 16 s, long enough to be killed in.
            "copy: {maxBytesPerSecond: 250kB, transfersPerWorker: 4}",
            "mode: continuous",
            "continuous: {interval: 3s}",
            "delta: {overlap: 0s}",
            "control:",
            "  url: " + pg,
            "  user: " + System.getenv("COPYJOB_TEST_PG_USER"),
            "  passwordEnv: COPYJOB_TEST_PG_PASSWORD",
            ""));
    JobSpec spec = JobSpecParser.parse(jobFile);

    Process first = launch(dir, jobFile, "run1.log");
    RunRecord killedRun = awaitRun(spec, first, r -> true);
    // Kill it once part of the first round is at the sink, before the round is recorded.
    awaitFiles(dir.resolve("dst"), 40, first);
    long pid;
    try (ControlStore control = ControlStore.open(spec.control())) {
      pid = Long.parseLong(control.lease(name).orElseThrow().owner().split(":")[1]);
    }
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    first.descendants().forEach(ProcessHandle::destroyForcibly);
    first.destroyForcibly();
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    awaitDead(pid);
    long atSinkWhenKilled = copied(dir.resolve("dst"));
    try (ControlStore control = ControlStore.open(spec.control())) {
      List<RoundRecord> rounds = control.rounds(killedRun.runId());
      assertThat(rounds).as("the first round was in flight").isNotEmpty();
      assertThat(rounds.stream().filter(r -> r.status() != RoundStatus.SKIPPED))
          .allMatch(r -> r.status() == RoundStatus.RUNNING);
      assertThat(control.partitions(name).get(0).lastSuccessTime()).isNull();
    }
    // Files land while nothing runs.
    for (int i = 0; i < 5; i++) {
      String key = "p/late/f" + i + ".bin";
      files.put(key, TestTrees.write(dir.resolve("src"), key, 5_000));
    }
    expireLease(spec, name);

    Process second = launch(dir, jobFile, "run2.log");
    RunRecord resumed = awaitRun(spec, second, r -> r.runId() != killedRun.runId());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (copied(dir.resolve("dst")) < files.size()) {
      assertThat(second.isAlive()).as(Files.readString(dir.resolve("run2.log"))).isTrue();
      assertThat(System.nanoTime()).as("every file at the sink").isLessThan(deadline);
      Thread.sleep(500);
    }
    awaitRecordedRounds(spec, resumed, files.size() - atSinkWhenKilled);
    second.destroy(); // SIGTERM
    assertThat(second.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String log = Files.readString(dir.resolve("run2.log"));
    // The status of a process ended by SIGTERM (128 + 15), after the run was recorded.
    assertThat(second.exitValue()).as(log).isEqualTo(143);

    TestTrees.assertTree(dir.resolve("dst"), files);
    try (ControlStore control = ControlStore.open(spec.control())) {
      RunRecord killed = control.run(killedRun.runId()).orElseThrow();
      assertThat(killed.status()).isEqualTo(RunStatus.ABANDONED);
      assertThat(control.rounds(killed.runId()))
          .noneMatch(r -> r.status() == RoundStatus.RUNNING)
          .noneMatch(r -> r.status() == RoundStatus.SUCCEEDED);
      RunRecord stopped = control.run(resumed.runId()).orElseThrow();
      assertThat(stopped.status()).isEqualTo(RunStatus.STOPPED);
      List<RoundRecord> rounds = control.rounds(stopped.runId());
      assertThat(rounds).noneMatch(r -> r.status() == RoundStatus.RUNNING);
      // What the killed run had verified is found identical, never copied again.
      assertThat(rounds.stream().mapToLong(RoundRecord::filesCopied).sum())
          .isEqualTo(files.size() - atSinkWhenKilled);
      assertThat(rounds.stream().mapToLong(RoundRecord::filesSkipped).sum())
          .isGreaterThanOrEqualTo(atSinkWhenKilled);
      assertThat(control.lease(name)).isEmpty();
    }
    assertThat(log).contains("STOPPED");
  }

  private static Process launch(Path dir, Path jobFile, String logName) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(ROOT.resolve("scripts/copyjob").toString(), "run", jobFile.toString());
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    // The launcher then execs the JVM, so that the SIGTERM below reaches it (while it writes its
    // class archive, it runs the JVM as a child, which a signal to the launcher would not stop).
    builder.environment().put("COPYJOB_CDS", "off");
    builder.environment().put("COPYJOB_JAVA_OPTS", "-Xmx512m");
    builder.redirectErrorStream(true);
    builder.redirectOutput(dir.resolve(logName).toFile());
    return builder.start();
  }

  /** The child's run once its row exists and the lease names it. */
  private static RunRecord awaitRun(JobSpec spec, Process child, Predicate<RunRecord> which)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && child.isAlive()) {
      try (ControlStore control = ControlStore.open(spec.control())) {
        Optional<Lease> lease = control.lease(spec.name());
        List<RunRecord> runs = control.history(spec.name(), 1);
        if (lease.isPresent()
            && lease.get().runId() != null
            && !runs.isEmpty()
            && which.test(runs.get(0))) {
          assertThat(runs.get(0).status()).isEqualTo(RunStatus.RUNNING);
          return runs.get(0);
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the child run never started (or ended first)");
  }

  private static void awaitFiles(Path sink, int count, Process child) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && child.isAlive()) {
      if (copied(sink) >= count) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(count + " files never reached the sink");
  }

  /**
   * The files at the local sink, less the temporary ones a copy writes first (hidden, renamed into
   * place when verified): what was copied and verified.
   */
  private static long copied(Path sink) throws Exception {
    if (!Files.exists(sink)) {
      return 0;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(sink)) {
      return walk.filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(Files::isRegularFile)
          .count();
    } catch (java.io.UncheckedIOException e) {
      return copied(sink); // a temporary file went while the walk passed
    }
  }

  /** Waits until the run's recorded rounds have copied {@code copied} files. */
  private static void awaitRecordedRounds(JobSpec spec, RunRecord run, long copied)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      try (ControlStore control = ControlStore.open(spec.control())) {
        long sum = control.rounds(run.runId()).stream().mapToLong(RoundRecord::filesCopied).sum();
        if (sum >= copied) {
          return;
        }
      }
      Thread.sleep(300);
    }
    throw new AssertionError("the rounds never recorded " + copied + " copies");
  }

  /** As two minutes later (the lease's life) by the database's clock. */
  private static void expireLease(JobSpec spec, String name) throws Exception {
    Instant lapsed;
    try (ControlStore control = ControlStore.open(spec.control())) {
      lapsed = control.databaseNow().minusSeconds(1);
    }
    try (Connection c =
            DriverManager.getConnection(
                spec.control().url(),
                spec.control().user(),
                System.getenv(spec.control().passwordEnv()));
        PreparedStatement ps =
            c.prepareStatement("UPDATE copyjob_leases SET expires_at = ? WHERE job = ?")) {
      ps.setObject(1, lapsed.atOffset(java.time.ZoneOffset.UTC));
      ps.setString(2, name);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  /** Waits until the process is gone or a zombie: PID 1 here does not reap, so kill -0 lies. */
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
}
