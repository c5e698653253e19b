package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A {@code copyjob run} killed with -9 (the shaded jar in its own JVM, as a user runs it): while
 * its lease is valid the next run is refused naming it; once the lease has lapsed, {@code history}
 * shows the run ABANDONED with when it was last seen, and the next run copies everything.
 */
public class KilledRunIT {
  private static final Path ROOT =
      Path.of(System.getProperty("copyjob.root", ".")).toAbsolutePath();
  private static final Path JAR =
      Path.of(System.getProperty("copyjob.jar", ROOT.resolve("target/copyjob.jar").toString()));

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aKilledRunIsShownAbandonedAndTheNextRunCopiesEverything() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Map<String, byte[]> files = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      String key = "p/" + (i % 10) + "/f" + i + ".bin";
      files.put(key, TestTrees.write(dir.resolve("src"), key, 200));
    }
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: killed",
            "source:",
            "  root: ./src/",
            "  partitions: [p]",
            "sink:",
            "  root: ./dst/",
            ""));
    JobSpec spec = JobSpecParser.parse(jobFile);

    ProcessBuilder builder =
        new ProcessBuilder(ROOT.resolve("scripts/copyjob").toString(), "run", jobFile.toString());
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    builder.environment().put("COPYJOB_JAVA_OPTS", "-Xmx512m");
    builder.redirectErrorStream(true);
    builder.redirectOutput(dir.resolve("run.log").toFile());
    Process child = builder.start();
    RunRecord started = awaitRunOnLease(spec, child, Duration.ofSeconds(90));
    // The JVM that runs it (scripts/copyjob may start it as a child of its own): kill -9, so no
    // finally block and no shutdown hook runs.
    long pid;
    try (ControlStore control = ControlStore.open(spec.control())) {
      pid = Long.parseLong(control.lease("killed").orElseThrow().owner().split(":")[1]);
    }
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    child.descendants().forEach(ProcessHandle::destroyForcibly);
    child.destroyForcibly();
    assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    awaitDead(pid);

    // Its lease is still valid: the run may be alive as far as anyone can tell.
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertThat(copyjob(out, err, "run", jobFile.toString())).isEqualTo(CopyJob.LEASE_HELD);
    assertThat(err.toString())
        .startsWith("copyjob: job 'killed' is already running (host ")
        .contains(", pid " + pid + ", run 1); its lease is valid until ");

    // Two minutes later (the lease's life), as the database's clock would say.
    Instant lapsed;
    try (ControlStore control = ControlStore.open(spec.control())) {
      lapsed = control.databaseNow().minusSeconds(1);
    }
    try (Connection c = DriverManager.getConnection(spec.control().url());
        PreparedStatement ps =
            c.prepareStatement("UPDATE copyjob_leases SET expires_at = ? WHERE job = 'killed'")) {
      ps.setObject(1, lapsed.atOffset(java.time.ZoneOffset.UTC));
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
    out = new StringWriter();
    assertThat(copyjob(out, err, "history", jobFile.toString())).isZero();
    assertThat(out.toString())
        .containsPattern("(?m)^1\\s+ABANDONED")
        .contains("abandoned: last seen at ");
    try (ControlStore control = ControlStore.open(spec.control())) {
      RunRecord abandoned = control.run(started.runId()).orElseThrow();
      assertThat(abandoned.status()).isEqualTo(RunStatus.ABANDONED);
      assertThat(abandoned.endedAt()).isAfterOrEqualTo(started.startedAt());
      assertThat(abandoned.error()).startsWith("abandoned: last seen at " + abandoned.endedAt());
    }

    out = new StringWriter();
    assertThat(copyjob(out, err, "run", jobFile.toString())).isZero();
    assertThat(out.toString()).startsWith("run 2 of job 'killed': SUCCEEDED");
    TestTrees.assertTree(dir.resolve("dst"), files);
  }

  /** The child's run once its row exists and the lease names it. */
  private static RunRecord awaitRunOnLease(JobSpec spec, Process child, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && child.isAlive()) {
      if (Files.exists(Path.of(spec.control().url().split(":", 4)[3].split(";")[0] + ".mv.db"))) {
        try (ControlStore control = ControlStore.open(spec.control())) {
          Optional<Lease> lease = control.lease("killed");
          List<RunRecord> runs = control.history("killed", 1);
          if (lease.isPresent() && lease.get().runId() != null && !runs.isEmpty()) {
            assertThat(runs.get(0).status()).isEqualTo(RunStatus.RUNNING);
            return runs.get(0);
          }
        } catch (java.sql.SQLException e) {
          // the child is creating the store; ask again
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the child run never started (or ended first)");
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

  private static int copyjob(StringWriter out, StringWriter err, String... args) {
    return CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }
}
