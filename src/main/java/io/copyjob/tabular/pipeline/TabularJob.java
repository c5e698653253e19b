package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.pipeline.JobException;
import io.copyjob.pipeline.Partitions;
import io.copyjob.pipeline.PipelineJob;
import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.FaultTolerance;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.WriteMode;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.TableSinks;
import io.copyjob.tabular.jdbc.SourceDatabase;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * One run of a tabular job, end to end ({@link PipelineJob} holds what every run does): chooses the
 * tables (every table of the job; with {@code onlyFailed}, those its last run did not load), checks
 * that the source, the dead-letter folder and the sink database can be reached (one line, and no
 * run recorded, when not), marks the chosen tables PENDING (a run killed mid-way leaves them so),
 * and builds the {@link TabularPipeline}.
 */
public final class TabularJob extends PipelineJob {
  private final boolean onlyFailed;

  /**
   * @param onlyFailed load only the tables not loaded by their last run (failed, interrupted, or
   *     never run), going on with the load that run began: pieces it committed are not loaded again
   */
  public TabularJob(
      JobSpec spec,
      PipelineOptions options,
      String runnerName,
      String settingsJson,
      PrintStream progressOut,
      boolean terminal,
      boolean onlyFailed) {
    super(spec, options, runnerName, settingsJson, progressOut, terminal, Clock.systemUTC());
    if (!spec.isTabular()) {
      throw new IllegalArgumentException("job '" + spec.name() + "' has no tables");
    }
    this.onlyFailed = onlyFailed;
  }

  @Override
  protected Prepared prepare(ControlStore control, Instant runStart) throws SQLException {
    Map<String, PartitionStatus> status = new HashMap<>();
    for (PartitionState state : control.partitions(spec.name())) {
      status.put(state.key().id(), state.status());
    }
    JobSpec spec = preflight(this.spec);
    String root = spec.source().root().toString();
    List<PartitionKey> chosen = new ArrayList<>();
    for (TableSpec table : spec.tabular().tables()) {
      PartitionKey key = new PartitionKey(root, table.name());
      if (!onlyFailed || status.get(key.id()) != PartitionStatus.SUCCEEDED) {
        chosen.add(key);
      }
    }
    Partitions.register(control, spec);
    Map<String, Long> resumeFrom = new HashMap<>();
    if (onlyFailed) {
      for (PartitionKey key : chosen) {
        if (spec.tabular().table(key.prefix()).write() == WriteMode.OVERWRITE) {
          continue; // its staging table went with the failed run: the load starts again
        }
        resumeFrom.put(key.prefix(), control.lastSucceededRun(spec.name(), key) + 1);
      }
    }
    if (!chosen.isEmpty()) {
      control.resetPartitions(spec.name(), chosen.stream().map(PartitionKey::prefix).toList());
    }
    List<String> notices = new ArrayList<>();
    if (spec.mode() == JobSpec.Mode.CONTINUOUS) {
      // A killed run's rounds in flight: their watermarks stayed, so the next rounds read them.
      control.abandonOrphanRounds(spec.name());
      return new Prepared(
          0,
          Map.of(),
          false,
          notices,
          (pipeline, run, runNumber) ->
              ContinuousTabularPipeline.build(
                  pipeline, spec, run, runNumber, tableKeys(chosen, Map.of())));
    }
    if (onlyFailed && chosen.isEmpty()) {
      notices.add("every table of job '" + spec.name() + "' was loaded by its last run");
    }
    return new Prepared(
        chosen.size(),
        Map.of(),
        false,
        notices,
        (pipeline, run, runNumber) ->
            TabularPipeline.build(pipeline, spec, run, runNumber, tableKeys(chosen, resumeFrom)));
  }

  /**
   * Checks, before the run's row is written, that the source root and the dead-letter folder can be
   * reached (creating a missing dead-letter bucket where its connection allows) and that the sink
   * database can, creating its ledger when missing: a wrong key or password is one line, and no run
   * is recorded.
   */
  static JobSpec preflight(JobSpec spec) {
    try (StoreCache stores = new StoreCache(spec);
        TableSink sink = TableSinks.of(spec)) {
      JobSpec expanded = spec;
      if (spec.tabular().readsDatabase()) {
        expanded = expand(spec);
      } else {
        stores.get(spec.source().root().toString()).prepare(false);
      }
      FaultTolerance faults = spec.tabular().faultTolerance();
      if (faults.deadLetter() != null) {
        stores.get(faults.deadLetter().toString()).prepare(true);
      }
      sink.prepare();
      return expanded;
    } catch (UncheckedIOException e) {
      throw new JobException(e.getCause().getMessage());
    } catch (IOException | IllegalArgumentException e) {
      throw new JobException(e.getMessage());
    }
  }

  /**
   * The job with each {@code pattern:} replaced by the tables it matches in the source database
   * (read from its metadata now, before the run: each matched table is a table of its own, with a
   * partition of its own); checks that the source database can be reached.
   */
  public static JobSpec expand(JobSpec spec) throws IOException {
    try (SourceDatabase source = new SourceDatabase(spec.tabular().sourceDatabase())) {
      source.check();
      List<TableSpec> tables = source.expand(spec.tabular().tables());
      return new JobSpec(
          spec.name(),
          new io.copyjob.spec.JobSpec.SourceSpec(
              spec.source().root(),
              tables.stream().map(TableSpec::name).toList(),
              spec.source().connection()),
          spec.sink(),
          spec.copy(),
          spec.mode(),
          spec.delta(),
          spec.control(),
          spec.partitionTable(),
          spec.connections(),
          spec.tabular().withTables(tables));
    }
  }

  /**
   * The tables to run, each with the run it goes on from ({@code resumeFrom}, by prefix); 0: this
   * run's own id, known to the workers.
   */
  private static List<TableKey> tableKeys(List<PartitionKey> chosen, Map<String, Long> resumeFrom) {
    List<TableKey> tables = new ArrayList<>();
    for (PartitionKey key : chosen) {
      tables.add(new TableKey(key.root(), key.prefix(), resumeFrom.getOrDefault(key.prefix(), 0L)));
    }
    return tables;
  }
}
