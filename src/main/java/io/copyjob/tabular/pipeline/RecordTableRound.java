package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.pipeline.CopyMetrics;
import io.copyjob.pipeline.LeaseKeeper;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StartRounds;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each table's round once all its results are in, as {@link RecordTableResult} records a
 * run's table (the same step: rejected-row limits, dead letter, the sink's commit or abort) and
 * then in one control transaction ({@link ControlStore#recordRound}): the round's row with its
 * rows, the run's row of the table (the sums over its rounds) and, only when the round succeeded,
 * the table's watermark moved to the high-water mark the round read up to. A round that failed, or
 * that the run abandoned, leaves the watermark where it was, so the next round reads its rows again
 * (written by key: no row twice).
 *
 * <p>Results are gathered per table and round in a stateful DoFn, as {@code RecordRoundResult}
 * gathers a partition's ({@link StartRounds#resultKey}): after a failover, results of a round
 * recorded before it may come again while the table's next round runs.
 */
public final class RecordTableRound
    extends PTransform<PCollection<PieceResult>, PCollection<PartitionResult>> {
  private final JobSpec spec;
  private final RunContext run;
  private final long runNumber;
  private final PCollection<KV<String, TableRoundEvent>> planned;

  public RecordTableRound(
      JobSpec spec,
      RunContext run,
      long runNumber,
      PCollection<KV<String, TableRoundEvent>> planned) {
    this.spec = spec;
    this.run = run;
    this.runNumber = runNumber;
    this.planned = planned;
  }

  @Override
  public PCollection<PartitionResult> expand(PCollection<PieceResult> results) {
    KvCoder<String, TableRoundEvent> coder =
        KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(TableRoundEvent.class));
    PCollection<KV<String, TableRoundEvent>> tallies =
        results.apply("Sum per bundle", ParDo.of(new SumPerBundleFn())).setCoder(coder);
    return PCollectionList.of(tallies)
        .and(planned)
        .apply("Gather round", Flatten.pCollections())
        .setCoder(coder)
        .apply("Write round", ParDo.of(new RecordRoundFn(spec, run, runNumber)))
        .setCoder(SerializableCoder.of(PartitionResult.class));
  }

  /** The results of one bundle summed per table, with how many they are. */
  static final class SumPerBundleFn extends DoFn<PieceResult, KV<String, TableRoundEvent>> {
    private transient Map<String, TableRoundEvent> sums;

    @StartBundle
    public void startBundle() {
      sums = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element PieceResult result) {
      sums.merge(
          result.tallyKey(),
          TableRoundEvent.of(TableTally.EMPTY.plus(result), 1),
          (a, b) -> TableRoundEvent.of(a.tally().plus(b.tally()), a.results() + b.results()));
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      sums.forEach(
          (id, event) ->
              c.output(KV.of(id, event), BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
      sums = null;
    }
  }

  static final class RecordRoundFn extends DoFn<KV<String, TableRoundEvent>, PartitionResult> {
    private static final Logger LOG = LoggerFactory.getLogger(RecordRoundFn.class);
    private final JobSpec spec;
    private final RunContext run;
    private final RecordTableResult.RecordFn recorder;
    private final Counter recorded = CopyMetrics.counter(CopyMetrics.PARTITIONS_RECORDED);
    private transient LeaseKeeper lease;

    @StateId("tally")
    private final StateSpec<ValueState<TableRoundEvent>> tallySpec =
        StateSpecs.value(SerializableCoder.of(TableRoundEvent.class));

    @StateId("planned")
    private final StateSpec<ValueState<TableRoundEvent>> plannedSpec =
        StateSpecs.value(SerializableCoder.of(TableRoundEvent.class));

    RecordRoundFn(JobSpec spec, RunContext run, long runNumber) {
      this.spec = spec;
      this.run = run;
      this.recorder = new RecordTableResult.RecordFn(spec, run, runNumber);
    }

    @Setup
    public void setup() {
      lease = LeaseKeeper.hold(spec, run);
      recorder.setup();
    }

    @ProcessElement
    public void process(
        @Element KV<String, TableRoundEvent> event,
        @StateId("tally") ValueState<TableRoundEvent> tallyState,
        @StateId("planned") ValueState<TableRoundEvent> plannedState,
        OutputReceiver<PartitionResult> out)
        throws SQLException {
      TableRoundEvent tally = tallyState.read();
      if (tally == null) {
        tally = TableRoundEvent.of(TableTally.EMPTY, 0);
      }
      TableRoundEvent planned = plannedState.read();
      TableRoundEvent e = event.getValue();
      if (e.planned() != null) {
        planned = e;
        plannedState.write(e);
      } else {
        tally = TableRoundEvent.of(tally.tally().plus(e.tally()), tally.results() + e.results());
        tallyState.write(tally);
      }
      if (planned == null || tally.results() < planned.expected()) {
        return;
      }
      tallyState.clear();
      plannedState.clear();
      lease.check(); // a run that lost its lease records nothing more
      TableRound round = planned.planned();
      PartitionResult result = recorder.finish(round.table(), tally.tally());
      try (ControlStore control = ControlStore.openExisting(spec.control())) {
        if (!control.recordRound(run.runId(), spec.name(), run.runStart(), round.round(), result)) {
          LOG.info(
              "Table '{}': round {} was recorded or abandoned already",
              round.table().name(),
              round.round());
          return;
        }
      }
      recorded.inc();
      out.output(result);
    }

    @Teardown
    public void teardown() throws IOException {
      recorder.teardown();
      if (lease != null) {
        lease.release();
      }
    }
  }
}
