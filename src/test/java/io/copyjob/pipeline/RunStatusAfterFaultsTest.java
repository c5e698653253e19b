package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.Assume.assumeTrue;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.ProgressReporter;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
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
