package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.monitor.FailureLog;
import io.copyjob.monitor.ProgressReporter;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * One run of a file copy job, end to end: takes the job's lease ({@link RunLease}), checks every
 * root the run reads and reads each source store's clock, registers the declared partitions, opens
 * the run's row, runs the pipeline with its progress shown, and makes sure the run's row ends
 * SUCCEEDED or FAILED whatever happens; a run that loses its lease is cancelled and ends FAILED.
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
  private final Clock clock;
  private Map<String, Long> counters = Map.of();
  private List<String> warnings = List.of();
  private Duration leaseTtl = LEASE_TTL;
  private Duration waitForLease = Duration.ZERO;
  private Consumer<String> waitNotice = line -> {};
  private Path failureLogFolder;
  private Path failureLog;

  public FileCopyJob(
      JobSpec spec,
      PipelineOptions options,
      String runnerName,
      String settingsJson,
      PrintStream progressOut,
      boolean terminal) {
    this(spec, options, runnerName, settingsJson, progressOut, terminal, Clock.systemUTC());
  }

  /**
   * As above, with {@code clock} standing for this machine's: the run's start, and the bound no
   * delta window end passes even when a store's clock is ahead.
   */
  public FileCopyJob(
      JobSpec spec,
      PipelineOptions options,
      String runnerName,
      String settingsJson,
      PrintStream progressOut,
      boolean terminal,
      Clock clock) {
    this.spec = spec;
    this.options = options;
    this.runnerName = runnerName;
    this.settingsJson = settingsJson;
    this.progressOut = progressOut;
    this.terminal = terminal;
    this.clock = clock;
  }

  /** The last run's Beam counters (namespace copyjob), by name; empty before a run. */
  public Map<String, Long> counters() {
    return counters;
  }

  /** The last run's partition warnings, one line each; empty before a run. */
  public List<String> warnings() {
    return warnings;
  }

  /** How long a lease lives without renewal; tests shorten it. */
  FileCopyJob leaseTtl(Duration ttl) {
    this.leaseTtl = ttl;
    return this;
  }

  /**
   * How long to wait for the lease while another run holds it (default: not at all); {@code notice}
   * gets the one line saying that the run waits.
   */
  public FileCopyJob waitForLease(Duration wait, Consumer<String> notice) {
    this.waitForLease = wait;
    this.waitNotice = notice;
    return this;
  }

  /**
   * Keeps each run's failures, every one with its whole reason, in {@code folder} ({@link
   * FailureLog}); without it, only the control store's first error per partition is kept.
   */
  public FileCopyJob failureLog(Path folder) {
    this.failureLogFolder = folder;
    return this;
  }

  /**
   * The last run's failure log, when it wrote one (it failed files or listings) on this machine.
   */
  public Optional<Path> failureLog() {
    return Optional.ofNullable(failureLog).filter(Files::isRegularFile);
  }

  /**
   * Runs the job and returns its run's row as recorded.
   *
   * @throws LeaseHeldException when another run holds the job's lease (after the wait, if any)
   */
  public RunRecord run() throws SQLException {
    try (RunLease lease = RunLease.acquire(spec, leaseTtl, waitForLease, waitNotice)) {
      return runHoldingLease(lease);
    }
  }

  private RunRecord runHoldingLease(RunLease lease) throws SQLException {
    failureLog = null;
    long partitionsToRun;
    long runId;
    Map<String, SourceTime> sources;
    boolean removeLeftovers;
    Instant runStart;
    PartitionLayout layout;
    // A connection per step: cloud gateways close connections left idle across a long pipeline.
    try (ControlStore control = ControlStore.open(spec.control())) {
      Partitions.Selection selection = Partitions.select(control, spec);
      Set<String> roots = new LinkedHashSet<>();
      roots.add(spec.source().root().toString());
      for (PartitionKey partition : selection.partitions()) {
        roots.add(partition.root());
      }
      runStart = clock.instant().truncatedTo(ChronoUnit.MILLIS);
      // Before the run's row: a wrong key or a missing root records no run.
      sources = StoreCache.preflight(spec, roots, runStart);
      Partitions.register(control, spec);
      layout = PartitionLayout.of(spec, Partitions.all(control, spec));
      partitionsToRun = selection.partitions().size();
      removeLeftovers =
          control.history(spec.name(), 1).stream().anyMatch(r -> r.status() != RunStatus.SUCCEEDED);
      runId =
          control.startRun(
              spec.name(), lease.owner(), runStart, modeName(), runnerName, settingsJson);
      if (failureLogFolder != null) {
        long runNumber = control.run(runId).orElseThrow().runNumber();
        failureLog = FailureLog.of(failureLogFolder, spec.name(), runNumber);
        // A log of the same name from a control store since replaced is not this run's.
        try {
          Files.deleteIfExists(failureLog);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    lease.keeper().runStarted(runId);
    layout.overlapWarning().ifPresent(warning -> progressOut.println("copyjob: " + warning));
    try {
      Pipeline pipeline = Pipeline.create(options);
      FileCopyPipeline.build(
          pipeline,
          spec,
          new RunContext(
              runId,
              runStart,
              lease.owner(),
              lease.ttl(),
              sources,
              removeLeftovers,
              failureLog == null ? null : failureLog.toString()),
          layout);
      PipelineResult result = pipeline.run();
      PipelineResult.State state;
      try (ProgressReporter progress =
          ProgressReporter.start(result, partitionsToRun, progressOut, terminal)) {
        state = awaitHoldingLease(result, lease.keeper());
      }
      counters = ProgressReporter.counters(result);
      if (state != PipelineResult.State.DONE) {
        fail(runId, lease.keeper().lost().orElse("the pipeline ended in state " + state));
      }
    } catch (RuntimeException e) {
      fail(runId, lease.keeper().lost().orElse(oneLine(e)));
    }
    RunRecord record;
    try (ControlStore control = ControlStore.open(spec.control())) {
      record = control.run(runId).orElseThrow();
    }
    if (record.status() == RunStatus.RUNNING) {
      fail(runId, "the pipeline ended without recording the run");
    }
    try (ControlStore control = ControlStore.open(spec.control())) {
      record = control.run(runId).orElseThrow();
      List<String> found = new ArrayList<>();
      for (PartitionRunRecord partition : control.partitionRuns(runId)) {
        if (partition.result().warning() != null) {
          found.add(
              "partition '"
                  + partition.result().key().prefix()
                  + "': "
                  + partition.result().warning());
        }
      }
      warnings = List.copyOf(found);
    }
    return record;
  }

  /**
   * Waits for the pipeline to end; cancels it when the lease is lost (its workers fail their
   * bundles by then too). A remote Flink job's {@code run()} returns only at its end, so there the
   * workers alone stop it.
   */
  private static PipelineResult.State awaitHoldingLease(PipelineResult result, LeaseKeeper lease) {
    while (true) {
      PipelineResult.State state = result.waitUntilFinish(org.joda.time.Duration.millis(500));
      if (state != null && state.isTerminal()) {
        return state;
      }
      if (lease.lost().isPresent()) {
        try {
          result.cancel();
        } catch (java.io.IOException | UnsupportedOperationException e) {
          // The workers fail their bundles on a lost lease; the run is recorded FAILED regardless.
        }
        return PipelineResult.State.CANCELLED;
      }
    }
  }

  /** Ends a run that did not record itself, with the totals its partitions did record. */
  private void fail(long runId, String error) throws SQLException {
    try (ControlStore control = ControlStore.open(spec.control())) {
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
  }

  private String modeName() {
    return spec.mode().name().toLowerCase(java.util.Locale.ROOT);
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
