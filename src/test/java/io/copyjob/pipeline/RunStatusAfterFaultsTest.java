package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.Assume.assumeTrue;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.ProgressReporter;
import io.copyjob.pipeline.FileResult.Outcome;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a run records when something goes wrong around it rather than in its copies: its lease is
 * taken away, the runner executes its pipeline a second time (a Flink failover), the control
 * database drops its connections mid-run.
 */
public class RunStatusAfterFaultsTest {
  /** Who holds the lease of the runs the round tests start. */
  private static final String ROUNDS_OWNER = "host:1:rounds";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path source;
  private Path sink;
  private String job;
  private Map<String, byte[]> files;

  @Before
  public void makeSource() throws Exception {
    job = "faults-" + UUID.randomUUID().toString().substring(0, 8);
    source = tmp.newFolder("source").toPath();
    sink = tmp.getRoot().toPath().resolve("sink");
    files = new LinkedHashMap<>();
    for (String key : List.of("a/1.bin", "a/2.bin", "a/3.bin", "b/4.bin", "b/5.bin")) {
      files.put(key, TestTrees.write(source, key, 20_000));
    }
  }

  @After
  public void clearFaults() {
    FaultyStore.SLOW.clear();
    FaultyStore.ON_OPEN.clear();
  }

  private ControlSpec h2() {
    return new ControlSpec(
        "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control/copyjob") + ";AUTO_SERVER=TRUE",
        null,
        null);
  }

  private JobSpec spec(Mode mode, ControlSpec control) {
    return new JobSpec(
        job,
        new SourceSpec(URI.create("faulty://" + source.toUri().getPath()), List.of("a", "b")),
        new SinkSpec(sink.toUri()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 1),
        mode,
        DeltaSpec.none(),
        control);
  }

  private static PipelineOptions direct() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return options;
  }

  private static FileCopyJob fileCopy(JobSpec spec) throws Exception {
    PrintStream progress = new PrintStream(new ByteArrayOutputStream(), true, "UTF-8");
    return new FileCopyJob(spec, direct(), "direct", "{}", progress, false);
  }

  @Test
  public void aRunThatLosesItsLeaseStopsAndEndsFailedWithTheReason() throws Exception {
    JobSpec spec = spec(Mode.FULL, h2());
    // More files than the runner's threads copy in the second the lease's keepers take to see
    // the theft: the stop shows as files never copied, whatever the machine's pace.
    for (int i = 6; i <= 20; i++) {
      String key = (i % 2 == 0 ? "a/" : "b/") + i + ".bin";
      files.put(key, TestTrees.write(source, key, 20_000));
    }
    // Another run takes the lease as the first file is opened; the copies are slow, so the run
    // would have copied every file and recorded both partitions long after.
    FaultyStore.ON_OPEN.put("a/1.bin", () -> stealLease(spec.control()));
    FaultyStore.SLOW.addAll(files.keySet());

    RunRecord run = fileCopy(spec).leaseTtl(Duration.ofSeconds(4)).run();

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(run.error())
        .isEqualTo(
            "job '"
                + job
                + "' lost its lease: it is now held by host thief, pid 77, its run not started yet");
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitions(job))
          .extracting(PartitionState::status)
          .containsOnly(PartitionStatus.PENDING);
      assertThat(control.partitionRuns(run.runId())).isEmpty();
      assertThat(control.lease(job).orElseThrow().owner()).isEqualTo("thief:77:t"); // not freed
    }
    assertThat(TestTrees.read(sink).size()).isLessThan(files.size());
  }

  private void stealLease(ControlSpec control) {
    try (Connection c = DriverManager.getConnection(control.url());
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE copyjob_leases SET owner = 'thief:77:t', run_id = NULL WHERE job = ?")) {
      ps.setString(1, job);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * After a Flink failover, the results of a round recorded before the failure that its checkpoint
   * held (a bundle's outputs buffered at the barrier) come again while the partition's next round
   * runs. They complete their own round, which stays as recorded, and never the next one: that is
   * recorded with its own results alone, and only once they are all in. Counted under the partition
   * alone, they completed round 6 early with round 3's copy in its counts.
   */
  @Test
  public void resultsOfAnEarlierRoundDeliveredAgainCountOnlyForTheirRound() throws Exception {
    JobSpec spec = spec(Mode.DELTA, h2());
    PartitionKey partition = new PartitionKey(source.toUri().toString(), "a");
    Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    DeltaWindow third = new DeltaWindow(null, start.plusSeconds(1));
    DeltaWindow sixth = new DeltaWindow(start.plusSeconds(1), start.plusSeconds(2));
    RoundPartition round3 = new RoundPartition(3, partition, third);
    RoundPartition round6 = new RoundPartition(6, partition, sixth);
    long runId = continuousRun(spec, start, true, round3, round6);
    // The two rounds' listings are in before the results come (the round 3 one was in the state the
    // job was restored with), then round 3's result comes again, then round 6's.
    recordRounds(
        spec,
        runId,
        start,
        TestStream.create(SerializableCoder.of(FileResult.class))
            .advanceWatermarkTo(new org.joda.time.Instant(start.toEpochMilli()))
            .addElements(
                new FileResult(partition, "a/1.bin", Outcome.COPIED, 20_000, null).inRound(3))
            .addElements(
                new FileResult(partition, "a/2.bin", Outcome.SKIPPED, 0, null).inRound(6),
                new FileResult(partition, "a/3.bin", Outcome.SKIPPED, 0, null).inRound(6))
            .advanceWatermarkToInfinity(),
        RoundEvent.listed(round3, 1, false),
        RoundEvent.listed(round6, 2, false));

    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.rounds(runId))
          .extracting(
              r ->
                  r.round()
                      + " "
                      + r.status()
                      + ", copied "
                      + r.filesCopied()
                      + ", skipped "
                      + r.filesSkipped())
          .containsExactly("3 SUCCEEDED, copied 1, skipped 0", "6 SUCCEEDED, copied 0, skipped 2");
    }
  }

  /**
   * A continuous run's round whose listing gives no file at all (a folder emptied, a share not
   * mounted) is recorded, but the partition's watermark stays at the last round that listed files:
   * the next round lists from there, and what was written meanwhile is not passed over.
   */
  @Test
  public void aRoundThatListsNoFileKeepsThePartitionsWatermark() throws Exception {
    JobSpec spec = spec(Mode.DELTA, h2());
    PartitionKey partition = new PartitionKey(source.toUri().toString(), "a");
    Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    DeltaWindow first = new DeltaWindow(null, start.plusSeconds(1));
    DeltaWindow second = new DeltaWindow(start.plusSeconds(1), start.plusSeconds(2));
    RoundPartition round2 = new RoundPartition(2, partition, second);
    long runId = continuousRun(spec, start, true, new RoundPartition(1, partition, first), round2);

    recordRounds(
        spec,
        runId,
        start,
        Create.empty(SerializableCoder.of(FileResult.class)),
        RoundEvent.listed(round2, 0, true));

    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.rounds(runId))
          .extracting(r -> r.round() + " " + r.status())
          .containsExactly("1 SUCCEEDED", "2 SUCCEEDED");
      PartitionState state = control.partitions(job).get(0);
      assertThat(state.status()).isEqualTo(PartitionStatus.SUCCEEDED);
      assertThat(state.lastSuccessTime()).isEqualTo(first.end());
      assertThat(state.error())
          .isEqualTo(
              "listed no file under "
                  + source.toUri()
                  + "a; its delta watermark stays until it lists a file again: is the source"
                  + " folder there and mounted?");
    }
  }

  /**
   * The entries a round's listing left (not files, stamped later) are waited for as its copies are
   * and said in its record: they had been logged alone, and a round could be recorded before they
   * came.
   */
  @Test
  public void aRoundSaysTheEntriesItsListingLeftAndWaitsForThem() throws Exception {
    JobSpec spec = spec(Mode.DELTA, h2());
    PartitionKey partition = new PartitionKey(source.toUri().toString(), "a");
    Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    DeltaWindow first = new DeltaWindow(null, start.plusSeconds(1));
    RoundPartition round1 = new RoundPartition(1, partition, first);
    long runId = continuousRun(spec, start, false, round1);

    recordRounds(
        spec,
        runId,
        start,
        Create.of(
                new FileResult(partition, "a/x.bin", FileResult.Outcome.COPIED, 100, null)
                    .inRound(1),
                FileResult.notAFile(partition, "a/pipe", "not a regular file").inRound(1))
            .withCoder(SerializableCoder.of(FileResult.class)),
        RoundEvent.listed(round1, 2, false));

    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.rounds(runId))
          .extracting(r -> r.round() + " " + r.status())
          .containsExactly("1 SUCCEEDED");
      PartitionState state = control.partitions(job).get(0);
      assertThat(state.status()).isEqualTo(PartitionStatus.SUCCEEDED);
      assertThat(state.lastSuccessTime()).isEqualTo(first.end());
      assertThat(state.error()).isEqualTo("1 entry not copied: a/pipe: not a regular file");
    }
  }

  /**
   * A continuous run of the job that holds its lease, with {@code rounds} started in turn; the
   * first recorded (one file copied) before the next starts when {@code firstRecorded}.
   */
  private long continuousRun(
      JobSpec spec, Instant start, boolean firstRecorded, RoundPartition... rounds)
      throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.acquireLease(job, ROUNDS_OWNER, Duration.ofMinutes(1))).isTrue();
      long runId = control.startRun(job, ROUNDS_OWNER, start, "continuous", "direct", "{}");
      for (int i = 0; i < rounds.length; i++) {
        RoundPartition r = rounds[i];
        control.startRound(
            runId, job, r.round(), List.of(planned(runId, r.round(), r.key(), start, r.window())));
        if (i == 0 && firstRecorded) {
          assertThat(
                  control.recordRound(
                      runId,
                      job,
                      start,
                      r.round(),
                      new PartitionResult(
                          r.key(), 1, 0, 0, 20_000, null, r.window().start(), r.window().end())))
              .isTrue();
        }
      }
      return runId;
    }
  }

  /**
   * Runs {@link RecordRoundResult} of run {@code runId} to its end over the ends of the rounds'
   * listings ({@code listed}) and the file results {@code results} gives.
   */
  private void recordRounds(
      JobSpec spec,
      long runId,
      Instant start,
      PTransform<PBegin, PCollection<FileResult>> results,
      RoundEvent... listed) {
    Pipeline pipeline = Pipeline.create(direct());
    List<KV<String, RoundEvent>> keyed = new ArrayList<>();
    for (RoundEvent e : listed) {
      keyed.add(KV.of(StartRounds.resultKey(e.listed().key().id(), e.listed().round()), e));
    }
    PCollection<KV<String, RoundEvent>> events =
        pipeline.apply(
            "Listed",
            Create.of(keyed)
                .withCoder(
                    KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(RoundEvent.class))));
    pipeline
        .apply("Results", results)
        .apply(
            new RecordRoundResult(
                spec, new RunContext(runId, start, ROUNDS_OWNER, Duration.ofMinutes(1)), events));
    assertThat(pipeline.run().waitUntilFinish()).isEqualTo(PipelineResult.State.DONE);
  }

  private static RoundRecord planned(
      long runId, long round, PartitionKey partition, Instant at, DeltaWindow window) {
    return RoundRecord.planned(
        runId, round, partition, RoundStatus.RUNNING, at, window.start(), window.end(), null);
  }

  /**
   * A runner that executes the pipeline again (Flink restarts a failed job from its sources) finds
   * the partitions this run already recorded: in delta mode their watermark is now this run's
   * start. They are not listed again, and their rows and the run's totals keep the real counts.
   * Flink's own restart is not used here: the same run's pipeline is executed a second time on the
   * direct runner, as the failover would after the partitions were recorded.
   */
  @Test
  public void aPipelineExecutedAgainForTheSameRunKeepsWhatItRecorded() throws Exception {
    JobSpec spec = spec(Mode.DELTA, h2());
    RunRecord first = fileCopy(spec).run();
    assertThat(first.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(first.totals().filesCopied()).isEqualTo(5);
    List<PartitionRunRecord> recorded;
    String owner = "host:1:failover";
    try (ControlStore control = ControlStore.open(spec.control())) {
      recorded = control.partitionRuns(first.runId());
      assertThat(control.acquireLease(job, owner, Duration.ofMinutes(1))).isTrue();
    }
    // Where a failover between the partitions' rows and the run's row leaves the run.
    try (Connection c = DriverManager.getConnection(spec.control().url());
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE copyjob_runs SET status = 'RUNNING', ended_at = NULL WHERE run_id = ?")) {
      ps.setLong(1, first.runId());
      ps.executeUpdate();
    }

    Pipeline again = Pipeline.create(direct());
    FileCopyPipeline.build(
        again,
        spec,
        new RunContext(first.runId(), first.startedAt(), owner, Duration.ofMinutes(1)),
        PartitionLayout.of(spec, List.of()));
    PipelineResult result = again.run();
    assertThat(result.waitUntilFinish()).isEqualTo(PipelineResult.State.DONE);

    assertThat(ProgressReporter.counters(result).getOrDefault(CopyMetrics.PARTITIONS_LISTED, 0L))
        .isZero();
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitionRuns(first.runId())).isEqualTo(recorded);
      RunRecord run = control.run(first.runId()).orElseThrow();
      assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(run.totals()).isEqualTo(first.totals());
      assertThat(control.lease(job)).isEmpty(); // released by the run's last step
    }
  }

  /**
   * A cloud gateway closes idle connections: a control connection opened before the pipeline and
   * used after it is dead by then. Killing every control connection while files copy
   * (pg_terminate_backend) does not break the run.
   */
  @Test
  public void controlConnectionsKilledMidRunDoNotBreakTheRun() throws Exception {
    String url = System.getenv("COPYJOB_TEST_PG_URL");
    if (url == null && "1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
      throw new AssertionError(
          "COPYJOB_TEST_PG_URL is not set; start PostgreSQL with scripts/test");
    }
    assumeTrue("no PostgreSQL configured", url != null);
    String app = "copyjob-kill-" + UUID.randomUUID().toString().substring(0, 8);
    String user = System.getenv("COPYJOB_TEST_PG_USER");
    String password = System.getenv("COPYJOB_TEST_PG_PASSWORD");
    ControlSpec control =
        new ControlSpec(
            url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + app,
            user,
            "COPYJOB_TEST_PG_PASSWORD");
    JobSpec spec = spec(Mode.FULL, control);
    Runnable killAll =
        () -> {
          try (Connection c = DriverManager.getConnection(url, user, password);
              PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          + " WHERE application_name = ? AND pid <> pg_backend_pid()")) {
            ps.setString(1, app);
            ps.executeQuery().close();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
    FaultyStore.ON_OPEN.put("a/2.bin", killAll);
    FaultyStore.ON_OPEN.put("b/5.bin", killAll);

    RunRecord run = fileCopy(spec).run();

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals().filesCopied()).isEqualTo(5);
    TestTrees.assertTree(sink, files);
    try (ControlStore store = ControlStore.open(control)) {
      assertThat(store.partitions(job))
          .extracting(PartitionState::status)
          .containsOnly(PartitionStatus.SUCCEEDED);
      assertThat(store.lease(job)).isEmpty();
    }
  }
}
