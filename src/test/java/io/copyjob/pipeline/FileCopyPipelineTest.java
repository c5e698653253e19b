package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import io.copyjob.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The file copy pipeline end to end on the DirectRunner, with local files and the embedded H2
 * control store: bytes at the sink, statuses and counts in the control tables.
 */
public class FileCopyPipelineTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  protected Path source;
  protected Path sink;
  private String job;
  private Map<String, byte[]> partitionA;
  private Map<String, byte[]> partitionB;

  /** The control store the runs use; subclasses run the same tests on another database. */
  protected ControlSpec controlSpec() throws Exception {
    return new ControlSpec(
        "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control/copyjob") + ";AUTO_SERVER=TRUE",
        null,
        null);
  }

  @Before
  public void makeSource() throws Exception {
    job = "test-" + UUID.randomUUID().toString().substring(0, 8);
    source = tmp.newFolder("source").toPath();
    sink = tmp.getRoot().toPath().resolve("sink");
    partitionA = new LinkedHashMap<>();
    partitionA.put("a/one.txt", TestTrees.write(source, "a/one.txt", 10_000));
    partitionA.put(
        "a/nested/deeper/two.bin", TestTrees.write(source, "a/nested/deeper/two.bin", 300_000));
    partitionA.put("a/zero.bin", TestTrees.write(source, "a/zero.bin", 0));
    partitionA.put(
        "a/with space/ünïcödé 文件.txt",
        TestTrees.write(source, "a/with space/ünïcödé 文件.txt", 2_345));
    // A key prefix, not a folder: "a" covers apple.csv too.
    partitionA.put("apple.csv", TestTrees.write(source, "apple.csv", 777));
    partitionB = new LinkedHashMap<>();
    partitionB.put("b/three.bin", TestTrees.write(source, "b/three.bin", 1_500_000));
    partitionB.put("b/four.txt", TestTrees.write(source, "b/four.txt", 42));
    TestTrees.write(source, "c/outside.txt", 100); // in no partition: never copied
  }

  @After
  public void clearFaults() {
    FaultyStore.UNREADABLE.clear();
    FaultyStore.REPLACED_ON_OPEN.clear();
    FaultyStore.SLOW.clear();
    FaultyStore.ON_OPEN.clear();
    FaultyStore.slowListings = false;
    FaultyStore.MOST_LISTINGS_AT_ONCE.set(0);
  }

  @Test
  public void copiesEveryPartitionAndRecordsEachOne() throws Exception {
    JobSpec spec = spec(source.toUri(), Mode.FULL, List.of("a", "b", "z"));

    RunRecord run = run(spec);

    TestTrees.assertTree(sink, union(partitionA, partitionB));
    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.error()).isNull();
    assertThat(run.totals())
        .isEqualTo(new RunTotals(3, 0, 7, 0, 0, bytes(partitionA) + bytes(partitionB)));
    try (ControlStore control = ControlStore.open(spec.control())) {
      Map<String, PartitionState> states = states(control);
      assertThat(states.keySet()).containsExactly("a", "b", "z");
      assertThat(states.values()).allMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
      assertThat(states.get("a").files()).isEqualTo(5);
      assertThat(states.get("a").bytes()).isEqualTo(bytes(partitionA));
      assertThat(states.get("z").files()).isZero();
      assertThat(states.get("a").lastSuccessTime()).isEqualTo(run.startedAt());
      Map<String, PartitionResult> results = results(control, run.runId());
      assertThat(results.get("a"))
          .isEqualTo(
              new PartitionResult(key(spec, "a"), 5, 0, 0, bytes(partitionA), null, null, null));
      assertThat(results.get("b"))
          .isEqualTo(
              new PartitionResult(key(spec, "b"), 2, 0, 0, bytes(partitionB), null, null, null));
      assertThat(results.get("z"))
          .isEqualTo(new PartitionResult(key(spec, "z"), 0, 0, 0, 0, null, null, null));
    }
  }

  @Test
  public void rerunCopiesNothingAndARecheckSkipsEveryFile() throws Exception {
    JobSpec spec = spec(source.toUri(), Mode.FULL, List.of("a", "b", "z"));
    run(spec);

    RunRecord second = run(spec);
    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(second.totals()).isEqualTo(RunTotals.ZERO); // every partition already succeeded

    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.resetPartitions(job, List.of())).isEqualTo(3);
    }
    RunRecord recheck = run(spec);
    assertThat(recheck.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(recheck.totals()).isEqualTo(new RunTotals(3, 0, 0, 7, 0, 0));
    TestTrees.assertTree(sink, union(partitionA, partitionB));
  }

  @Test
  public void anUnreadableFileFailsItsOwnPartitionOnlyAndARerunCopiesOnlyThatPartition()
      throws Exception {
    URI faultyRoot = URI.create("faulty://" + source.toUri().getPath());
    JobSpec spec = spec(faultyRoot, Mode.FULL, List.of("a", "b"));
    FaultyStore.UNREADABLE.add("b/three.bin");

    RunRecord first = run(spec);

    assertThat(first.status()).isEqualTo(RunStatus.FAILED);
    assertThat(first.error())
        .isEqualTo(
            "1 partition(s) failed; first partition 'b': b/three.bin: AccessDeniedException: "
                + faultyRoot
                + "b/three.bin");
    assertThat(first.totals()).isEqualTo(new RunTotals(1, 1, 6, 0, 1, bytes(partitionA) + 42));
    try (ControlStore control = ControlStore.open(spec.control())) {
      Map<String, PartitionState> states = states(control);
      assertThat(states.get("a").status()).isEqualTo(PartitionStatus.SUCCEEDED);
      assertThat(states.get("b").status()).isEqualTo(PartitionStatus.FAILED);
      assertThat(states.get("b").error()).startsWith("b/three.bin: AccessDeniedException");
      assertThat(states.get("b").lastSuccessTime()).isNull();
    }

    FaultyStore.UNREADABLE.clear();
    RunRecord second = run(spec);

    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(second.totals()).isEqualTo(new RunTotals(1, 0, 1, 1, 0, 1_500_000));
    TestTrees.assertTree(sink, union(partitionA, partitionB));
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(results(control, second.runId()).keySet()).containsExactly("b");
      assertThat(states(control).values()).allMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
    }
  }

  @Test
  public void manyPartitionsShareTheRecordsGroupsYetEachIsRecordedWithItsOwnExactCounts()
      throws Exception {
    // More partitions than the record's shards and the listing's buckets: partitions share keys,
    // and each one must still get exactly its own files, its own failure, or its empty listing.
    List<String> prefixes = new java.util.ArrayList<>();
    long bytes = writePartitions("m", 48, 4, 100, prefixes);
    URI faultyRoot = URI.create("faulty://" + source.toUri().getPath());
    FaultyStore.UNREADABLE.add("m07/f2.bin");
    FaultyStore.UNREADABLE.add("m43/f0.bin");
    JobSpec spec = spec(faultyRoot, Mode.FULL, prefixes);

    RunRecord run = run(spec);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(run.totals()).isEqualTo(new RunTotals(46, 2, 70, 0, 2, bytes - 107 - 143));
    try (ControlStore control = ControlStore.open(spec.control())) {
      Map<String, PartitionResult> results = results(control, run.runId());
      assertThat(results).hasSize(48);
      for (int i = 0; i < 48; i++) {
        String prefix = String.format("m%02d/", i);
        int files = i % 4;
        int failed = i == 7 || i == 43 ? 1 : 0;
        PartitionResult r = results.get(prefix);
        assertThat(r.filesCopied()).as(prefix).isEqualTo(files - failed);
        assertThat(r.filesFailed()).as(prefix).isEqualTo(failed);
        assertThat(r.bytesCopied()).as(prefix).isEqualTo((long) (files - failed) * (100 + i));
        assertThat(r.succeeded()).as(prefix).isEqualTo(failed == 0);
      }
      assertThat(results.get("m07/").firstError()).startsWith("m07/f2.bin: AccessDeniedException");
      Map<String, PartitionState> states = states(control);
      assertThat(states.values().stream().filter(p -> p.status() == PartitionStatus.FAILED))
          .extracting(p -> p.key().prefix())
          .containsExactlyInAnyOrder("m07/", "m43/");
    }
  }

  @Test
  public void aFileReplacedBetweenItsListingAndItsCopyFailsItsPartitionAndARerunCopiesIt()
      throws Exception {
    URI faultyRoot = URI.create("faulty://" + source.toUri().getPath());
    JobSpec spec = spec(faultyRoot, Mode.FULL, List.of("a", "b"));
    FaultyStore.REPLACED_ON_OPEN.add("b/four.txt");

    RunRecord first = run(spec);

    assertThat(first.status()).isEqualTo(RunStatus.FAILED);
    assertThat(first.totals())
        .isEqualTo(new RunTotals(1, 1, 6, 0, 1, bytes(partitionA) + 1_500_000));
    assertThat(sink.resolve("b/four.txt")).doesNotExist();
    try (ControlStore control = ControlStore.open(spec.control())) {
      PartitionState b = states(control).get("b");
      assertThat(b.status()).isEqualTo(PartitionStatus.FAILED);
      assertThat(b.error())
          .startsWith(
              "b/four.txt: SourceChangedException: "
                  + source.toUri()
                  + "b/four.txt changed since it was listed (now 42 bytes modified ");
    }

    RunRecord second = run(spec);

    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(second.totals()).isEqualTo(new RunTotals(1, 0, 1, 1, 0, 42));
    assertThat(sink.resolve("b/four.txt"))
        .hasBinaryContent(Files.readAllBytes(source.resolve("b/four.txt")));
  }

  @Test
  public void deltaModeCopiesOnlyFilesChangedSinceEachPartitionsLastSuccess() throws Exception {
    JobSpec spec = spec(source.toUri(), Mode.DELTA, List.of("a", "b"));
    RunRecord first = run(spec);
    assertThat(first.totals().filesCopied()).isEqualTo(7);

    Thread.sleep(20);
    byte[] changed = TestTrees.write(source, "a/one.txt", 11_000);
    byte[] added = TestTrees.write(source, "b/five.txt", 55);
    // A file changed before the last window's end less the overlap is outside the window,
    // whatever its content.
    Files.setLastModifiedTime(
        source.resolve("b/four.txt"),
        FileTime.from(first.startedAt().minus(Duration.ofMinutes(10))));
    Thread.sleep(20);

    RunRecord second = run(spec);

    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    // The files of the first run changed within the overlap: seen again, skipped as identical.
    assertThat(second.totals()).isEqualTo(new RunTotals(2, 0, 2, 5, 0, 11_000 + 55));
    Map<String, byte[]> expected = union(partitionA, partitionB);
    expected.put("a/one.txt", changed);
    expected.put("b/five.txt", added);
    TestTrees.assertTree(sink, expected);
    try (ControlStore control = ControlStore.open(spec.control())) {
      Instant firstEnd = results(control, first.runId()).get("a").windowEnd();
      assertThat(firstEnd).isBetween(first.startedAt().minusSeconds(5), first.startedAt());
      PartitionResult a = results(control, second.runId()).get("a");
      assertThat(a.windowStart())
          .isEqualTo(
              DeltaWindow.roundDown(
                  firstEnd.minus(DeltaSpec.DEFAULT_OVERLAP), Store.DEFAULT_TIME_RESOLUTION));
      assertThat(a.windowEnd()).isBetween(second.startedAt().minusSeconds(5), second.startedAt());
      assertThat(states(control).get("a").lastSuccessTime()).isEqualTo(a.windowEnd());
    }
  }

  @Test
  public void twoConcurrentRunsOfOneJobOneIsRefused() throws Exception {
    JobSpec spec =
        spec(URI.create("faulty://" + source.toUri().getPath()), Mode.FULL, List.of("a"));
    FaultyStore.SLOW.add("a/one.txt"); // the first run holds the lease a while
    ExecutorService runs = Executors.newFixedThreadPool(2);
    try {
      List<Future<RunRecord>> results =
          runs.invokeAll(List.<Callable<RunRecord>>of(() -> run(spec), () -> run(spec)));
      List<String> outcomes = new ArrayList<>();
      for (Future<RunRecord> result : results) {
        try {
          outcomes.add(result.get().status().name());
        } catch (ExecutionException e) {
          outcomes.add(e.getCause().getMessage());
        }
      }
      assertThat(outcomes).hasSize(2).contains("SUCCEEDED");
      assertThat(outcomes)
          .anySatisfy(
              refusal ->
                  assertThat(refusal)
                      .startsWith("job '" + job + "' is already running (host ")
                      .contains("; its lease is valid until "));
    } finally {
      runs.shutdownNow();
    }
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.history(job, 10)).hasSize(1);
      assertThat(control.lease(job)).isEmpty(); // released at the end of the run
    }
  }

  @Test
  public void partitionsInFlightBoundsHowManyPartitionsAreListedAtOnce() throws Exception {
    JobSpec spec =
        withCopy(
            spec(
                URI.create("faulty://" + source.toUri().getPath()),
                Mode.FULL,
                List.of("a", "b", "z")),
            new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 4, 1, 0, 0));
    FaultyStore.slowListings = true;

    RunRecord run = run(spec);

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals().partitionsSucceeded()).isEqualTo(3);
    assertThat(FaultyStore.MOST_LISTINGS_AT_ONCE.get()).isEqualTo(1);
    TestTrees.assertTree(sink, union(partitionA, partitionB));
  }

  /**
   * A batch copy on the direct runner takes one runner thread (RunnerOptions): its lister lists
   * several partitions at once on threads of its own, and its counts still reach the run exactly.
   */
  @Test
  public void oneRunnerThreadListsSeveralPartitionsAtOnceAndCountsEveryFile() throws Exception {
    List<String> prefixes = new java.util.ArrayList<>();
    long bytes = writePartitions("q", 12, 3, 10, prefixes);
    JobSpec spec = spec(URI.create("faulty://" + source.toUri().getPath()), Mode.FULL, prefixes);
    FaultyStore.slowListings = true;
    PipelineOptions options = options();
    options.as(DirectOptions.class).setTargetParallelism(1);
    FileCopyJob job =
        new FileCopyJob(
            spec,
            options,
            "direct",
            "{}",
            new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"),
            false);

    RunRecord run = job.run();

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals()).isEqualTo(new RunTotals(12, 0, 12, 0, 0, bytes));
    // On the direct runner one worker lists them all; a Flink subclass has several workers.
    assertThat(FaultyStore.MOST_LISTINGS_AT_ONCE.get())
        .isBetween(
            2,
            options.getRunner() == DirectRunner.class
                ? ListChangedFiles.ListFn.LISTINGS_PER_WORKER
                : prefixes.size());
    Map<String, Long> counters = job.counters();
    assertThat(counters.get(CopyMetrics.PARTITIONS_LISTED)).isEqualTo(12);
    assertThat(counters.get(CopyMetrics.FILES_LISTED)).isEqualTo(12);
    assertThat(counters.get(CopyMetrics.BYTES_LISTED)).isEqualTo(bytes);
    assertThat(counters.get(CopyMetrics.FILES_COPIED)).isEqualTo(12);
  }

  @Test
  public void flattenHierarchyPutsEveryFileDirectlyBelowTheSink() throws Exception {
    JobSpec spec =
        withCopy(
            spec(source.toUri(), Mode.FULL, List.of("a")),
            new CopySpec(CopyBehavior.FLATTEN_HIERARCHY, true, 4));
    run(spec);
    assertThat(TestTrees.read(sink).keySet())
        .containsExactlyInAnyOrder(
            "a_one.txt",
            "a_nested_deeper_two.bin",
            "a_zero.bin",
            "a_with space_ünïcödé 文件.txt",
            "apple.csv");
  }

  /**
   * The manifest holds every file once with its outcome: written by the copies (copied and failed)
   * and beside them for files that never reached a copy (two keys on one sink key).
   */
  @Test
  public void theManifestHoldsEveryFileCopiedFailedOrRefusedOnce() throws Exception {
    TestTrees.write(source, "b/x_y.txt", 11);
    TestTrees.write(source, "b/x/y.txt", 12);
    URI faultyRoot = URI.create("faulty://" + source.toUri().getPath());
    JobSpec spec =
        withCopy(
            spec(faultyRoot, Mode.FULL, List.of("a", "b")),
            new CopySpec(CopyBehavior.FLATTEN_HIERARCHY, true, 4));
    FaultyStore.UNREADABLE.add("b/four.txt");

    RunRecord run = run(spec);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    try (ControlStore control = ControlStore.open(spec.control())) {
      List<io.copyjob.control.FileRecord> files = control.files(run.runId(), false);
      Map<String, byte[]> copied = union(partitionA, Map.of("b/three.bin", new byte[1_500_000]));
      List<String> expected = new ArrayList<>();
      copied.forEach(
          (key, bytes) ->
              expected.add(
                  String.join(
                      " ",
                      key.startsWith("a") ? "a" : "b",
                      key,
                      key.replace('/', '_'),
                      "COPIED",
                      String.valueOf(bytes.length),
                      String.valueOf(bytes.length))));
      expected.add("b b/four.txt b_four.txt FAILED 42 0");
      expected.add("b b/x/y.txt b_x_y.txt FAILED 12 0");
      expected.add("b b/x_y.txt b_x_y.txt FAILED 11 0");
      assertThat(files)
          .extracting(
              f ->
                  String.join(
                      " ",
                      f.prefix(),
                      f.sourceKey(),
                      f.sinkKey(),
                      f.outcome(),
                      String.valueOf(f.size()),
                      String.valueOf(f.bytesWritten())))
          .containsExactlyInAnyOrderElementsOf(expected);
      Map<String, String> errors =
          files.stream()
              .filter(f -> f.error() != null)
              .collect(Collectors.toMap(io.copyjob.control.FileRecord::sourceKey, f -> f.error()));
      assertThat(errors).hasSize(3);
      assertThat(errors.get("b/four.txt")).startsWith("b/four.txt: AccessDeniedException");
      assertThat(errors.get("b/x_y.txt"))
          .isEqualTo(
              "b/x_y.txt: not copied, b/x/y.txt would land on the same sink key 'b_x_y.txt'");
    }
  }

  @Test
  public void nonRecursiveCopiesOnlyTheFilesDirectlyUnderThePrefix() throws Exception {
    JobSpec spec =
        withCopy(
            spec(source.toUri(), Mode.FULL, List.of("a/")),
            new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, false, 4));
    run(spec);
    assertThat(TestTrees.read(sink).keySet()).containsExactlyInAnyOrder("a/one.txt", "a/zero.bin");
  }

  protected JobSpec spec(URI root, Mode mode, List<String> partitions) throws Exception {
    return new JobSpec(
        job,
        new SourceSpec(root, partitions),
        new SinkSpec(sink.toUri()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 4),
        mode,
        DeltaSpec.none(),
        controlSpec());
  }

  private static JobSpec withCopy(JobSpec s, CopySpec copy) {
    return new JobSpec(s.name(), s.source(), s.sink(), copy, s.mode(), s.delta(), s.control());
  }

  @Test
  public void aRunWithNothingToCopyIsRecordedWithoutStartingAPipeline() throws Exception {
    JobSpec spec = spec(source.toUri(), Mode.FULL, List.of("a", "b"));
    assertThat(run(spec).totals().partitionsSucceeded()).isEqualTo(2);
    PrintStream progress = new PrintStream(new ByteArrayOutputStream(), true, "UTF-8");

    // Every partition done: the run is recorded, and its pipeline options are never made.
    RunRecord idle =
        new FileCopyJob(spec, null, "direct", "{}", progress, false)
            .optionsFrom(
                () -> {
                  throw new AssertionError("a run with nothing to copy started a pipeline");
                })
            .run();
    assertThat(idle.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(idle.runNumber()).isEqualTo(2);
    assertThat(idle.totals()).isEqualTo(RunTotals.ZERO);
    assertThat(idle.endedAt()).isNotNull();

    // With a partition to copy, options that cannot be made fail the run before its row, and
    // the lease is free for the next run.
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.resetPartitions(job, List.of("b"));
    }
    assertThatThrownBy(
            () ->
                new FileCopyJob(spec, null, "direct", "{}", progress, false)
                    .optionsFrom(
                        () -> {
                          throw new IllegalArgumentException("--targetParallelism: not a number");
                        })
                    .run())
        .hasMessage("--targetParallelism: not a number");
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.history(job, 10)).hasSize(2);
    }
    RunRecord again = run(spec);
    assertThat(again.runNumber()).isEqualTo(3);
    assertThat(again.totals().partitionsSucceeded()).isEqualTo(1);
    assertThat(again.totals().filesCopied() + again.totals().filesSkipped())
        .isEqualTo(partitionB.size());
  }

  /**
   * Writes {@code count} partitions below the source, {@code name}00/ on, partition i holding
   * {@code i % filesModulo} files of {@code size + i} bytes, and adds their prefixes to {@code
   * prefixes}.
   *
   * @return the bytes written
   */
  private long writePartitions(
      String name, int count, int filesModulo, int size, List<String> prefixes) throws Exception {
    long bytes = 0;
    for (int i = 0; i < count; i++) {
      String prefix = String.format("%s%02d/", name, i);
      prefixes.add(prefix);
      for (int f = 0; f < i % filesModulo; f++) {
        TestTrees.write(source, prefix + "f" + f + ".bin", size + i);
        bytes += size + i;
      }
    }
    return bytes;
  }

  /** The runner the runs use; subclasses run the same tests on another runner. */
  protected PipelineOptions options() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return options;
  }

  /** One run on the DirectRunner, for tests of other classes. */
  static RunRecord runDirect(JobSpec spec) throws Exception {
    return new FileCopyPipelineTest().run(spec);
  }

  protected RunRecord run(JobSpec spec) throws Exception {
    PrintStream progress = new PrintStream(new ByteArrayOutputStream(), true, "UTF-8");
    PipelineOptions options = options();
    String runner =
        options
            .getRunner()
            .getSimpleName()
            .replace("Runner", "")
            .toLowerCase(java.util.Locale.ROOT);
    return new FileCopyJob(spec, options, runner, "{}", progress, false).run();
  }

  private Map<String, PartitionState> states(ControlStore control) throws Exception {
    return control.partitions(job).stream()
        .collect(
            Collectors.toMap(
                p -> p.key().prefix(), p -> p, (x, y) -> x, java.util.LinkedHashMap::new));
  }

  private static Map<String, PartitionResult> results(ControlStore control, long runId)
      throws Exception {
    return control.partitionRuns(runId).stream()
        .map(PartitionRunRecord::result)
        .collect(Collectors.toMap(r -> r.key().prefix(), r -> r));
  }

  private static PartitionKey key(JobSpec spec, String prefix) {
    return new PartitionKey(spec.source().root().toString(), prefix);
  }

  @SafeVarargs
  private static Map<String, byte[]> union(Map<String, byte[]>... parts) {
    Map<String, byte[]> all = new LinkedHashMap<>();
    for (Map<String, byte[]> part : parts) {
      all.putAll(part);
    }
    return all;
  }

  private static long bytes(Map<String, byte[]> files) {
    return files.values().stream().mapToLong(b -> b.length).sum();
  }
}
