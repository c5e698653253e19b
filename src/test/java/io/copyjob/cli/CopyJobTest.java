package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The commands as a user types them: exit codes, what they print, what they write. */
public class CopyJobTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path dir;
  private Path jobFile;
  private Map<String, byte[]> files;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Before
  public void makeJob() throws Exception {
    dir = tmp.getRoot().toPath();
    Path source = dir.resolve("src");
    files =
        Map.of(
            "x/1.bin", TestTrees.write(source, "x/1.bin", 1000),
            "x/2.bin", TestTrees.write(source, "x/2.bin", 2000),
            "y/3.bin", TestTrees.write(source, "y/3.bin", 3000));
    jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: cli",
            "source:",
            "  root: ./src/",
            "  partitions: [x, y]",
            "sink:",
            "  root: ./dst/",
            ""));
  }

  private int copyjob(String... args) {
    return CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  public void runCopiesPrintsTheSummaryAndExitsZero() throws Exception {
    assertThat(copyjob("run", jobFile.toString())).isZero();

    TestTrees.assertTree(dir.resolve("dst"), files);
    assertThat(out.toString())
        .startsWith("run 1 of job 'cli': SUCCEEDED")
        .contains("partitions  2 succeeded, 0 failed")
        .contains("files       3 copied, 0 skipped, 0 failed")
        .contains("bytes       5.9 KiB copied")
        // Where the time went, from the workers' progress rows, and the step that took longest
        // ("none" when a fast machine copies these three small files in under a millisecond each).
        .containsPattern(
            "  time        listing [0-9.]+ s, reading [0-9.]+ s, writing [0-9.]+ s, waiting [0-9.]+"
                + " s \\(summed over the transfers\\); longest:"
                + " (listing|reading|writing|waiting|none)")
        .containsPattern("  transfers   peak [1-9][0-9]* in flight, first byte after [0-9.]+ s, 0");

    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--run", "1")).isZero();
    assertThat(out.toString())
        .contains("where the time went (summed over each partition's transfers):")
        .containsPattern("(?m)^x\\s+DONE\\s+[0-9.]+ s")
        .containsPattern("(?m)^y\\s+DONE\\s+[0-9.]+ s");
    assertThat(err.toString()).doesNotContain("copyjob:");
  }

  @Test
  public void runWithJsonPrintsTheSummaryForSchedulers() throws Exception {
    assertThat(copyjob("run", jobFile.toString(), "--json")).isZero();

    com.fasterxml.jackson.databind.JsonNode run =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(run.get("run").asLong()).isEqualTo(1);
    assertThat(run.at("/totals/filesCopied").asLong()).isEqualTo(3);
    assertThat(run.at("/totals/bytesCopied").asLong()).isEqualTo(6000);
    assertThat(run.get("warnings")).isEmpty();
  }

  @Test
  public void historyAndPartitionsShowWhatTheRunsRecorded() throws Exception {
    copyjob("run", jobFile.toString());
    assertThat(copyjob("partitions", "reset", jobFile.toString(), "x")).isZero();
    copyjob("run", jobFile.toString());
    out.getBuffer().setLength(0);

    assertThat(copyjob("history", jobFile.toString())).isZero();
    String[] history = out.toString().split("\\R");
    assertThat(history).hasSize(3);
    assertThat(history[1]).startsWith("2    SUCCEEDED").contains("1/0").contains("0/2/0");
    assertThat(history[2]).startsWith("1    SUCCEEDED").contains("2/0").contains("3/0/0");

    out.getBuffer().setLength(0);
    assertThat(copyjob("partitions", "list", jobFile.toString())).isZero();
    assertThat(out.toString().split("\\R"))
        .hasSize(3)
        .satisfies(lines -> assertThat(lines[1]).containsPattern("'x'\\s+SUCCEEDED"))
        .satisfies(lines -> assertThat(lines[2]).containsPattern("'y'\\s+SUCCEEDED"));

    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--run", "2")).isZero();
    assertThat(out.toString())
        .contains("run 2 of job 'cli': SUCCEEDED")
        .contains("\"name\":\"cli\"")
        .containsPattern("'x'\\s+succeeded");
  }

  @Test
  public void anInvalidJobFileIsOneLineNamingTheFieldAndExitsTwo() throws Exception {
    Files.writeString(jobFile, Files.readString(jobFile) + "copy:\n  transfersPerWorker: 0\n");

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(2);

    assertThat(err.toString())
        .isEqualTo(
            "copyjob: "
                + jobFile
                + ": copy.transfersPerWorker: must be between 1 and 1024, got 0"
                + System.lineSeparator());
    assertThat(dir.resolve("dst")).doesNotExist();
  }

  @Test
  public void aFailedRunExitsOneWithTheReason() throws Exception {
    // A non-empty folder where y/3.bin must go: the write cannot replace it.
    TestTrees.write(dir.resolve("dst"), "y/3.bin/blocker", 1);

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(1);

    assertThat(out.toString())
        .startsWith("run 1 of job 'cli': FAILED")
        .contains("partitions  1 succeeded, 1 failed")
        .contains("files       2 copied, 0 skipped, 1 failed");
    assertThat(err.toString())
        .startsWith(
            "copyjob: run 1 failed: 1 partition(s) failed; first partition 'y': y/3.bin:"
                + " FileSystemException")
        .contains("Is a directory")
        .hasLineCount(1);

    // The manifest: every file with its outcome; --failed the one that failed, with why.
    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--run", "1", "--files", "--json")).isZero();
    com.fasterxml.jackson.databind.JsonNode manifest =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertThat(manifest).hasSize(3);
    for (com.fasterxml.jackson.databind.JsonNode f : manifest) {
      String key = f.get("key").asText();
      assertThat(f.get("sinkKey").asText()).isEqualTo(key);
      assertThat(f.get("size").asLong()).isEqualTo(files.get(key).length);
      if (key.equals("y/3.bin")) {
        assertThat(f.get("outcome").asText()).isEqualTo("FAILED");
        assertThat(f.get("error").asText()).contains("Is a directory");
        assertThat(f.get("bytesWritten").asLong()).isZero();
      } else {
        assertThat(f.get("outcome").asText()).isEqualTo("COPIED");
        assertThat(f.get("bytesWritten").asLong()).isEqualTo(files.get(key).length);
        // Copied by the kernel and verified by CRC32C (both read back): no MD5 was computed.
        assertThat(f.get("md5").isNull()).isTrue();
      }
    }
    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--run", "1", "--files", "--failed"))
        .isZero();
    assertThat(out.toString().lines())
        .hasSize(2)
        .first()
        .asString()
        .startsWith("PARTITION  FILE     OUTCOME  SIZE  SINK KEY");
    assertThat(out.toString().lines().skip(1).findFirst().orElseThrow())
        .startsWith(
            "'y'        y/3.bin  FAILED   3000  y/3.bin   -    y/3.bin: FileSystemException");
    assertThat(copyjob("history", jobFile.toString(), "--files")).isEqualTo(2);
  }

  /**
   * A manifest the store refuses (here a constraint no row meets) fails the run at once, with the
   * reason; the run's row still ends FAILED with it, and no partition is recorded as done without
   * its files in the manifest.
   */
  @Test
  public void aManifestThatCannotBeWrittenFailsTheRunAndSaysWhy() throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    try (ControlStore control = ControlStore.open(spec.control());
        java.sql.Connection c = java.sql.DriverManager.getConnection(spec.control().url());
        java.sql.Statement s = c.createStatement()) {
      s.execute("ALTER TABLE copyjob_files ADD CONSTRAINT no_files CHECK (outcome = 'NONE')");
    }

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(1);

    assertThat(err.toString())
        .startsWith("copyjob: run 1 failed: ")
        .contains("to the run's manifest failed: copyjob_files: record the files of run")
        .contains("NO_FILES")
        .hasLineCount(1);
    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--run", "1", "--json")).isZero();
    com.fasterxml.jackson.databind.JsonNode run =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertThat(run.toString()).contains("\"status\":\"FAILED\"").contains("manifest failed");
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitions("cli"))
          .allMatch(p -> p.status() != io.copyjob.control.PartitionStatus.SUCCEEDED);
    }
  }

  @Test
  public void planWritesNothingAndCountsWhatARunWouldCopy() throws Exception {
    assertThat(copyjob("plan", jobFile.toString())).isZero();

    assertThat(out.toString())
        .contains("partition 'x' of " + dir.resolve("src").toUri() + ": 2 files, 2.9 KiB")
        .contains("partition 'y' of " + dir.resolve("src").toUri() + ": 1 files, 2.9 KiB")
        .contains("plan for job 'cli' (full): 2 partition(s), 3 files, 5.9 KiB");
    assertThat(dir.resolve(".copyjob")).doesNotExist();
    assertThat(dir.resolve("dst")).doesNotExist();
  }

  @Test
  public void planJsonGivesEachPartitionTheTotalsAndWithFilesEachFile() throws Exception {
    assertThat(copyjob("plan", jobFile.toString(), "--json", "--files")).isZero();

    com.fasterxml.jackson.databind.JsonNode plan =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertThat(plan.get("job").asText()).isEqualTo("cli");
    assertThat(plan.get("mode").asText()).isEqualTo("full");
    assertThat(plan.get("partitions"))
        .extracting(p -> p.get("prefix").asText() + "=" + p.get("files").asLong())
        .containsExactlyInAnyOrder("x=2", "y=1");
    assertThat(plan.at("/totals/files").asLong()).isEqualTo(3);
    assertThat(plan.at("/totals/bytes").asLong())
        .isEqualTo(files.values().stream().mapToLong(b -> b.length).sum());
    assertThat(plan.get("files")).hasSize(3);
    assertThat(plan.get("files").get(0).get("file").asText()).startsWith("file:");
    assertThat(dir.resolve(".copyjob")).doesNotExist();
  }

  @Test
  public void aSecondRunOfARunningJobIsRefusedNamingTheHolderAndExitsThree() throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    Instant expires;
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.acquireLease("cli", "build-7:4242:u-1", Duration.ofMinutes(1))).isTrue();
      control.startRun("cli", "build-7:4242:u-1", Instant.now(), "full", "direct", "{}");
      expires = control.lease("cli").orElseThrow().expiresAt();
    }

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(3);

    assertThat(err.toString())
        .isEqualTo(
            "copyjob: job 'cli' is already running (host build-7, pid 4242, run 1); its lease is"
                + " valid until "
                + expires
                + " (the control database's clock)"
                + System.lineSeparator());
    assertThat(dir.resolve("dst")).doesNotExist();
  }

  @Test
  public void runWaitsForTheLeaseWhenAsked() throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.acquireLease("cli", "build-7:4242:u-1", Duration.ofMinutes(1))).isTrue();
    }
    Thread releaser =
        new Thread(
            () -> {
              try {
                Thread.sleep(1500);
                try (ControlStore control = ControlStore.open(spec.control())) {
                  control.releaseLease("cli", "build-7:4242:u-1");
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    releaser.start();

    // A bound: the holder lets go within it, and the run goes on.
    assertThat(copyjob("run", jobFile.toString(), "--wait-for-lease=30s")).isZero();
    releaser.join();

    assertThat(out.toString()).startsWith("run 1 of job 'cli': SUCCEEDED");
    assertThat(err.toString())
        .startsWith(
            "copyjob: job 'cli' is already running (host build-7, pid 4242, its run not started"
                + " yet); its lease is valid until ")
        .contains("; waiting up to 30s" + System.lineSeparator());
    assertThat(err.toString().split("waiting up to", -1)).hasSize(2); // said once
    TestTrees.assertTree(dir.resolve("dst"), files);
  }

  @Test
  public void waitingForALeaseThatStaysHeldEndsWithExitThree() throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.acquireLease("cli", "build-7:4242:u-1", Duration.ofMinutes(1))).isTrue();
    }

    assertThat(copyjob("run", jobFile.toString(), "--wait-for-lease=2s")).isEqualTo(3);

    assertThat(err.toString().lines())
        .hasSize(2)
        .last()
        .asString()
        .startsWith("copyjob: job 'cli' is already running (host build-7")
        .endsWith("(the control database's clock) (waited 2s)");
    assertThat(copyjob("run", jobFile.toString(), "--wait-for-lease=soon")).isEqualTo(2);
  }

  @Test
  public void historyShowsAKilledRunAsAbandonedWithPerJobRunNumbers() throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    Instant started = Instant.parse("2026-01-02T03:04:05Z");
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.startRun("another-job", started, "full", "direct", "{}");
      // A run whose process was killed: RUNNING, its lease gone.
      control.startRun("cli", started, "full", "direct", "{}");
    }

    assertThat(copyjob("history", jobFile.toString())).isZero();
    assertThat(out.toString())
        .containsPattern("(?m)^1\\s+ABANDONED\\s+2026-01-02 03:04:05")
        .contains("abandoned: last seen at 2026-01-02T03:04:05Z; its lease is gone");

    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--run", "1")).isZero();
    assertThat(out.toString()).startsWith("run 1 of job 'cli': ABANDONED");
    assertThat(copyjob("history", jobFile.toString(), "--run", "2")).isEqualTo(2);
    assertThat(err.toString())
        .isEqualTo("copyjob: --run: job 'cli' has no run 2" + System.lineSeparator());
  }

  @Test
  public void statusShowsARunningRunsProgressFromTheStoreAndSaysWhenItIsStale() throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    String root = spec.source().root().toString();
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.addPartitions(
          "cli", java.util.List.of(new PartitionKey(root, "x"), new PartitionKey(root, "y")));
      // A run on another machine: its lease held, one partition recorded so far.
      assertThat(control.acquireLease("cli", "worker-1:77:u-1", Duration.ofMinutes(1))).isTrue();
      long runId = control.startRun("cli", "worker-1:77:u-1", Instant.now(), "full", "flink", "{}");
      control.recordPartitionResult(
          runId,
          "cli",
          Instant.now(),
          new PartitionResult(new PartitionKey(root, "x"), 2, 1, 0, 3000, null, null, null, null));
    }

    assertThat(copyjob("status", jobFile.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .startsWith("job 'cli': run 1 RUNNING since ")
        .contains("  last seen   ")
        .contains(" ago on flink" + System.lineSeparator())
        .contains("  partitions  1 of 2 finished (1 succeeded, 0 failed)")
        .contains("  files       2 copied, 1 skipped, 0 failed of 0 listed so far, 2.9 KiB");

    out.getBuffer().setLength(0);
    assertThat(copyjob("status", jobFile.toString(), "--json")).isZero();
    com.fasterxml.jackson.databind.JsonNode json =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertThat(json.get("status").asText()).isEqualTo("RUNNING");
    assertThat(json.get("stale").asBoolean()).isFalse();
    assertThat(json.get("partitionsTotal").asInt()).isEqualTo(2);
    assertThat(json.at("/soFar/filesCopied").asLong()).isEqualTo(2);
    assertThat(json.at("/soFar/bytesCopied").asLong()).isEqualTo(3000);
    assertThat(json.at("/partitions/0/prefix").asText()).isEqualTo("x");

    // Its process died: the lease is gone, the run is RUNNING still in the store.
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.releaseLease("cli", "worker-1:77:u-1");
    }
    out.getBuffer().setLength(0);
    assertThat(copyjob("status", jobFile.toString())).isZero();
    assertThat(out.toString())
        .startsWith("job 'cli': run 1 STALE since ")
        .contains("no live lease holds it: its process is gone");
  }

  @Test
  public void statusShowsTheWorkersProgressAndStaleWhenTheirHeartbeatsStop() throws Exception {
    JobSpec spec = JobSpecParser.parse(jobFile);
    String root = spec.source().root().toString();
    long runId;
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.addPartitions("cli", java.util.List.of(new PartitionKey(root, "x")));
      assertThat(control.acquireLease("cli", "worker-1:77:u-1", Duration.ofMinutes(1))).isTrue();
      runId = control.startRun("cli", "worker-1:77:u-1", Instant.now(), "full", "flink", "{}");
      control
          .progress()
          .write(
              runId,
              "cli",
              "tm-1:9:w",
              java.util.List.of(
                  new io.copyjob.control.ProgressRecord(
                      new PartitionKey(root, "x"),
                      io.copyjob.control.ProgressState.COPYING,
                      10,
                      10_000,
                      3,
                      1,
                      0,
                      5_000,
                      0,
                      100,
                      4_000,
                      1_500,
                      200,
                      300L,
                      4,
                      2,
                      null)));
    }

    assertThat(copyjob("status", jobFile.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .startsWith("job 'cli': run 1 RUNNING since ")
        .contains("  files       3 copied, 1 skipped, 0 failed of 10 listed so far, 4.9 KiB")
        .contains("  copying     'x': 4 of 10 files, 4.9 KiB, reported ")
        .contains(
            "  time        listing 0.1 s, reading 4.0 s, writing 1.5 s, waiting 0.2 s (summed over"
                + " the transfers); longest: reading")
        .contains("  transfers   peak 0 in flight, first byte after 0.3 s, 2 throttling answers");

    // Its workers stopped writing (the lease is still held: its client lives).
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(spec.control().url());
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "UPDATE copyjob_progress SET heartbeat_at = heartbeat_at - INTERVAL '5' MINUTE")) {
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
    out.getBuffer().setLength(0);
    assertThat(copyjob("status", jobFile.toString())).isZero();
    assertThat(out.toString())
        .startsWith("job 'cli': run 1 STALE since ")
        .containsPattern("last seen   [0-9.]+ s ago on flink")
        .contains("its workers wrote no progress for 5m0");
    out.getBuffer().setLength(0);
    assertThat(copyjob("status", jobFile.toString(), "--json")).isZero();
    com.fasterxml.jackson.databind.JsonNode json =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertThat(json.get("stale").asBoolean()).isTrue();
    assertThat(json.get("staleReason").asText()).startsWith("its workers wrote no progress for");
    assertThat(json.at("/partitions/0/state").asText()).isEqualTo("COPYING");
    assertThat(json.at("/partitions/0/bytesCopied").asLong()).isEqualTo(5_000);
    assertThat(json.at("/soFar/longestStep").asText()).isEqualTo("reading");
    assertThat(json.at("/soFar/throttled").asLong()).isEqualTo(2);
  }

  @Test
  public void statusOfAFinishedRunAndHistoryAsJson() throws Exception {
    assertThat(copyjob("status", jobFile.toString())).isZero();
    assertThat(out.toString()).isEqualTo("job 'cli': no run yet" + System.lineSeparator());
    assertThat(copyjob("run", jobFile.toString())).isZero();
    out.getBuffer().setLength(0);

    assertThat(copyjob("status", jobFile.toString())).isZero();
    assertThat(out.toString())
        .startsWith("job 'cli': not running; its last run:" + System.lineSeparator())
        .contains("run 1 of job 'cli': SUCCEEDED");

    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--json")).isZero();
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.JsonNode runs = mapper.readTree(out.toString());
    assertThat(runs).hasSize(1);
    assertThat(runs.get(0).get("run").asLong()).isEqualTo(1);
    assertThat(runs.get(0).get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(runs.get(0).at("/totals/filesCopied").asLong()).isEqualTo(3);
    assertThat(runs.get(0).at("/totals/bytesCopied").asLong()).isEqualTo(6000);
    assertThat(runs.get(0).at("/settings/name").asText()).isEqualTo("cli");

    out.getBuffer().setLength(0);
    assertThat(copyjob("history", jobFile.toString(), "--run", "1", "--json")).isZero();
    com.fasterxml.jackson.databind.JsonNode run = mapper.readTree(out.toString());
    assertThat(run.get("partitions")).hasSize(2);
    assertThat(run.at("/partitions/1/prefix").asText()).isEqualTo("y");
    assertThat(run.at("/partitions/1/filesCopied").asLong()).isEqualTo(1);
  }

  @Test
  public void partitionsOfAnotherRootLandBelowAFolderOfItsName() throws Exception {
    byte[] other = TestTrees.write(dir.resolve("src2"), "z/9.bin", 900);
    assertThat(copyjob("partitions", "add", jobFile.toString(), "z", "--root", "src2")).isZero();
    assertThat(out.toString())
        .isEqualTo("added 1 partition(s), 0 already there" + System.lineSeparator());

    assertThat(copyjob("run", jobFile.toString())).isZero();

    Map<String, byte[]> expected = new java.util.HashMap<>(files);
    expected.put("src2/z/9.bin", other);
    TestTrees.assertTree(dir.resolve("dst"), expected);
    assertThat(out.toString()).contains("partitions  3 succeeded, 0 failed");
  }

  /** An absolute path had been appended to the source root's parent (file:///...//abs/path/). */
  @Test
  public void anotherRootGivenAsAnAbsolutePathIsThatFolder() throws Exception {
    Path elsewhere = dir.resolve("mnt/more");
    byte[] other = TestTrees.write(elsewhere, "z/9.bin", 900);
    assertThat(
            copyjob("partitions", "add", jobFile.toString(), "z", "--root", elsewhere.toString()))
        .isZero();

    assertThat(copyjob("run", jobFile.toString())).isZero();

    Map<String, byte[]> expected = new java.util.HashMap<>(files);
    expected.put("more/z/9.bin", other);
    TestTrees.assertTree(dir.resolve("dst"), expected);
    assertThat(out.toString()).contains("partitions  3 succeeded, 0 failed");
  }

  /** The line had said "control store: control store URL: ...". */
  @Test
  public void aControlStoreThatDoesNotAnswerIsOneLineNamingItOnce() throws Exception {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/copyjob";
    Files.writeString(
        jobFile, Files.readString(jobFile) + "control:\n  url: " + url + "\n  user: u\n");

    assertThat(copyjob("run", jobFile.toString())).isEqualTo(1);

    assertThat(err.toString().lines()).hasSize(1);
    assertThat(err.toString()).startsWith("copyjob: control store " + url + ": cannot connect: ");
  }
}
