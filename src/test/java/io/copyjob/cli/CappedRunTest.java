package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.store.FileInfo;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A run held back by {@code copy.maxBytesPerSecond} waits asleep. Beam's direct runner (2.62)
 * resubmits its driver to its own pool after every pass, so any of its threads that no bundle holds
 * polls without pause: a capped copy of one file burnt a core for as long as it lasted.
 */
public class CappedRunTest {
  private static final long MB = 1_000_000;

  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void theDirectRunnersThreadsSleepWhileTheCopyWaitsForTheCap() throws Exception {
    Path dir = tmp.getRoot().toPath();
    // From S3, so that the sink's file grows read by read (a local -> local copy goes in chunks).
    String bucket = "capped-" + UUID.randomUUID().toString().substring(0, 8);
    byte[] data = new byte[(int) (3 * MB)];
    new Random(4).nextBytes(data);
    try (Store source = Stores.open(URI.create("s3://" + bucket + "/"), S3.connection("s", true))) {
      source.prepare(true);
      source.put(
          "big.bin",
          new ByteArrayInputStream(data),
          new FileInfo("big.bin", data.length, null, null));
    }
    Path job = dir.resolve("job.yaml");
    Files.writeString(
        job,
        String.join(
            "\n",
            "name: capped",
            "connections:",
            "  s3:",
            "    type: s3",
            "    endpoint: " + S3.endpoint(),
            "    pathStyle: true",
            "    accessKeyIdEnv: COPYJOB_TEST_S3_KEY",
            "    secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET",
            "source:",
            "  root: s3://" + bucket + "/",
            "  connection: s3",
            "sink:",
            "  root: ./dst/",
            "copy:",
            "  maxBytesPerSecond: 1MB",
            ""));
    // From 1.2 MB at the sink (past the cap's first second, which goes at once) to 2.8 MB: over a
    // second and a half in which the copy does nothing but wait for its turns.
    Sampler sampler = new Sampler(dir.resolve("dst"), (long) (1.2 * MB), (long) (2.8 * MB));

    int exit;
    try {
      exit =
          CopyJob.execute(
              new PrintWriter(new StringWriter(), true),
              new PrintWriter(new StringWriter(), true),
              "run",
              job.toString());
    } finally {
      sampler.stop();
    }

    assertThat(exit).isZero();
    assertThat(Files.readAllBytes(dir.resolve("dst/big.bin"))).isEqualTo(data);
    // Polling, the runner's threads took about one core through the window; asleep, almost none.
    assertThat(sampler.runnerCpuShare()).isBetween(0.0, 0.2);
  }

  /**
   * Samples the bytes at the sink (temporary files included) and the CPU time of the direct
   * runner's threads, and keeps both where the bytes first reach each of two marks.
   */
  private static final class Sampler {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> cpuByThread = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Path sink;
    private final long from;
    private final long to;
    private volatile long[] atFrom; // {nanoTime, runner CPU nanos}
    private volatile long[] atTo;

    Sampler(Path sink, long from, long to) {
      this.sink = sink;
      this.from = from;
      this.to = to;
      timer.scheduleAtFixedRate(this::sample, 0, 20, TimeUnit.MILLISECONDS);
    }

    private void sample() {
      for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info != null && info.getThreadName().startsWith("direct-runner-worker")) {
          long nanos = threads.getThreadCpuTime(info.getThreadId());
          if (nanos > 0) {
            cpuByThread.merge(info.getThreadId(), nanos, Math::max);
          }
        }
      }
      long bytes = sinkBytes();
      long[] now = {System.nanoTime(), cpuByThread.values().stream().mapToLong(n -> n).sum()};
      if (atFrom == null && bytes >= from) {
        atFrom = now;
      }
      if (atTo == null && bytes >= to) {
        atTo = now;
      }
    }

    private long sinkBytes() {
      if (!Files.isDirectory(sink)) {
        return 0;
      }
      try (Stream<Path> files = Files.walk(sink)) {
        return files
            .filter(Files::isRegularFile)
            .mapToLong(
                f -> {
                  try {
                    return Files.size(f);
                  } catch (IOException e) {
                    return 0; // renamed into place meanwhile
                  }
                })
            .sum();
      } catch (IOException | UncheckedIOException e) {
        return 0;
      }
    }

    void stop() throws InterruptedException {
      timer.shutdown();
      timer.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** The runner's CPU time between the two marks, as a share of one core. */
    double runnerCpuShare() {
      assertThat(atFrom).as("the sink reached %d bytes", from).isNotNull();
      assertThat(atTo).as("the sink reached %d bytes", to).isNotNull();
      assertThat(atTo[0] - atFrom[0]).isGreaterThan(TimeUnit.SECONDS.toNanos(1));
      return (double) (atTo[1] - atFrom[1]) / (atTo[0] - atFrom[0]);
    }
  }
}
