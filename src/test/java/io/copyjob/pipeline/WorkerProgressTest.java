package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.ProgressPoint;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.ProgressState;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.LiveProgress;
import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.FaultProxy;
import io.copyjob.store.FaultProxy.Fault;
import io.copyjob.store.S3ProxyServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

/**
 * The workers' progress rows on the DirectRunner: written in batches while the run goes (read from
 * the control store, as {@code status} and the ui read them), bytes counted as they stream, and the
 * throttling answers of the stores counted one for one.
 */
public class WorkerProgressTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  @Rule public Timeout guard = Timeout.seconds(180);

  private final String id = UUID.randomUUID().toString().substring(0, 8);
  private final ExecutorService runs = Executors.newSingleThreadExecutor();

  @After
  public void clear() {
    FaultyStore.SLOW.clear();
    FaultyStore.TRICKLE.clear();
    runs.shutdownNow();
  }

  private ControlSpec h2() {
    return new ControlSpec(
        "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control/copyjob") + ";AUTO_SERVER=TRUE",
        null,
        null);
  }

  private JobSpec spec(Path source, Path sink, List<String> partitions, int transfers) {
    return new JobSpec(
        "progress-" + id,
        new SourceSpec(URI.create("faulty://" + source.toUri().getPath()), partitions),
        new SinkSpec(sink.toUri()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, transfers),
        Mode.FULL,
        DeltaSpec.none(),
        h2());
  }

  /** Two threads: the copies of slow files then spread over several of the workers' batches. */
  private static PipelineOptions direct() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    options.as(DirectOptions.class).setTargetParallelism(2);
    return options;
  }

  private Future<RunRecord> start(JobSpec spec) {
    return runs.submit(
        () ->
            new FileCopyJob(
                    spec,
                    direct(),
                    "direct",
                    "{}",
                    new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"),
                    false)
                .run());
  }

  /** The run's progress every 200 ms while it runs, as {@code status} reads it. */
  private List<LiveProgress> pollWhileRunning(JobSpec spec, Future<RunRecord> run)
      throws Exception {
    List<LiveProgress> seen = new ArrayList<>();
    while (!run.isDone()) {
      try (ControlStore control = ControlStore.open(spec.control())) {
        Optional<RunRecord> last = control.history(spec.name(), 1).stream().findFirst();
        if (last.isPresent() && last.get().status() == RunStatus.RUNNING) {
          seen.add(LiveProgress.read(control, last.get()));
        }
      }
      Thread.sleep(200);
    }
    return seen;
  }

  @Test
  public void progressRowsAdvanceWhileTheRunGoesAndEndAsRecorded() throws Exception {
    Path source = tmp.newFolder("source").toPath();
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 1; i <= 12; i++) {
      String key = (i % 2 == 0 ? "a/" : "b/") + i + ".bin";
      files.put(key, TestTrees.write(source, key, 10_000));
    }
    FaultyStore.SLOW.addAll(files.keySet()); // a second per file: the run lasts several batches
    Path sink = tmp.getRoot().toPath().resolve("sink");
    JobSpec spec = spec(source, sink, List.of("a", "b"), 1);

    Future<RunRecord> run = start(spec);
    List<LiveProgress> seen = pollWhileRunning(spec, run);
    RunRecord done = run.get();

    assertThat(done.status()).isEqualTo(RunStatus.SUCCEEDED);
    TestTrees.assertTree(sink, files);
    // Files finished as the run went, in several batches, never going back.
    List<Long> filesDone = seen.stream().map(p -> p.total().filesDone()).distinct().toList();
    assertThat(filesDone.stream().filter(n -> n > 0 && n < files.size()).count())
        .as("distinct counts of files done seen mid-run: %s", filesDone)
        .isGreaterThanOrEqualTo(2);
    assertThat(filesDone).isSorted();
    assertThat(seen)
        .anySatisfy(
            p ->
                assertThat(p.partitions())
                    .extracting(ProgressRecord::state)
                    .contains(ProgressState.COPYING));
    assertThat(seen).allSatisfy(p -> assertThat(p.stale()).isNull());
    try (ControlStore control = ControlStore.open(spec.control())) {
      LiveProgress end = LiveProgress.read(control, done);
      // A reader that took the run's row while it ran and reads its lease after the run released
      // it sees a run that just ended, not a dead one.
      LiveProgress late = LiveProgress.read(control, seen.get(seen.size() - 1).run());
      assertThat(late.run().status()).isEqualTo(RunStatus.RUNNING);
      assertThat(late.stale()).isNull();
      assertThat(end.partitions())
          .extracting(ProgressRecord::state)
          .containsOnly(ProgressState.DONE);
      ProgressRecord workers = control.progress().read(done.runId()).total();
      // The workers' own figures agree with what the partitions recorded.
      assertThat(workers.filesCopied()).isEqualTo(files.size());
      assertThat(workers.filesListed()).isEqualTo(files.size());
      assertThat(workers.bytes()).isEqualTo(done.totals().bytesCopied());
      // Two slots per DoFn instance; the direct runner runs a few instances at once.
      assertThat(end.total().peakInFlight()).isBetween(1L, (long) files.size());
      assertThat(workers.firstByteMillis()).isNotNull();
      assertThat(workers.readingMillis()).isGreaterThanOrEqualTo(files.size() * 900L);
      assertThat(workers.longestStep()).isEqualTo("reading");
      // One point of totals per batch: growing while the run went, its last ones the run's sums.
      List<ProgressPoint> history = control.progress().history(done.runId());
      Map<String, ProgressPoint> last = new LinkedHashMap<>();
      for (ProgressPoint p : history) {
        ProgressPoint before = last.put(p.worker(), p);
        if (before != null) {
          assertThat(p.files()).isGreaterThanOrEqualTo(before.files());
          assertThat(p.bytes()).isGreaterThanOrEqualTo(before.bytes());
        }
      }
      assertThat(history.stream().map(ProgressPoint::files).distinct().count())
          .as("distinct files done in the history: %s", history)
          .isGreaterThanOrEqualTo(3);
      assertThat(last.values().stream().mapToLong(ProgressPoint::files).sum())
          .isEqualTo(files.size());
      assertThat(last.values().stream().mapToLong(ProgressPoint::bytes).sum())
          .isEqualTo(done.totals().bytesCopied());
    }
  }

  @Test
  public void aSingleLargeFileShowsItsBytesGrowWhileItIsCopied() throws Exception {
    Path source = tmp.newFolder("source").toPath();
    int size = 6 << 20;
    byte[] data = TestTrees.write(source, "big/one.bin", size);
    FaultyStore.TRICKLE.put("big/one.bin", 64 << 10); // about 1.3 MB/s: some 5 s
    Path sink = tmp.getRoot().toPath().resolve("sink");
    JobSpec spec = spec(source, sink, List.of("big"), 4);

    Future<RunRecord> run = start(spec);
    List<LiveProgress> seen = pollWhileRunning(spec, run);
    RunRecord done = run.get();

    assertThat(done.status()).isEqualTo(RunStatus.SUCCEEDED);
    TestTrees.assertTree(sink, Map.of("big/one.bin", data));
    List<LiveProgress> copying =
        seen.stream().filter(p -> p.total().bytes() > 0 && p.total().bytes() < size).toList();
    List<Long> partial = copying.stream().map(p -> p.total().bytes()).distinct().toList();
    assertThat(partial)
        .as("bytes seen while the one file was copied")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(partial).isSorted();
    // Those bytes were counted as they streamed: the file had not ended.
    assertThat(copying).allSatisfy(p -> assertThat(p.total().filesDone()).isZero());
  }

  @Test
  public void throttlingAnswersOfS3AreCountedOneForOne() throws Exception {
    throttlingAnswersAreCountedOneForOne(
        S3.connection("aws", true), "s3://sink-" + id + "/", FaultProxy.Flavor.S3, S3.endpoint());
  }

  @Test
  public void throttlingAnswersOfAzureAreCountedOneForOne() throws Exception {
    throttlingAnswersAreCountedOneForOne(
        AzuriteServer.connection("lake", true),
        "azfs://devstoreaccount1/progress-" + id + "/",
        FaultProxy.Flavor.AZURE,
        AzuriteServer.endpoint());
  }

  /** A sink behind a proxy that answers 503 to a share of the uploads of files. */
  private void throttlingAnswersAreCountedOneForOne(
      Connection direct, String sinkRoot, FaultProxy.Flavor flavor, URI server) throws Exception {
    Path source = tmp.newFolder("source").toPath();
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 1; i <= 8; i++) {
      String key = (i % 2 == 0 ? "a/" : "b/") + i + ".bin";
      files.put(key, TestTrees.write(source, key, 5_000));
    }
    try (FaultProxy proxy = FaultProxy.start(server, flavor, 7)) {
      proxy.only(line -> line.startsWith("PUT ") && line.contains(".bin")).inject(0.5, Fault.BUSY);
      Connection through = proxy.through(direct);
      Map<String, Connection> connections = new LinkedHashMap<>();
      connections.put(through.name(), through);
      JobSpec spec =
          new JobSpec(
              "throttled-" + id,
              new SourceSpec(URI.create(source.toUri().toString()), List.of("a", "b")),
              new SinkSpec(URI.create(sinkRoot), through.name()),
              new CopySpec(
                  CopyBehavior.PRESERVE_HIERARCHY, true, 4, 0, 0, 0, 0, Duration.ofSeconds(2)),
              Mode.FULL,
              DeltaSpec.none(),
              h2(),
              null,
              connections);

      RunRecord done = start(spec).get();

      assertThat(done.status()).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(proxy.injected(Fault.BUSY)).isGreaterThanOrEqualTo(2);
      try (ControlStore control = ControlStore.open(spec.control())) {
        LiveProgress end = LiveProgress.read(control, done);
        assertThat(end.total().throttled()).isEqualTo(proxy.injected(Fault.BUSY));
        System.out.printf(
            "WorkerProgressTest: %s: %d throttling answers injected, %d counted%n",
            flavor, proxy.injected(Fault.BUSY), end.total().throttled());
      }
    }
  }
}
