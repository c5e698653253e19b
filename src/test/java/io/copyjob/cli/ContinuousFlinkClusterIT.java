package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code mode: continuous} on a real standalone Flink 1.19 session cluster (a JobManager and a
 * TaskManager JVM, the one the ITs share: {@link FlinkTestCluster}), in streaming mode with
 * checkpoints every 10 s, submitted by {@code copyjob run --runner=flink} in its own JVM with a
 * PostgreSQL control store: files that land while it runs arrive each once, bytes equal, and a
 * SIGTERM to copyjob cancels the Flink job and records the run STOPPED with no round left running
 * and the lease released. A database table goes likewise, row by row, on the same cluster.
 */
public class ContinuousFlinkClusterIT {
  private static final Path ROOT = FlinkTestCluster.ROOT;
  private static final Path JAR = FlinkTestCluster.JAR;

  private static String master;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @BeforeClass
  public static void cluster() throws Exception {
    master = FlinkTestCluster.master();
  }

  @Test
  public void filesLandingWhileItRunsOnTheClusterArriveOnceAndAStopIsRecorded() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path source = dir.resolve("src");
    Path sink = dir.resolve("dst");
    Map<String, byte[]> files = new TreeMap<>();
    for (int i = 0; i < 20; i++) {
      String key = "p" + (i % 2) + "/early-" + i + ".bin";
      files.put(key, TestTrees.write(source, key, 5_000 + i));
    }
    String name = "cont-flink-" + UUID.randomUUID().toString().substring(0, 8);
    Path jobFile = dir.resolve(name + ".yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + name,
            "source: {root: '" + source.toUri() + "', partitions: [p0, p1]}",
            "sink: {root: '" + sink.toUri() + "'}",
            "mode: continuous",
            "continuous: {interval: 5s}",
            "delta: {overlap: 0s}",
            "control:",
            "  url: " + System.getenv("COPYJOB_TEST_PG_URL"),
            "  user: " + System.getenv("COPYJOB_TEST_PG_USER"),
            "  passwordEnv: COPYJOB_TEST_PG_PASSWORD",
            ""));
    JobSpec spec = JobSpecParser.parse(jobFile);

    ProcessBuilder builder =
        new ProcessBuilder(
            ROOT.resolve("scripts/copyjob").toString(),
            "run",
            jobFile.toString(),
            "--runner=flink",
            "--flink-master=" + master);
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    // The launcher then execs the JVM, so that the SIGTERM below reaches it (while it writes its
    // class archive, it runs the JVM as a child, which a signal to the launcher would not stop).
    builder.environment().put("COPYJOB_CDS", "off");
    builder.environment().put("COPYJOB_JAVA_OPTS", "-Xmx1g");
    builder.redirectErrorStream(true);
    Path log = dir.resolve("run.log");
    builder.redirectOutput(log.toFile());
    Process client = builder.start();
    try {
      for (String key : files.keySet()) {
        awaitFile(sink.resolve(key), client, log);
      }
      List<Duration> delays = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String key = "p" + (i % 2) + "/late-" + i + ".bin";
        files.put(key, TestTrees.write(source, key, 7_000 + i));
        Instant landed = Instant.now();
        awaitFile(sink.resolve(key), client, log);
        delays.add(Duration.between(landed, Instant.now()));
      }
      System.out.println("continuous, Flink cluster: landing to arrival " + delays);
      RunRecord run = currentRun(spec);
      awaitCopiesRecorded(spec, run, files.size());
      assertThat(FlinkRest.jobStates(master)).containsEntry(jobName(name), "RUNNING");

      client.destroy(); // SIGTERM: copyjob cancels its Flink job and records the run
      assertThat(client.waitFor(2, TimeUnit.MINUTES)).isTrue();
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(output).contains("STOPPED");
      assertThat(FlinkRest.jobStates(master)).containsEntry(jobName(name), "CANCELED");

      TestTrees.assertTree(sink, files);
      try (ControlStore control = ControlStore.open(spec.control())) {
        RunRecord stopped = control.run(run.runId()).orElseThrow();
        assertThat(stopped.status()).isEqualTo(RunStatus.STOPPED);
        assertThat(stopped.runner()).isEqualTo("flink");
        List<RoundRecord> rounds = control.rounds(run.runId());
        assertThat(rounds).noneMatch(r -> r.status() == RoundStatus.RUNNING);
        assertThat(rounds).allMatch(r -> r.filesFailed() == 0);
        assertThat(rounds.stream().mapToLong(RoundRecord::filesCopied).sum())
            .isEqualTo(files.size());
        assertThat(stopped.totals().filesCopied()).isEqualTo(files.size());
        // Each partition's recorded rounds are numbered upwards, one at a time.
        for (String prefix : List.of("p0", "p1")) {
          List<RoundRecord> recorded =
              rounds.stream()
                  .filter(r -> r.key().prefix().equals(prefix))
                  .filter(r -> r.status() == RoundStatus.SUCCEEDED)
                  .toList();
          assertThat(recorded).isNotEmpty();
          for (int i = 1; i < recorded.size(); i++) {
            assertThat(recorded.get(i).round()).isGreaterThan(recorded.get(i - 1).round());
            assertThat(recorded.get(i).windowStart())
                .isBeforeOrEqualTo(recorded.get(i - 1).windowEnd());
          }
        }
        Optional<Lease> lease = control.lease(name);
        assertThat(lease).isEmpty();
      }
    } finally {
      client.descendants().forEach(ProcessHandle::destroyForcibly);
      client.destroyForcibly();
    }
  }

  @Test
  public void aFlinkJobCancelledAfterItsClientWasKilledLosesNothingAndCopiesNothingTwice()
      throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path source = dir.resolve("src");
    Path sink = dir.resolve("dst");
    Map<String, byte[]> files = new TreeMap<>();
    for (int i = 0; i < 400; i++) {
      String key = "p" + (i % 2) + "/d" + (i % 5) + "/f" + i + ".bin";
      files.put(key, TestTrees.write(source, key, 10_000));
    }
    String name = "cont-flink-kill-" + UUID.randomUUID().toString().substring(0, 8);
    Path jobFile =
        jobFile(
            dir,
            name,
            source,
            sink,
            // 4 MB at 200 kB/s a worker: the first round lasts long enough to be killed in.
            "copy: {maxBytesPerSecond: 200kB, transfersPerWorker: 4}");
    JobSpec spec = JobSpecParser.parse(jobFile);

    Process first = submit(jobFile, dir.resolve("run1.log"));
    RunRecord killedRun;
    long atSinkAtRestart;
    try {
      awaitCopied(sink, 40, first, dir.resolve("run1.log"));
      killedRun = currentRun(spec);
      // The client dies; its job goes on on the cluster until cancelled there.
      first.destroyForcibly();
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      first.descendants().forEach(ProcessHandle::destroyForcibly);
      first.destroyForcibly();
    }
    FlinkRest.cancel(master, jobName(name));
    FlinkTestCluster.await(
        "the job cancelled",
        Duration.ofMinutes(2),
        null,
        null,
        () -> "CANCELED".equals(FlinkRest.jobStates(master).get(jobName(name))));
    atSinkAtRestart = copied(sink);
    assertThat(atSinkAtRestart).as("the first round was in flight").isLessThan(files.size());
    for (int i = 0; i < 3; i++) {
      String key = "p" + (i % 2) + "/late-" + i + ".bin";
      files.put(key, TestTrees.write(source, key, 3_000 + i));
    }
    expireLease(spec);

    Process second = submit(jobFile, dir.resolve("run2.log"));
    try {
      FlinkTestCluster.await(
          "every file at the sink",
          Duration.ofMinutes(4),
          second,
          dir.resolve("run2.log"),
          () -> copied(sink) >= files.size());
      RunRecord resumed = currentRun(spec);
      assertThat(resumed.runId()).isNotEqualTo(killedRun.runId());
      awaitCopiesRecorded(spec, resumed, files.size() - atSinkAtRestart);
      second.destroy(); // SIGTERM
      assertThat(second.waitFor(2, TimeUnit.MINUTES)).isTrue();
      TestTrees.assertTree(sink, files);
      try (ControlStore control = ControlStore.open(spec.control())) {
        assertThat(control.run(killedRun.runId()).orElseThrow().status())
            .isEqualTo(RunStatus.ABANDONED);
        assertThat(control.rounds(killedRun.runId()))
            .noneMatch(r -> r.status() == RoundStatus.RUNNING);
        RunRecord stopped = control.run(resumed.runId()).orElseThrow();
        assertThat(stopped.status()).isEqualTo(RunStatus.STOPPED);
        // What the cancelled job had verified is found identical, never copied again.
        assertThat(
                control.rounds(resumed.runId()).stream().mapToLong(RoundRecord::filesCopied).sum())
            .isEqualTo(files.size() - atSinkAtRestart);
      }
    } finally {
      second.descendants().forEach(ProcessHandle::destroyForcibly);
      second.destroyForcibly();
    }
  }

  /**
   * The TaskManager alone killed with -9 in the middle of a round, and a new one started: Flink
   * restarts the job from its last checkpoint (taken before the round began), the round's tick is
   * replayed and runs again with the window it had, and the files the dead TaskManager had copied
   * and verified are found identical, never copied again.
   */
  @Test
  public void aTaskManagerKilledMidRoundIsReplacedAndTheJobResumesFromItsCheckpoint()
      throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path source = dir.resolve("src");
    Path sink = dir.resolve("dst");
    Map<String, byte[]> files = new TreeMap<>();
    for (int i = 0; i < 2; i++) {
      String key = "p" + i + "/first.bin";
      files.put(key, TestTrees.write(source, key, 1_000));
    }
    String name = "cont-flink-tm-" + UUID.randomUUID().toString().substring(0, 8);
    Path jobFile =
        jobFile(
            dir,
            name,
            source,
            sink,
            // 4 MB at 100 kB/s a worker: the round lasts long enough to lose its TaskManager in.
            "copy: {maxBytesPerSecond: 100kB, transfersPerWorker: 4}");
    JobSpec spec = JobSpecParser.parse(jobFile);
    Path log = dir.resolve("run.log");
    Process client = submit(jobFile, log);
    try {
      awaitCopied(sink, 2, client, log);
      // A checkpoint before the round begins: what the job is restored from.
      FlinkTestCluster.await(
          "a checkpoint completed",
          Duration.ofMinutes(2),
          client,
          log,
          () -> FlinkRest.checkpoints(master, jobName(name))[0] >= 1);
      for (int i = 0; i < 400; i++) {
        String key = "p" + (i % 2) + "/d" + (i % 5) + "/f" + i + ".bin";
        files.put(key, TestTrees.write(source, key, 10_000));
      }
      awaitCopied(sink, 60, client, log);
      long pid = FlinkTestCluster.taskManagerPid();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      awaitDead(pid);
      long atSinkWhenKilled = copied(sink);
      long recordedWhenKilled;
      RunRecord run = currentRun(spec);
      try (ControlStore control = ControlStore.open(spec.control())) {
        recordedWhenKilled =
            control.rounds(run.runId()).stream()
                .filter(r -> r.status() == RoundStatus.SUCCEEDED)
                .mapToLong(RoundRecord::filesCopied)
                .sum();
      }
      assertThat(atSinkWhenKilled).as("killed mid-round").isLessThan(files.size());
      FlinkTestCluster.start(); // a new TaskManager, the JobManager kept
      FlinkTestCluster.await(
          "every file at the sink",
          Duration.ofMinutes(4),
          client,
          log,
          () -> copied(sink) >= files.size());
      long[] checkpoints = FlinkRest.checkpoints(master, jobName(name));
      assertThat(checkpoints[1]).as("restored from a checkpoint").isPositive();
      assertThat(FlinkRest.jobStates(master)).containsEntry(jobName(name), "RUNNING");
      long expected = files.size() - atSinkWhenKilled + recordedWhenKilled;
      awaitCopiesRecorded(spec, run, expected);
      client.destroy(); // SIGTERM
      assertThat(client.waitFor(2, TimeUnit.MINUTES)).isTrue();
      // The copies in flight on the dead TaskManager left their hidden temporary files, named for
      // this run: never listed, and removed by the job's next run (this one did not succeed).
      List<Path> leftovers;
      try (java.util.stream.Stream<Path> walk = Files.walk(sink)) {
        leftovers = walk.filter(p -> p.getFileName().toString().startsWith(".")).toList();
      }
      assertThat(leftovers)
          .allMatch(
              p ->
                  p.getFileName()
                      .toString()
                      .matches("\\..+\\.copyjob-[0-9a-f]+-" + run.runId() + "-[0-9a-f]+\\.tmp"));
      for (Path leftover : leftovers) {
        Files.delete(leftover);
      }
      TestTrees.assertTree(sink, files);
      try (ControlStore control = ControlStore.open(spec.control())) {
        RunRecord stopped = control.run(run.runId()).orElseThrow();
        assertThat(stopped.status()).isEqualTo(RunStatus.STOPPED);
        List<RoundRecord> rounds = control.rounds(run.runId());
        assertThat(rounds).noneMatch(r -> r.status() == RoundStatus.RUNNING);
        assertThat(rounds).allMatch(r -> r.filesFailed() == 0);
        // One run throughout; what the dead TaskManager had verified is never copied again.
        String seen =
            "at the sink when killed "
                + atSinkWhenKilled
                + ", recorded then "
                + recordedWhenKilled
                + ", rounds "
                + rounds.stream()
                    .map(
                        r ->
                            r.round()
                                + " "
                                + r.key().prefix()
                                + " "
                                + r.status()
                                + " ["
                                + r.windowStart()
                                + ", "
                                + r.windowEnd()
                                + ") copied "
                                + r.filesCopied()
                                + " skipped "
                                + r.filesSkipped())
                    .toList();
        System.out.println("continuous, TaskManager killed: " + seen);
        assertThat(rounds.stream().mapToLong(RoundRecord::filesCopied).sum())
            .as(seen)
            .isEqualTo(expected);
        assertThat(rounds.stream().mapToLong(RoundRecord::filesSkipped).sum())
            .isGreaterThanOrEqualTo(atSinkWhenKilled - recordedWhenKilled);
      }
      System.out.println(
          "continuous, TaskManager killed: "
              + (atSinkWhenKilled - recordedWhenKilled)
              + " files of the round verified before the kill, restored from checkpoint "
              + checkpoints[1]
              + ", "
              + leftovers.size()
              + " temporary files left by the copies in flight");
    } finally {
      client.descendants().forEach(ProcessHandle::destroyForcibly);
      client.destroyForcibly();
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

  /**
   * A database table continuously on the cluster, PostgreSQL into PostgreSQL (a schema of its own
   * each): rows inserted while it runs arrive once, and each recorded round starts at the watermark
   * the round before it left.
   */
  @Test
  public void rowsInsertedWhileItRunsOnTheClusterArriveOnceRoundAfterRound() throws Exception {
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String src = "cont_flink_src_" + id;
    String dst = "cont_flink_dst_" + id;
    String ddl = " (id BIGINT PRIMARY KEY, at TIMESTAMP(6), note TEXT)";
    pg(
        "CREATE SCHEMA " + src,
        "CREATE SCHEMA " + dst,
        "CREATE TABLE " + src + ".events" + ddl,
        "CREATE TABLE " + dst + ".events" + ddl,
        "INSERT INTO "
            + src
            + ".events SELECT g, TIMESTAMP '2024-03-01' + g * INTERVAL '1 second', 'row ' || g"
            + " FROM generate_series(1, 3) g");
    Path dir = tmp.getRoot().toPath();
    String name = "cont-flink-tab-" + id;
    Path jobFile = dir.resolve(name + ".yaml");
    String database =
        "{url: '"
            + System.getenv("COPYJOB_TEST_PG_URL")
            + "', user: "
            + System.getenv("COPYJOB_TEST_PG_USER")
            + ", passwordEnv: COPYJOB_TEST_PG_PASSWORD}";
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + name,
            "source: {database: " + database + "}",
            "sink: {database: " + database + "}",
            "tables:",
            "  events: {table: " + src + ".events, target: " + dst + ".events, keys: [id],",
            "           write: upsert, watermark: {column: at}}",
            "mode: continuous",
            "continuous: {interval: 3s}",
            "control: " + database,
            ""));
    JobSpec spec = JobSpecParser.parse(jobFile);
    Path log = dir.resolve("run.log");
    Process client = submit(jobFile, log);
    try {
      awaitRow(dst, 3, client, log);
      List<Duration> delays = new ArrayList<>();
      for (int row = 4; row <= 5; row++) {
        pg(
            "INSERT INTO "
                + src
                + ".events VALUES ("
                + row
                + ", TIMESTAMP '2024-03-01' + "
                + row
                + " * INTERVAL '1 second', 'row "
                + row
                + "')");
        Instant landed = Instant.now();
        awaitRow(dst, row, client, log);
        delays.add(Duration.between(landed, Instant.now()));
      }
      System.out.println(
          "continuous tabular, Flink cluster: landing to arrival "
              + delays
              + ", load average "
              + Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
      RunRecord run = currentRun(spec);
      FlinkTestCluster.await(
          "the last row's round recorded",
          Duration.ofMinutes(2),
          client,
          log,
          () -> recordedUpTo(spec, run, "2024-03-01 00:00:05"));
      client.destroy(); // SIGTERM
      assertThat(client.waitFor(2, TimeUnit.MINUTES)).isTrue();
      assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("STOPPED");
      assertThat(pgRows("SELECT id, note FROM " + dst + ".events ORDER BY id"))
          .containsExactly("1 row 1", "2 row 2", "3 row 3", "4 row 4", "5 row 5");
      try (ControlStore control = ControlStore.open(spec.control())) {
        RunRecord stopped = control.run(run.runId()).orElseThrow();
        assertThat(stopped.status()).isEqualTo(RunStatus.STOPPED);
        assertThat(stopped.runner()).isEqualTo("flink");
        List<RoundRecord> recorded =
            control.rounds(run.runId()).stream()
                .filter(r -> r.status() == RoundStatus.SUCCEEDED)
                .toList();
        assertThat(control.rounds(run.runId())).noneMatch(r -> r.status() == RoundStatus.RUNNING);
        assertThat(recorded.get(0).table().watermark().before()).isNull();
        assertThat(recorded.get(0).table().rowsWritten()).isEqualTo(3);
        for (int i = 1; i < recorded.size(); i++) {
          assertThat(recorded.get(i).table().watermark().before())
              .isEqualTo(recorded.get(i - 1).table().watermark().after());
        }
        assertThat(control.watermark(name, "events", "at")).contains("2024-03-01 00:00:05");
        assertThat(control.lease(name)).isEmpty();
      }
    } finally {
      client.descendants().forEach(ProcessHandle::destroyForcibly);
      client.destroyForcibly();
      pg("DROP SCHEMA " + src + " CASCADE", "DROP SCHEMA " + dst + " CASCADE");
    }
  }

  private static boolean recordedUpTo(JobSpec spec, RunRecord run, String watermark)
      throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.rounds(run.runId()).stream()
          .anyMatch(
              r ->
                  r.status() == RoundStatus.SUCCEEDED
                      && r.table() != null
                      && r.table().watermark() != null
                      && watermark.equals(r.table().watermark().after()));
    }
  }

  private static java.sql.Connection pgConnection() throws Exception {
    return java.sql.DriverManager.getConnection(
        System.getenv("COPYJOB_TEST_PG_URL"),
        System.getenv("COPYJOB_TEST_PG_USER"),
        System.getenv("COPYJOB_TEST_PG_PASSWORD"));
  }

  private static void pg(String... sql) throws Exception {
    try (java.sql.Connection c = pgConnection();
        java.sql.Statement st = c.createStatement()) {
      for (String statement : sql) {
        st.execute(statement);
      }
    }
  }

  /** A query's rows, each its columns' text joined by a space. */
  private static List<String> pgRows(String sql) throws Exception {
    List<String> rows = new ArrayList<>();
    try (java.sql.Connection c = pgConnection();
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          values.add(rs.getString(i));
        }
        rows.add(String.join(" ", values));
      }
    }
    return rows;
  }

  private static void awaitRow(String schema, long id, Process client, Path log) throws Exception {
    FlinkTestCluster.await(
        "row " + id + " at the sink",
        Duration.ofMinutes(3),
        client,
        log,
        () -> !pgRows("SELECT id FROM " + schema + ".events WHERE id = " + id).isEmpty());
  }

  private Path jobFile(Path dir, String name, Path source, Path sink, String... extra)
      throws Exception {
    Path jobFile = dir.resolve(name + ".yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + name,
            "source: {root: '" + source.toUri() + "', partitions: [p0, p1]}",
            "sink: {root: '" + sink.toUri() + "'}",
            "mode: continuous",
            "continuous: {interval: 5s}",
            "delta: {overlap: 0s}",
            String.join("\n", extra),
            "control:",
            "  url: " + System.getenv("COPYJOB_TEST_PG_URL"),
            "  user: " + System.getenv("COPYJOB_TEST_PG_USER"),
            "  passwordEnv: COPYJOB_TEST_PG_PASSWORD",
            ""));
    return jobFile;
  }

  private static Process submit(Path jobFile, Path log) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
            ROOT.resolve("scripts/copyjob").toString(),
            "run",
            jobFile.toString(),
            "--runner=flink",
            "--flink-master=" + master);
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    builder.environment().put("COPYJOB_CDS", "off");
    builder.environment().put("COPYJOB_JAVA_OPTS", "-Xmx1g");
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    return builder.start();
  }

  /** The files at a local sink, less the hidden temporary ones a copy writes first. */
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

  private static void awaitCopied(Path sink, long count, Process client, Path log)
      throws Exception {
    FlinkTestCluster.await(
        count + " files at the sink",
        Duration.ofMinutes(3),
        client,
        log,
        () -> copied(sink) >= count);
  }

  /** As two minutes later (the lease's life) by the database's clock. */
  private static void expireLease(JobSpec spec) throws Exception {
    java.time.Instant lapsed;
    try (ControlStore control = ControlStore.open(spec.control())) {
      lapsed = control.databaseNow().minusSeconds(1);
    }
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                spec.control().url(),
                spec.control().user(),
                System.getenv(spec.control().passwordEnv()));
        java.sql.PreparedStatement ps =
            c.prepareStatement("UPDATE copyjob_leases SET expires_at = ? WHERE job = ?")) {
      ps.setObject(1, lapsed.atOffset(java.time.ZoneOffset.UTC));
      ps.setString(2, spec.name());
      ps.executeUpdate();
    }
  }

  private static String jobName(String name) {
    return "copyjob-" + name;
  }

  private static RunRecord currentRun(JobSpec spec) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      RunRecord run = control.history(spec.name(), 1).get(0);
      assertThat(run.status()).isEqualTo(RunStatus.RUNNING);
      return run;
    }
  }

  /** Waits (generously: the machine is shared) until {@code file} is at the sink. */
  private static void awaitFile(Path file, Process client, Path log) throws Exception {
    FlinkTestCluster.await(
        file + " at the sink", Duration.ofMinutes(3), client, log, () -> Files.exists(file));
  }

  private static void awaitCopiesRecorded(JobSpec spec, RunRecord run, long copied)
      throws Exception {
    FlinkTestCluster.await(
        "the rounds recording " + copied + " copies",
        Duration.ofMinutes(2),
        null,
        null,
        () -> {
          try (ControlStore control = ControlStore.open(spec.control())) {
            return control.rounds(run.runId()).stream().mapToLong(RoundRecord::filesCopied).sum()
                >= copied;
          }
        });
  }
}
