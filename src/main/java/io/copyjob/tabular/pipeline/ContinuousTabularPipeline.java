package io.copyjob.tabular.pipeline;

import io.copyjob.pipeline.ContinuousPipeline;
import io.copyjob.pipeline.RunContext;
import io.copyjob.spec.JobSpec;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;

/**
 * A continuous tabular run's pipeline: the incremental run's steps, unbounded, in rounds.
 *
 * <pre>
 * PeriodicImpulse (every continuous.interval) -> StartTableRounds -> Reshuffle -> PlanRoundPieces
 *   (the watermark read afresh, the high-water mark, the ranges) -> Reshuffle -> TransferPieces
 *   -> RecordTableRound (per table and round, as soon as the round is complete)
 * </pre>
 *
 * It never ends by itself: the run is stopped or dies, and its rounds in flight are then abandoned
 * with their watermarks untouched. Rows a round wrote before it was abandoned are read again by the
 * next round and written by key ({@code write: upsert}), so none is written twice.
 */
public final class ContinuousTabularPipeline {
  private ContinuousTabularPipeline() {}

  public static void build(
      Pipeline pipeline, JobSpec spec, RunContext run, long runNumber, List<TableKey> tables) {
    PCollection<TableRound> rounds =
        ContinuousPipeline.ticks(pipeline, spec, run)
            .apply("StartTableRounds", new StartTableRounds(spec, run, tables))
            // Every tick lands on one Flink subtask: the tables' plans are dealt out.
            .apply("Deal tables", Reshuffle.viaRandomKey());
    PCollectionTuple planned =
        rounds.apply("PlanRoundPieces", new PlanRoundPieces(spec, run, runNumber));
    PCollection<PieceResult> transferred =
        planned
            .get(PlanRoundPieces.PIECES)
            .apply("Reshuffle", Reshuffle.viaRandomKey())
            .apply("TransferPieces", new TransferPieces(spec, run, runNumber));
    PCollectionList.of(planned.get(PlanRoundPieces.FAILURES))
        .and(transferred)
        .apply("Gather results", Flatten.pCollections())
        .apply(
            "RecordTableRound",
            new RecordTableRound(spec, run, runNumber, planned.get(PlanRoundPieces.PLANNED)));
  }
}
