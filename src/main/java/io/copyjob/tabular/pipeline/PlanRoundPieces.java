package io.copyjob.tabular.pipeline;

import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StartRounds;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Plans each table's round exactly as {@link PlanPieces} plans a run's table (the same planner: the
 * watermark read from the control store, the high-water mark, the ranges), and ends each round's
 * planning with a {@link TableRoundEvent} on {@link #PLANNED} saying how many results the round
 * will give, so that its record knows when the round is complete.
 */
public final class PlanRoundPieces extends PTransform<PCollection<TableRound>, PCollectionTuple> {
  public static final TupleTag<Piece> PIECES = PlanPieces.PIECES;
  public static final TupleTag<PieceResult> FAILURES = PlanPieces.FAILURES;
  static final TupleTag<KV<String, TableRoundEvent>> PLANNED = new TupleTag<>() {};

  private final JobSpec spec;
  private final RunContext run;
  private final long runNumber;

  public PlanRoundPieces(JobSpec spec, RunContext run, long runNumber) {
    this.spec = spec;
    this.run = run;
    this.runNumber = runNumber;
  }

  @Override
  public PCollectionTuple expand(PCollection<TableRound> rounds) {
    PCollectionTuple out =
        rounds.apply(
            "Plan round",
            ParDo.of(new PlanRoundFn(spec, run, runNumber))
                .withOutputTags(PIECES, TupleTagList.of(FAILURES).and(PLANNED)));
    out.get(PIECES).setCoder(SerializableCoder.of(Piece.class));
    out.get(FAILURES).setCoder(SerializableCoder.of(PieceResult.class));
    out.get(PLANNED)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(TableRoundEvent.class)));
    return out;
  }

  static final class PlanRoundFn extends DoFn<TableRound, Piece> {
    private final PlanPieces.PlanFn planner;

    PlanRoundFn(JobSpec spec, RunContext run, long runNumber) {
      this.planner = new PlanPieces.PlanFn(spec, run, runNumber);
    }

    @Setup
    public void setup() {
      planner.setup();
    }

    @ProcessElement
    public void process(@Element TableRound round, MultiOutputReceiver out) {
      long[] expected = {0};
      planner.plan(
          round.table(),
          piece -> {
            expected[0]++;
            out.get(PIECES).output(piece.inRound(round.round()));
          },
          failure -> {
            expected[0]++;
            out.get(FAILURES).output(failure.inRound(round.round()));
          });
      out.get(PLANNED)
          .output(
              KV.of(
                  StartRounds.resultKey(round.table().id(), round.round()),
                  TableRoundEvent.planned(round, expected[0])));
    }

    @Teardown
    public void teardown() throws IOException {
      planner.teardown();
    }
  }
}
