package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.Assume.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The standalone Flink session cluster that the cluster ITs share (a JobManager and a TaskManager
 * JVM with two slots, started by scripts/flink-cluster in target/flink-it on a free port): started
 * by the first class that asks for it and stopped when the test JVM ends. Failsafe runs every IT
 * class in one JVM (one fork, reused), so the suite pays the cluster's start once.
 *
 * <p>Each class asks for it in its {@code @BeforeClass} and gets it whole and idle: a TaskManager
 * that a test killed is replaced (the dead one no longer listed, so that a job sizes its
 * parallelism from live slots), and a job an earlier class left running is cancelled.
 */
final class FlinkTestCluster {
  static final Path ROOT = Path.of(System.getProperty("copyjob.root", ".")).toAbsolutePath();
  static final Path JAR =
      Path.of(System.getProperty("copyjob.jar", ROOT.resolve("target/copyjob.jar").toString()));
  static final Path HOME = ROOT.resolve("target/flink-it");

  /** How long the jobs an earlier class cancelled may take to give their slots back. */
  private static final Duration IDLE_WITHIN = Duration.ofMinutes(2);

  private static boolean stopsWithTheJvm; // guarded by the class

  private FlinkTestCluster() {}

  /**
   * The cluster's REST address ({@code 127.0.0.1:PORT}), started on first use, with a live
   * TaskManager and every slot free. Without PostgreSQL (the jobs' control store) the class is
   * skipped, or fails when the environment requires it.
   */
  static synchronized String master() throws Exception {
    if (System.getenv("COPYJOB_TEST_PG_URL") == null) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
        throw new AssertionError(
            "COPYJOB_TEST_PG_URL is not set; start PostgreSQL with scripts/test");
      }
      assumeTrue("no PostgreSQL configured", false);
    }
    if (!stopsWithTheJvm) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(FlinkTestCluster::stopQuietly, "flink-cluster-stop"));
      stopsWithTheJvm = true;
    }
    start();
    String master = "127.0.0.1:" + Files.readString(HOME.resolve("rest-port")).trim();
    awaitIdle(master);
    return master;
  }

  /**
   * Starts what is not running and waits for a registered TaskManager: after a test killed the
   * TaskManager, a new one (the JobManager kept), the dead one gone from the cluster's list.
   */
  static void start() throws Exception {
    run("start");
  }

  /** The running TaskManager's process id. */
  static long taskManagerPid() throws Exception {
    return Long.parseLong(Files.readString(HOME.resolve("taskmanager.pid")).trim());
  }

  /**
   * Polls {@code done} every 100 ms until it holds. Fails naming {@code what} when {@code within}
   * has passed (bounds are generous: the machine is shared), or at once, with its output, when the
   * copyjob {@code client} (null: none) has ended.
   */
  static void await(String what, Duration within, Process client, Path log, Callable<Boolean> done)
      throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (!done.call()) {
      if (client != null && !client.isAlive()) {
        throw new AssertionError(
            "copyjob ended before " + what + ": " + Files.readString(log, StandardCharsets.UTF_8));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "waited "
                + within.toSeconds()
                + " s for "
                + what
                + (log == null ? "" : ": " + Files.readString(log, StandardCharsets.UTF_8)));
      }
      Thread.sleep(100);
    }
  }

  /** Cancels what an earlier class left running, then waits until every slot is free. */
  private static void awaitIdle(String master) throws Exception {
    for (String job : FlinkRest.runningJobs(master)) {
      FlinkRest.cancel(master, job);
    }
    long deadline = System.nanoTime() + IDLE_WITHIN.toNanos();
    int[] slots;
    while ((slots = FlinkRest.slots(master))[0] < slots[1] || slots[1] == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the Flink cluster at "
                + master
                + " has "
                + slots[0]
                + " of "
                + slots[1]
                + " slots free after "
                + IDLE_WITHIN.toSeconds()
                + " s; logs are in "
                + HOME.resolve("log"));
      }
      Thread.sleep(200);
    }
  }

  private static void stopQuietly() {
    try {
      run("stop");
    } catch (Exception | AssertionError e) {
      System.err.println("flink-cluster stop: " + e.getMessage());
    }
  }

  private static void run(String command) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(ROOT.resolve("scripts/flink-cluster").toString(), command);
    builder.environment().put("COPYJOB_FLINK_HOME", HOME.toString());
    builder.environment().put("COPYJOB_JAR", JAR.toString());
    builder.redirectErrorStream(true);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as("flink-cluster " + command + ":\n" + output).isZero();
  }
}
