package io.copyjob.pipeline;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.monitor.ProgressReporter;
import io.copyjob.spec.JobSpec;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * One run of a file copy job, end to end: takes the job's lease, registers the declared partitions,
 * opens the run's row, runs the pipeline with its progress shown, and makes sure the run's row ends
 * SUCCEEDED or FAILED whatever happens.
 */
public final class FileCopyJob {
  /** A lease left by a killed run expires after this long; a live run renews it. */
  static final Duration LEASE_TTL = Duration.ofMinutes(2);

  private final JobSpec spec;
  private final PipelineOptions options;
  private final String runnerName;
  private final String settingsJson;
  private final PrintStream progressOut;
  private final boolean terminal;
  private Map<String, Long> counters = Map.of();

  public FileCopyJob(
      JobSpec spec,
      PipelineOptions options,
      String runnerName,
      String settingsJson,
      PrintStream progressOut,
      boolean terminal) {
    this.spec = spec;
    this.options = options;
    this.runnerName = runnerName;
    this.settingsJson = settingsJson;
    this.progressOut = progressOut;
    this.terminal = terminal;
  }

  /** The last run's Beam counters (namespace copyjob), by name; empty before a run. */
  public Map<String, Long> counters() {
    return counters;
  }

  /** Runs the job and returns its run's row as recorded. */
  public RunRecord run() throws SQLException {
    try (ControlStore control = ControlStore.open(spec.control())) {
      String owner = leaseOwner();
      if (!control.acquireLease(spec.name(), owner, Instant.now(), LEASE_TTL)) {
        throw new JobException(
            "job '" + spec.name() + "' is already running elsewhere (its lease is held)");
      }
      ScheduledExecutorService renewer = renewLease(owner);
      try {
        return runHoldingLease(control);
      } finally {
        renewer.shutdownNow();
        control.releaseLease(spec.name(), owner);
      }
    }
  }

  private RunRecord runHoldingLease(ControlStore control) throws SQLException {
    StoreCache.preflight(spec); // before the run's row: a wrong key records no run
    Partitions.register(control, spec);
    PartitionLayout layout = PartitionLayout.of(spec, Partitions.all(control, spec));
    layout.overlapWarning().ifPresent(warning -> progressOut.println("copyjob: " + warning));
    long partitionsToRun = Partitions.select(control, spec).partitions().size();
    Instant runStart = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    long runId = control.startRun(spec.name(), runStart, modeName(), runnerName, settingsJson);
    try {
      Pipeline pipeline = Pipeline.create(options);
      FileCopyPipeline.build(pipeline, spec, new RunContext(runId, runStart), layout);
      PipelineResult result = pipeline.run();
      PipelineResult.State state;
      try (ProgressReporter progress =
          ProgressReporter.start(result, partitionsToRun, progressOut, terminal)) {
        state = result.waitUntilFinish();
      }
      counters = ProgressReporter.counters(result);
      if (state != PipelineResult.State.DONE) {
        fail(control, runId, "the pipeline ended in state " + state);
      }
    } catch (RuntimeException e) {
      fail(control, runId, oneLine(e));
    }
    RunRecord record = control.run(runId).orElseThrow();
    if (record.status() == RunStatus.RUNNING) {
      fail(control, runId, "the pipeline ended without recording the run");
      record = control.run(runId).orElseThrow();
    }
    return record;
  }

  /** Ends a run that did not record itself, with the totals its partitions did record. */
  private void fail(ControlStore control, long runId, String error) throws SQLException {
    RunRecord current = control.run(runId).orElseThrow();
    if (current.status() != RunStatus.RUNNING) {
      return;
    }
    RunTotals totals = RunTotals.ZERO;
    for (PartitionRunRecord partition : control.partitionRuns(runId)) {
      totals = totals.plus(partition.result());
    }
    control.finishRun(runId, RunStatus.FAILED, totals, Instant.now(), error);
  }

  private ScheduledExecutorService renewLease(String owner) {
    ScheduledExecutorService renewer =
        Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder().setNameFormat("copyjob-lease").setDaemon(true).build());
    long period = LEASE_TTL.toMillis() / 4;
    renewer.scheduleAtFixedRate(
        () -> {
          try (ControlStore control = ControlStore.open(spec.control())) {
            control.acquireLease(spec.name(), owner, Instant.now(), LEASE_TTL);
          } catch (SQLException | RuntimeException e) {
            // The next renewal tries again; the lease outlives a few missed renewals.
          }
        },
        period,
        period,
        TimeUnit.MILLISECONDS);
    return renewer;
  }

  private String modeName() {
    return spec.mode().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String leaseOwner() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "unknown-host";
    }
    return host + ":" + ManagementFactory.getRuntimeMXBean().getPid() + ":" + UUID.randomUUID();
  }

  /** The innermost cause's message, on one line: what the user needs from a failed pipeline. */
  static String oneLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : ": " + root.getMessage();
    return (root.getClass().getSimpleName() + message).replaceAll("\\s*\\R\\s*", " ");
  }
}
