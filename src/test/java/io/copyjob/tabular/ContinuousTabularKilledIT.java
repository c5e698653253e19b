package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A continuous tabular {@code copyjob run} (the shaded jar in its own JVM), PostgreSQL into
 * PostgreSQL, killed with -9 while its first round's pieces are being committed, then started
 * again: no row is lost, and none is written twice. The killed round never recorded, so its
 * watermark stayed; the next run reads the same rows again and writes them by key (upsert), so the
 * rows the killed run had committed are replaced by themselves, not added again.
 */
public class ContinuousTabularKilledIT {
  private static final Path ROOT =
      Path.of(System.getProperty("copyjob.root", ".")).toAbsolutePath();
  private static final Path JAR =
      Path.of(System.getProperty("copyjob.jar", ROOT.resolve("target/copyjob.jar").toString()));
  private static final int ROWS = 300_000;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private SinkDatabase source;
  private SinkDatabase sink;

  @After
  public void tearDown() throws Exception {
    if (source != null) {
      source.drop();
    }
    if (sink != null) {
      sink.drop();
    }
  }

  @Test
  public void aKilledContinuousTabularRunLosesNoRowAndWritesNoneTwice() throws Exception {
    source = SinkDatabase.postgres();
    sink = SinkDatabase.postgres();
    String ddl = "CREATE TABLE events (id BIGINT PRIMARY KEY, at TIMESTAMP(6), note TEXT)";
    source.execute(
        ddl,
        "INSERT INTO events SELECT g, TIMESTAMP '2024-01-01' + g * INTERVAL '1 millisecond',"
            + " 'row ' || g FROM generate_series(1, "
            + ROWS
            + ") g");
    sink.execute(ddl);
    Path dir = tmp.getRoot().toPath();
    String name = "cont-tab-killed-" + UUID.randomUUID().toString().substring(0, 8);
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        "name: "
            + name
            + "\nsource:\n"
            + source.yaml()
            + "sink:\n"
            + sink.yaml()
            + "tables:\n"
            // Four pieces committed one by one: the kill lands between two commits.
            + "  events: {table: events, target: events, keys: [id], write: upsert,"
            + " partitionColumn: id, pieces: 4, watermark: {column: at}}\n"
            + "mode: continuous\n"
            + "continuous: {interval: 3s}\n"
            + "control: {url: '"
            + System.getenv("COPYJOB_TEST_PG_URL")
            + "', user: "
            + System.getenv("COPYJOB_TEST_PG_USER")
            + ", passwordEnv: COPYJOB_TEST_PG_PASSWORD}\n");
    JobSpec spec = JobSpecParser.parse(jobFile);

    Process first = launch(dir, jobFile, "run1.log");
    RunRecord killedRun = awaitRun(spec, first, r -> true);
    // Kill it once some of the first round's rows are committed, before the round is recorded.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (count() == 0) {
      assertThat(first.isAlive()).as(Files.readString(dir.resolve("run1.log"))).isTrue();
      assertThat(System.nanoTime()).as("rows at the sink").isLessThan(deadline);
      Thread.sleep(50);
    }
    long pid;
    try (ControlStore control = ControlStore.open(spec.control())) {
      pid = Long.parseLong(control.lease(name).orElseThrow().owner().split(":")[1]);
    }
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    first.destroyForcibly();
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    awaitDead(pid);
    long atSinkWhenKilled = count();
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.rounds(killedRun.runId()))
          .as("the first round was in flight")
          .isNotEmpty()
          .noneMatch(r -> r.status() == RoundStatus.SUCCEEDED);
      assertThat(control.watermark(name, "events", "at")).isEmpty();
    }
    assertThat(atSinkWhenKilled).as("killed between commits").isBetween(1L, ROWS - 1L);
    // Rows land while nothing runs.
    source.execute(
        "INSERT INTO events SELECT g, TIMESTAMP '2024-01-02' + g * INTERVAL '1 second',"
            + " 'late ' || g FROM generate_series("
            + (ROWS + 1)
            + ", "
            + (ROWS + 5)
            + ") g");
    expireLease(spec, name);

    Process second = launch(dir, jobFile, "run2.log");
    RunRecord resumed = awaitRun(spec, second, r -> r.runId() != killedRun.runId());
    deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    String last = source.rows("SELECT CAST(MAX(at) AS TEXT) FROM events").get(0);
    while (!recordedUpTo(spec, resumed, last)) {
      assertThat(second.isAlive()).as(Files.readString(dir.resolve("run2.log"))).isTrue();
      assertThat(System.nanoTime()).as("every row recorded").isLessThan(deadline);
      Thread.sleep(500);
    }
    second.destroy(); // SIGTERM
    assertThat(second.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String log = Files.readString(dir.resolve("run2.log"));
    assertThat(second.exitValue()).as(log).isEqualTo(143);

    // Every row once, as it is at the source.
    String all = "SELECT COUNT(*), COUNT(DISTINCT id), SUM(id), MAX(at) FROM events";
    assertThat(sink.rows(all)).isEqualTo(source.rows(all));
    assertThat(sink.rows("SELECT COUNT(*) FROM events").get(0)).isEqualTo(String.valueOf(ROWS + 5));
    assertThat(sink.rows("SELECT note FROM events WHERE id = " + (ROWS + 5)))
        .containsExactly("late " + (ROWS + 5));
    try (ControlStore control = ControlStore.open(spec.control())) {
      RunRecord killed = control.run(killedRun.runId()).orElseThrow();
      assertThat(killed.status()).isEqualTo(RunStatus.ABANDONED);
      assertThat(control.rounds(killed.runId()))
          .noneMatch(r -> r.status() == RoundStatus.RUNNING)
          .noneMatch(r -> r.status() == RoundStatus.SUCCEEDED);
      RunRecord stopped = control.run(resumed.runId()).orElseThrow();
      assertThat(stopped.status()).isEqualTo(RunStatus.STOPPED);
      List<RoundRecord> rounds =
          control.rounds(stopped.runId()).stream()
              .filter(r -> r.status() == RoundStatus.SUCCEEDED)
              .toList();
      // The resumed run's first round read every row again (the killed one stored no watermark).
      assertThat(rounds.get(0).table().watermark().before()).isNull();
      assertThat(rounds.get(0).table().rowsRead()).isGreaterThanOrEqualTo(ROWS);
      assertThat(control.watermark(name, "events", "at")).contains(last);
      assertThat(control.lease(name)).isEmpty();
    }
    assertThat(log).contains("STOPPED");
    System.out.println(
        "continuous tabular killed: "
            + atSinkWhenKilled
            + " of "
            + ROWS
            + " rows committed when killed; the next run rewrote them by key");
  }

  private long count() throws Exception {
    return Long.parseLong(sink.rows("SELECT COUNT(*) FROM events").get(0));
  }

  /** Whether a round of the run recorded the watermark {@code last}. */
  private static boolean recordedUpTo(JobSpec spec, RunRecord run, String last) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.rounds(run.runId()).stream()
          .anyMatch(
              r ->
                  r.status() == RoundStatus.SUCCEEDED
                      && r.table() != null
                      && r.table().watermark() != null
                      && r.table().watermark().after() != null
                      && last.equals(r.table().watermark().after()));
    }
  }

  private static Process launch(Path dir, Path jobFile, String logName) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(ROOT.resolve("scripts/copyjob").toString(), "run", jobFile.toString());
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    builder
        .environment()
        .put("COPYJOB_CDS", "off"); // the launcher execs the JVM: SIGTERM reaches it
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
