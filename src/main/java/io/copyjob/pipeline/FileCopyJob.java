package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * One run of a file copy job, end to end ({@link PipelineJob} holds what every run does): checks
 * every root the run reads and reads each source store's clock, registers the declared partitions,
 * and builds the {@link FileCopyPipeline}.
 */
public final class FileCopyJob extends PipelineJob {

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
    super(spec, options, runnerName, settingsJson, progressOut, terminal, clock);
  }

  @Override
  FileCopyJob leaseTtl(Duration ttl) {
    super.leaseTtl(ttl);
    return this;
  }

  @Override
  protected Prepared prepare(ControlStore control, Instant runStart) throws SQLException {
    Partitions.Selection selection = Partitions.select(control, spec);
    Set<String> roots = new LinkedHashSet<>();
    roots.add(spec.source().root().toString());
    for (PartitionKey partition : selection.partitions()) {
      roots.add(partition.root());
    }
    // Before the run's row: a wrong key or a missing root records no run.
    Map<String, SourceTime> sources = StoreCache.preflight(spec, roots, runStart);
    Partitions.register(control, spec);
    PartitionLayout layout = PartitionLayout.of(spec, Partitions.all(control, spec));
    // The last run that ran (a schedule's skipped times ran nothing) did not succeed: it may have
    // left temporary files.
    boolean removeLeftovers =
        control.history(spec.name(), 50).stream()
            .filter(r -> r.status() != RunStatus.SKIPPED)
            .findFirst()
            .map(r -> r.status() != RunStatus.SUCCEEDED)
            .orElse(false);
    if (spec.mode() == JobSpec.Mode.CONTINUOUS) {
      if (layout.keysMayCollide()) {
        // The collision check groups a run's whole listing, which an unbounded pipeline never has.
        throw new JobException(
            "mode continuous: two files may land on one sink key here (flattenHierarchy, or"
                + " partitions whose roots meet); use preserveHierarchy and one root");
      }
      control.abandonOrphanRounds(spec.name());
      return new Prepared(
          0,
          sources,
          removeLeftovers,
          layout.overlapWarning().stream().toList(),
          (pipeline, run, runNumber) -> ContinuousPipeline.build(pipeline, spec, run, layout));
    }
    return new Prepared(
        selection.partitions().size(),
        sources,
        removeLeftovers,
        layout.overlapWarning().stream().toList(),
        (pipeline, run, runNumber) -> FileCopyPipeline.build(pipeline, spec, run, layout));
  }
}
