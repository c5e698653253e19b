package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * One run of a job, end to end, whatever it copies (files: {@link FileCopyJob}; rows: {@code
 * io.copyjob.tabular.pipeline.TabularJob}): takes the job's lease ({@link RunLease}) and marks the
 * job's dead runs ABANDONED, lets the job check what it reads and fix what the run does ({@link
 * #prepare}) before the run's row exists, opens the run's row, runs the job's pipeline with its
 * progress shown, and makes sure the run's row ends SUCCEEDED or FAILED whatever happens; a run
 * that loses its lease is cancelled and ends FAILED.
 *
 * <p>A job's pipeline ends with {@link RecordRun}, which sums the run's partition rows into the
 * run's row and releases the lease; this class records the run only when the pipeline could not.
 */
public abstract class PipelineJob {
  /** A lease left by a killed run expires after this long; a live run renews it. */
  static final Duration LEASE_TTL = Duration.ofMinutes(2);

  protected final JobSpec spec;
  private java.util.function.Supplier<PipelineOptions> options;
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
  private volatile PipelineResult running;
  private volatile boolean stopRequested;

  /**
   * @param settingsJson the job's settings as the run's row keeps them (no secret)
   * @param progressOut where the progress and the run's notices are printed
   * @param terminal whether {@code progressOut} is a terminal (a bar redrawn in place)
   * @param clock this machine's clock: the run's start
   */
  protected PipelineJob(
      JobSpec spec,
      PipelineOptions options,
      String runnerName,
      String settingsJson,
      PrintStream progressOut,
      boolean terminal,
      Clock clock) {
    this.spec = spec;
    this.options = () -> options;
    this.runnerName = runnerName;
    this.settingsJson = settingsJson;
    this.progressOut = progressOut;
    this.terminal = terminal;
    this.clock = clock;
  }

  /**
   * What a run fixes before its row is written, with the lease held and the control store open.
   *
   * @param partitionsToRun how many partitions (tables) the run records: the progress bar's whole
   * @param sources each source root's clock, by root URI (see {@link RunContext#sources()})
   * @param removeLeftovers whether the job's previous run did not end cleanly
   * @param notices lines printed once the run has started (a warning about the job's partitions)
   * @param pipeline adds the job's steps to the run's pipeline
   */
  public record Prepared(
      long partitionsToRun,
      Map<String, SourceTime> sources,
      boolean removeLeftovers,
      List<String> notices,
      Steps pipeline) {}

  /** Adds a job's steps to its run's pipeline. */
  @FunctionalInterface
  public interface Steps {
    /**
     * @param run what the run fixed before its pipeline
     * @param runNumber the run's number within its job, as {@code history} shows it
     */
    void build(Pipeline pipeline, RunContext run, long runNumber);
  }

  /**
   * Checks what the run reads and writes (a wrong key, a missing root: a {@link JobException} with
   * one line, and nothing is recorded), registers the job's partitions and fixes what the run does.
   *
   * @param runStart the run's start by this machine's clock, in milliseconds
   */
  protected abstract Prepared prepare(ControlStore control, Instant runStart) throws SQLException;

  /**
   * Asks the run to stop (a continuous run's SIGTERM or Ctrl-C): its pipeline is cancelled, and
   * {@link #run} records it STOPPED, with the rounds in flight abandoned and their watermarks
   * untouched. Safe from any thread, before the pipeline starts too.
   */
  public void stop() {
    stopRequested = true;
    PipelineResult result = running;
    if (result != null) {
      cancel(result);
    }
  }

  private static void cancel(PipelineResult result) {
    try {
      result.cancel();
    } catch (java.io.IOException | RuntimeException e) {
      // Ended already, or the runner cannot cancel: the run is recorded as it ended.
    }
  }

  /** The last run's Beam counters (namespace copyjob), by name; empty before a run. */
  public Map<String, Long> counters() {
    return counters;
  }

  /** The last run's partition (table) warnings, one line each; empty before a run. */
  public List<String> warnings() {
    return warnings;
  }

  /**
   * Makes the pipeline options only when a run builds a pipeline: a run with nothing to do (every
   * partition of a full copy done) then never starts Beam, whose options registry alone takes most
   * of a second. An error in the options is thrown before the run's row is written, as an error in
   * the job file is.
   */
  public PipelineJob optionsFrom(java.util.function.Supplier<PipelineOptions> supplier) {
    this.options = supplier;
    return this;
  }

  /** How long a lease lives without renewal; tests shorten it. */
  PipelineJob leaseTtl(Duration ttl) {
    this.leaseTtl = ttl;
    return this;
  }

  /**
   * How long to wait for the lease while another run holds it (default: not at all); {@code notice}
   * gets the one line saying that the run waits.
   */
  public PipelineJob waitForLease(Duration wait, Consumer<String> notice) {
    this.waitForLease = wait;
    this.waitNotice = notice;
    return this;
  }

  /**
   * Keeps each run's failures, every one with its whole reason, in {@code folder} ({@link
   * FailureLog}); without it, only the control store's first error per partition is kept.
   */
  public PipelineJob failureLog(Path folder) {
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
    try (ControlStore.Hold held = ControlStore.holdOpen(spec.control());
        RunLease lease = RunLease.acquire(spec, leaseTtl, waitForLease, waitNotice)) {
      return runHoldingLease(lease);
    }
  }

