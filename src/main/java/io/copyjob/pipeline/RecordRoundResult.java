package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each partition's round once all its results are in, as {@link RecordPartitionResult}
 * records a batch run's partition: counts, first error, window, and (when it succeeded) the
 * partition's watermark moved to the window's end, in one transaction ({@link
 * ControlStore#recordRound}). A round whose listing gave no file at all keeps the watermark where
 * it was, as a batch run's delta partition does.
 *
 * <p>A round is complete when its listing's end ({@link ListRoundWindows#LISTED}) and as many
 * results as it announced have arrived. They are gathered per partition in a stateful DoFn rather
 * than by a windowed grouping: a window of an unbounded pipeline closes only when the watermark
 * passes it, a tick later at best, while a round is recorded as soon as it is done. They are keyed
 * by partition and round ({@link StartRounds#resultKey}): one round per partition is in flight at a
 * time ({@link StartRounds}), but after a runner's failover the results of a round recorded before
 * it may come again (outputs its checkpoint held) while the partition's next round runs, and
 * counted under the partition alone they completed the wrong round, early and with wrong counts.
 */
public final class RecordRoundResult
    extends PTransform<PCollection<FileResult>, PCollection<PartitionResult>> {
  private final JobSpec spec;
  private final RunContext run;
  private final PCollection<KV<String, RoundEvent>> listed;

  public RecordRoundResult(
      JobSpec spec, RunContext run, PCollection<KV<String, RoundEvent>> listed) {
    this.spec = spec;
    this.run = run;
    this.listed = listed;
  }

  @Override
  public PCollection<PartitionResult> expand(PCollection<FileResult> results) {
    KvCoder<String, RoundEvent> coder =
        KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(RoundEvent.class));
    PCollection<KV<String, RoundEvent>> tallies =
        results
            .apply(
                "Sum per bundle",
                ParDo.of(new RecordPartitionResult.SumPerBundleFn(run.failureLog())))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(PartitionTally.class)))
            .apply(
                "As round events",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(), TypeDescriptor.of(RoundEvent.class)))
                    .via(kv -> KV.of(kv.getKey(), RoundEvent.of(kv.getValue()))))
            .setCoder(coder);
    return PCollectionList.of(tallies)
        .and(listed)
        .apply("Gather round", org.apache.beam.sdk.transforms.Flatten.pCollections())
        .setCoder(coder)
        .apply("Write round", ParDo.of(new RecordRoundFn(spec, run)))
        .setCoder(SerializableCoder.of(PartitionResult.class));
  }

  static final class RecordRoundFn extends DoFn<KV<String, RoundEvent>, PartitionResult> {
    private static final Logger LOG = LoggerFactory.getLogger(RecordRoundFn.class);
    private final JobSpec spec;
    private final RunContext run;
    private final Counter recorded = CopyMetrics.counter(CopyMetrics.PARTITIONS_RECORDED);
    private transient LeaseKeeper lease;

    @StateId("tally")
    private final StateSpec<ValueState<PartitionTally>> tallySpec =
        StateSpecs.value(SerializableCoder.of(PartitionTally.class));

    @StateId("listed")
    private final StateSpec<ValueState<RoundEvent>> listedSpec =
        StateSpecs.value(SerializableCoder.of(RoundEvent.class));

    RecordRoundFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
    }

    @Setup
    public void setup() {
      lease = LeaseKeeper.hold(spec, run);
    }

    @ProcessElement
    public void process(
        @Element KV<String, RoundEvent> event,
        @StateId("tally") ValueState<PartitionTally> tallyState,
        @StateId("listed") ValueState<RoundEvent> listedState,
        OutputReceiver<PartitionResult> out)
        throws SQLException {
      PartitionTally tally = tallyState.read();
      if (tally == null) {
        tally = PartitionTally.EMPTY;
      }
      RoundEvent listed = listedState.read();
      RoundEvent e = event.getValue();
      if (e.listed() != null) {
        listed = e;
        listedState.write(e);
      } else {
        tally = tally.plus(e.tally());
        tallyState.write(tally);
      }
      if (listed == null
          || tally.copied() + tally.skipped() + tally.failed() + tally.left() < listed.expected()) {
        return;
      }
      tallyState.clear();
      listedState.clear();
      lease.check(); // a run that lost its lease records nothing more
      RoundPartition round = listed.listed();
      // As a batch run's delta partition (RecordPartitionResult): a folder gone or not mounted
      // lists empty, and the next round lists from the same start.
      boolean keep = listed.listedEmpty() && tally.firstError() == null;
      String kept =
          keep && round.window().start() != null
              ? "listed no file under "
                  + java.net.URI.create(round.key().root())
                  + round.key().prefix()
                  + "; its delta watermark stays until it lists a file again: is the source folder"
                  + " there and mounted?"
              : null;
      String warning = RecordPartitionResult.join(kept, tally.leftWarning());
      if (warning != null) {
        LOG.warn("Partition '{}', round {}: {}", round.key().prefix(), round.round(), warning);
      }
      PartitionResult result =
          new PartitionResult(
              round.key(),
              tally.copied(),
              tally.skipped(),
              tally.failed(),
              tally.bytes(),
              tally.firstError(),
              round.window().start(),
              round.window().end(),
              warning);
      if (keep) {
        result = result.keepingWatermark(warning);
      }
      try (ControlStore control = ControlStore.openExisting(spec.control())) {
        if (!control.recordRound(run.runId(), spec.name(), run.runStart(), round.round(), result)) {
          LOG.info(
              "Partition '{}': round {} was recorded or abandoned already",
              round.key().prefix(),
              round.round());
          return;
        }
      }
      recorded.inc();
      out.output(result);
    }

    @Teardown
    public void teardown() {
      if (lease != null) {
        lease.release();
      }
    }
  }
}
