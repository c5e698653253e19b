package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.cli.CopyJob;
import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.FileInfo;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.store.TempOwner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The temporary file a copy into a local folder writes beside its target stays there when the
 * process is killed (kill -9: no handler runs). The next run of the same job removes it; another
 * job's is left alone.
 */
public class LeftoversTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void theNextRunOfTheJobRemovesWhatAKilledRunLeftAndNotAnotherJobs() throws Exception {
    Path dir = tmp.getRoot().toPath();
    String name = "leftovers-" + UUID.randomUUID().toString().substring(0, 8);
    String bucket = "s3://" + name + "/";
    byte[] big = new byte[8 << 20];
    new java.util.Random(3).nextBytes(big);
    byte[] small = {1, 2, 3};
    try (Store s3 = Stores.open(URI.create(bucket), S3.connection("aws", true))) {
      s3.prepare(true);
      for (Map.Entry<String, byte[]> file :
          Map.of("p/big.bin", big, "p/small.txt", small).entrySet()) {
        s3.put(
            file.getKey(),
            new ByteArrayInputStream(file.getValue()),
            new FileInfo(file.getKey(), file.getValue().length, null, null));
      }
    }
    // Another job copying into the same folder was killed too: its file must stay.
    Path othersLeftover =
        dir.resolve(
            "out/p/.big.bin.copyjob-"
                + new TempOwner("another-job", 1).jobTag()
                + "-1-0123456789abcdef0123456789abcdef.tmp");
    Files.createDirectories(othersLeftover.getParent());
    Files.write(othersLeftover, new byte[] {1});
    // Streamed from S3 at 1 MB/s: 8 s.
    Path slowJob = jobFile(dir.resolve("slow.yaml"), name, bucket, "  maxBytesPerSecond: 1MB\n");

    // A run in its own process, killed while it copies the large file.
    Process killed =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", // as the launcher: a short run starts faster
                "-cp",
                System.getProperty("java.class.path"),
                CopyJob.class.getName(),
                "run",
                slowJob.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("killed.log").toFile())
            .start();
    Path leftover;
    try {
      leftover = awaitOwnTemp(dir.resolve("out/p"), othersLeftover, killed);
    } finally {
      killed.destroyForcibly().waitFor();
    }
    assertThat(leftover).exists(); // what the kill left
    // The small file may be waiting for the byte cap with its temporary file open, too.
    List<Path> left = ownTemps(dir.resolve("out/p"), othersLeftover);
    JobSpec spec = JobSpecParser.parse(jobFile(dir.resolve("fast.yaml"), name, bucket, ""));
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.history(name, 1).get(0).status()).isEqualTo(RunStatus.RUNNING);
    }
    // As if the killed run's lease had expired (two minutes later).
    try (Connection c = DriverManager.getConnection(spec.control().url());
        PreparedStatement ps =
            c.prepareStatement("UPDATE copyjob_leases SET expires_at = ? WHERE job = ?")) {
      ps.setObject(1, Instant.now().minusSeconds(1).atOffset(ZoneOffset.UTC));
      ps.setString(2, name);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }

    FileCopyJob next = job(spec);
    RunRecord run = next.run();

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(left).contains(leftover).allMatch(f -> !Files.exists(f));
    assertThat(othersLeftover).exists();
    assertThat(next.counters().get(CopyMetrics.LEFTOVERS_REMOVED)).isEqualTo(left.size());
    assertThat(TestTrees.read(dir.resolve("out")))
        .containsOnlyKeys("p/big.bin", "p/small.txt", "p/" + othersLeftover.getFileName());
    assertThat(TestTrees.read(dir.resolve("out")).get("p/big.bin")).isEqualTo(big);
    assertThat(TestTrees.read(dir.resolve("out")).get("p/small.txt")).isEqualTo(small);
  }

  /** The temporary files in {@code folder} but {@code others}. */
  private static List<Path> ownTemps(Path folder, Path others) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .filter(f -> f.getFileName().toString().contains(".copyjob-"))
          .filter(f -> !f.equals(others))
          .toList();
    }
  }

  /** Waits for the killed run's temporary file of the large file to appear in {@code folder}. */
  private static Path awaitOwnTemp(Path folder, Path others, Process process) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      if (Files.isDirectory(folder)) {
        try (Stream<Path> files = Files.list(folder)) {
          List<Path> temps =
              files
                  .filter(f -> f.getFileName().toString().startsWith(".big.bin.copyjob-"))
                  .filter(f -> !f.equals(others))
                  .toList();
          if (!temps.isEmpty() && Files.size(temps.get(0)) > 0) {
            return temps.get(0);
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError(
        "the run wrote no temporary file; its output: "
            + Files.readString(folder.getParent().getParent().resolve("killed.log")));
  }

  private static Path jobFile(Path file, String name, String source, String copySettings)
      throws Exception {
    Files.writeString(
        file,
        String.join(
            "\n",
            "name: " + name,
            "connections:",
            "  aws:",
            "    type: s3",
            "    endpoint: " + S3.endpoint(),
            "    pathStyle: true",
            "    accessKeyIdEnv: COPYJOB_TEST_S3_KEY",
            "    secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET",
            "source:",
            "  connection: aws",
            "  root: " + source,
            "  partitions: [p/]",
            "sink:",
            "  root: ./out/",
            "copy:",
            "  transfersPerWorker: 2",
            copySettings));
    return file;
  }

  private static FileCopyJob job(JobSpec spec) {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return new FileCopyJob(
        spec, options, "direct", "{}", new PrintStream(new ByteArrayOutputStream()), false);
  }
}