  private RunRecord runHoldingLease(RunLease lease) throws SQLException {
    failureLog = null;
    Prepared prepared;
    long runId;
    long runNumber;
    Instant runStart = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    // A connection per step: cloud gateways close connections left idle across a long pipeline.
    // A batch run with no partition (table) to run records a run that copied nothing without
    // starting a pipeline: Beam's start is seconds, a scheduler may fire a finished job hourly.
    boolean nothingToRun;
    PipelineOptions pipelineOptions;
    try (ControlStore control = ControlStore.open(spec.control())) {
      prepared = prepare(control, runStart);
      nothingToRun = prepared.partitionsToRun() == 0 && !continuous();
      pipelineOptions = nothingToRun ? null : options.get();
      runId =
          control.startRun(
              spec.name(), lease.owner(), runStart, modeName(), runnerName, settingsJson);
      runNumber = control.run(runId).orElseThrow().runNumber();
    }
    if (failureLogFolder != null) {
      failureLog = FailureLog.of(failureLogFolder, spec.name(), runNumber);
      // A log of the same name from a control store since replaced is not this run's.
      try {
        Files.deleteIfExists(failureLog);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    lease.keeper().runStarted(runId);
    prepared.notices().forEach(notice -> progressOut.println("copyjob: " + notice));
    if (nothingToRun) {
      end(runId, RunStatus.SUCCEEDED, null);
    } else {
      runPipeline(lease, prepared, pipelineOptions, runId, runStart, runNumber);
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
              (spec.isTabular() ? "table '" : "partition '")
                  + partition.result().key().prefix()
                  + "': "
                  + partition.result().warning());
        }
      }
      warnings = List.copyOf(found);
    }
    return record;
  }

  /** Builds and runs the run's pipeline and waits for its end; a run it did not record is ended. */
  private void runPipeline(
      RunLease lease,
      Prepared prepared,
      PipelineOptions pipelineOptions,
      long runId,
      Instant runStart,
      long runNumber)
      throws SQLException {
    try {
      Pipeline pipeline = Pipeline.create(pipelineOptions);
      RunContext run =
          new RunContext(
              runId,
              runStart,
              lease.owner(),
              lease.ttl(),
              prepared.sources(),
              prepared.removeLeftovers(),
              failureLog == null ? null : failureLog.toString());
      prepared.pipeline().build(pipeline, run, runNumber);
      InvokerWarmUp.start(pipeline);
      PipelineResult result = pipeline.run();
      running = result;
      if (stopRequested) {
        cancel(result);
      }
      PipelineResult.State state;
      try (ProgressReporter progress =
          ProgressReporter.start(
              spec.control(),
              runId,
              prepared.partitionsToRun(),
              progressOut,
              terminal,
              spec.isTabular())) {
        state = awaitHoldingLease(result, lease.keeper());
        ProgressKeeper.flushNow(runId); // this JVM's workers' last figures, before the summary
      }
      counters = ProgressReporter.counters(result);
      if (continuous()
          && lease.keeper().lost().isEmpty()
          && (stopRequested || state != PipelineResult.State.FAILED)) {
        // An unbounded pipeline ends only when stopped: cancelled, or a Flink stop (DONE).
        end(runId, RunStatus.STOPPED, null);
      } else if (state != PipelineResult.State.DONE) {
        fail(runId, lease.keeper().lost().orElse("the pipeline ended in state " + state));
      }
    } catch (RuntimeException e) {
      if (continuous() && stopRequested && lease.keeper().lost().isEmpty()) {
        end(runId, RunStatus.STOPPED, null);
      } else {
        fail(runId, lease.keeper().lost().orElse(oneLine(e)));
      }
    } finally {
      running = null;
    }
  }

  /**
   * Waits for the pipeline to end; cancels it when the lease is lost (its workers fail their
   * bundles by then too). A remote Flink job's {@code run()} returns only at its end, so there the
   * workers alone stop it.
   */
  private PipelineResult.State awaitHoldingLease(PipelineResult result, LeaseKeeper lease) {
    while (true) {
      PipelineResult.State state = result.waitUntilFinish(org.joda.time.Duration.millis(500));
      if (state != null && state.isTerminal()) {
        return state;
      }
      if (stopRequested) {
        cancel(result);
        state = result.waitUntilFinish(org.joda.time.Duration.standardSeconds(30));
        return state != null && state.isTerminal() ? state : PipelineResult.State.CANCELLED;
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
    end(runId, RunStatus.FAILED, error);
  }

  /**
   * Ends a run that did not record itself as {@code status}, with the totals its partitions did
   * record; a continuous run's rounds still in flight are abandoned first, so that a round recorded
   * meanwhile counts and one recorded after changes nothing.
   */
  private void end(long runId, RunStatus status, String error) throws SQLException {
    try (ControlStore control = ControlStore.open(spec.control())) {
      RunRecord current = control.run(runId).orElseThrow();
      if (current.status() != RunStatus.RUNNING) {
        return;
      }
      if (continuous()) {
        control.abandonRounds(
            runId,
            status == RunStatus.STOPPED ? "the run was stopped" : "the run failed: " + error);
      }
      RunTotals totals = RunTotals.ZERO;
      for (PartitionRunRecord partition : control.partitionRuns(runId)) {
        totals = totals.plus(partition.result());
      }
      control.finishRun(runId, status, totals, Instant.now(), error);
    }
  }

  private boolean continuous() {
    return spec.mode() == JobSpec.Mode.CONTINUOUS;
  }

  private String modeName() {
    return spec.mode().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The innermost cause's message, on one line: what the user needs from a failed pipeline. */
  public static String oneLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? "" : ": " + root.getMessage();
    return (root.getClass().getSimpleName() + message).replaceAll("\\s*\\R\\s*", " ");
  }
}
