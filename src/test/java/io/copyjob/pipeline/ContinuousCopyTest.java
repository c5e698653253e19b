package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.Assume.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.HistoryServer;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code mode: continuous} on the DirectRunner, from a local folder into an Azurite container, with
 * a PostgreSQL control store: files that land while the run goes arrive each once, bytes equal; the
 * rounds' windows follow each other with no gap and no overlap; a stop leaves the run STOPPED with
 * every round recorded or abandoned and the watermark at the last recorded round's end.
 */
public class ContinuousCopyTest {
  /** Short, so that the test takes seconds; the arrival is counted in rounds, not asserted in s. */
  static final Duration INTERVAL = Duration.ofSeconds(3);

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void filesLandingWhileItRunsArriveOnceAndEveryRoundIsRecorded() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    Path source = tmp.newFolder("source").toPath();
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      String key = "p/early-" + i + ".bin";
      files.put(key, TestTrees.write(source, key, 10_000 + i));
    }
    Path jobFile = jobFile("continuous-" + id, source, "cont-" + id);
    JobSpec spec = JobSpecParser.parse(jobFile);
    FileCopyJob job =
        new FileCopyJob(
            spec,
            directOptions(),
            "direct",
            "{}",
            new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"),
            false);
    CompletableFuture<RunRecord> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return job.run();
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    try (Store sink = Stores.open(sinkRoot(id), AzuriteServer.connection("lake", false))) {
      for (String key : files.keySet()) {
        awaitAt(sink, key, running);
      }
      // Two files land while it runs; each is timed from its landing to its arrival.
      List<Duration> delays = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        String key = "p/late-" + i + ".bin";
        files.put(key, TestTrees.write(source, key, 20_000 + i));
        Instant landed = Instant.now();
        awaitAt(sink, key, running);
        delays.add(Duration.between(landed, Instant.now()));
      }
      System.out.println("continuous, direct runner: landing to arrival " + delays);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        try (InputStream in = sink.open(file.getKey())) {
          assertThat(in.readAllBytes()).as(file.getKey()).isEqualTo(file.getValue());
        }
      }
      // At least one round after the last arrival: nothing more to copy, nothing copied twice.
      awaitRounds(spec, 2 + lastRound(spec), running);
    }
    // status while it runs: RUNNING, with its rounds so far.
    StringWriter status = new StringWriter();
    assertThat(copyjob(status, "status", jobFile.toString())).isZero();
    assertThat(status.toString())
        .contains(": run 1 RUNNING since ")
        .containsPattern("(?m)^  rounds      \\d+, last \\d+ \\(partition rounds: \\d+ succeeded,");
    job.stop();
    RunRecord run = running.get(2, TimeUnit.MINUTES);

    assertThat(run.status()).isEqualTo(RunStatus.STOPPED);
    assertThat(run.mode()).isEqualTo("continuous");
    try (ControlStore control = ControlStore.open(spec.control())) {
      List<RoundRecord> rounds = control.rounds(run.runId());
      assertThat(rounds).isNotEmpty().noneMatch(r -> r.status() == RoundStatus.RUNNING);
      List<RoundRecord> recorded =
          rounds.stream().filter(r -> r.status() == RoundStatus.SUCCEEDED).toList();
      assertThat(recorded.get(0).windowStart()).isNull();
      Duration resolution;
      try (Store local = Stores.open(source.toUri(), null)) {
        resolution = local.timeResolution();
      }
      for (int i = 1; i < recorded.size(); i++) {
        // Overlap 0s: each window starts where the one before ended, at the store's resolution.
        assertThat(recorded.get(i).windowStart())
            .isEqualTo(DeltaWindow.roundDown(recorded.get(i - 1).windowEnd(), resolution));
        assertThat(recorded.get(i).round()).isGreaterThan(recorded.get(i - 1).round());
      }
      assertThat(recorded.stream().mapToLong(RoundRecord::filesCopied).sum()).isEqualTo(5);
      assertThat(rounds).allMatch(r -> r.filesFailed() == 0);
      assertThat(recorded.get(0).filesCopied()).isEqualTo(3);
      // The run's partition row holds the sums over its rounds, and the run the same totals.
      PartitionRunRecord partition = control.partitionRuns(run.runId()).get(0);
      assertThat(partition.result().filesCopied()).isEqualTo(5);
      assertThat(partition.result().windowEnd())
          .isEqualTo(recorded.get(recorded.size() - 1).windowEnd());
      assertThat(run.totals().filesCopied()).isEqualTo(5);
      PartitionState state = control.partitions(spec.name()).get(0);
      assertThat(state.lastSuccessTime()).isEqualTo(recorded.get(recorded.size() - 1).windowEnd());
      assertThat(control.lease(spec.name())).isEmpty();
    }
    // history and the ui show the run's rounds.
    StringWriter history = new StringWriter();
    assertThat(copyjob(history, "history", jobFile.toString(), "--run", "1")).isZero();
    assertThat(history.toString())
        .startsWith("run 1 of job '" + spec.name() + "': STOPPED")
        .contains("ROUND  PARTITION  STATUS")
        .containsPattern("(?m)^\\d+\\s+'p'\\s+SUCCEEDED\\s+.*\\s3\\s+0\\s+0\\s");
    StringWriter json = new StringWriter();
    assertThat(copyjob(json, "history", jobFile.toString(), "--run", "1", "--json")).isZero();
    JsonNode rounds = new ObjectMapper().readTree(json.toString()).path("rounds");
    assertThat(rounds.size()).isEqualTo(control(spec).size());
    try (HistoryServer ui =
        HistoryServer.start(spec.control(), new InetSocketAddress("127.0.0.1", 0))) {
      String page =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:" + ui.port() + "/jobs/" + spec.name() + "/runs/1"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(page).contains("<h2>Rounds</h2>").contains("<td>SUCCEEDED</td>");
    }
  }

  private static List<RoundRecord> control(JobSpec spec) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.rounds(control.history(spec.name(), 1).get(0).runId());
    }
  }

  private static int copyjob(StringWriter out, String... args) {
    return io.copyjob.cli.CopyJob.execute(
        new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), args);
  }

  // --- helpers -----------------------------------------------------------------------------------

  static PipelineOptions directOptions() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    DirectOptions direct = options.as(DirectOptions.class);
    direct.setBlockOnRun(false);
    direct.setEnforceImmutability(false);
    direct.setEnforceEncodability(false);
    return options;
  }

  static URI sinkRoot(String id) {
    return URI.create("azfs://devstoreaccount1/cont-" + id + "/landing/");
  }

  Path jobFile(String name, Path source, String container) throws Exception {
    String pg = System.getenv("COPYJOB_TEST_PG_URL");
    if (pg == null) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
        throw new AssertionError(
            "COPYJOB_TEST_PG_URL is not set; start PostgreSQL with scripts/test");
      }
      assumeTrue("no PostgreSQL configured", false);
    }
    Path jobFile = tmp.getRoot().toPath().resolve(name + ".yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + name,
            "connections:",
            "  lake: {type: azure, account: devstoreaccount1, endpoint: '"
                + AzuriteServer.endpoint()
                + "',",
            "         accountKeyEnv: COPYJOB_TEST_AZURE_KEY, createContainer: true}",
            "source: {root: '" + source.toUri() + "', partitions: [p]}",
            "sink: {root: 'azfs://devstoreaccount1/" + container + "/landing/', connection: lake}",
            "mode: continuous",
            "continuous: {interval: " + INTERVAL.toSeconds() + "s}",
            "delta: {overlap: 0s}",
            "control:",
            "  url: " + pg,
            "  user: " + System.getenv("COPYJOB_TEST_PG_USER"),
            "  passwordEnv: COPYJOB_TEST_PG_PASSWORD",
            ""));
    return jobFile;
  }

  /** Waits (generously: the machine is shared) until the sink holds {@code key}. */
  static void awaitAt(Store sink, String key, CompletableFuture<?> running) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (running.isDone()) {
        running.get();
        throw new AssertionError("the run ended before " + key + " arrived");
      }
      if (sink.stat(key).isPresent()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(key + " did not arrive within 120 s");
  }

  static long lastRound(JobSpec spec) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      RunRecord run = control.history(spec.name(), 1).get(0);
      return control.rounds(run.runId()).stream().mapToLong(RoundRecord::round).max().orElse(0);
    }
  }

  /** Waits until a round numbered {@code round} or later has been recorded. */
  static void awaitRounds(JobSpec spec, long round, CompletableFuture<?> running) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (running.isDone()) {
        running.get();
      }
      try (ControlStore control = ControlStore.open(spec.control())) {
        RunRecord run = control.history(spec.name(), 1).get(0);
        Optional<RoundRecord> done =
            control.rounds(run.runId()).stream()
                .filter(r -> r.round() >= round && r.status() != RoundStatus.RUNNING)
                .findAny();
        if (done.isPresent()) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("round " + round + " was not recorded within 120 s");
  }
}
