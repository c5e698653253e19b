package io.copyjob.tabular.pipeline;

import io.copyjob.control.PartitionResult;
import io.copyjob.pipeline.RecordRun;
import io.copyjob.pipeline.RunContext;
import io.copyjob.spec.JobSpec;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;

/**
 * The tabular copy pipeline, the file copy's shape with tables as its partitions:
 *
 * <pre>
 * ReadTables -> PlanPieces -> Reshuffle -> TransferPieces -> RecordTableResult (joined with the
 *   table list) -> RecordRun
 * </pre>
 *
 * A piece (a file) is the unit of work: its rows are read, mapped and written inside one DoFn call,
 * so rows never travel between workers as elements.
 */
public final class TabularPipeline {
  private TabularPipeline() {}

  /**
   * Adds the job's steps to {@code pipeline}.
   *
   * @param tables the tables the run loads, as it chose them before it started
   */
  public static void build(
      Pipeline pipeline, JobSpec spec, RunContext run, long runNumber, List<TableKey> tables) {
    PCollection<TableKey> read =
        PBegin.in(pipeline).apply("ReadTables", new ReadTables(spec, run, tables));
    PCollectionTuple planned = read.apply("PlanPieces", new PlanPieces(spec, run, runNumber));
    PCollection<PieceResult> transferred =
        planned
            .get(PlanPieces.PIECES)
            .apply("Reshuffle", Reshuffle.viaRandomKey())
            .apply("TransferPieces", new TransferPieces(spec, run, runNumber));
    PCollection<PartitionResult> recorded =
        PCollectionList.of(planned.get(PlanPieces.FAILURES))
            .and(transferred)
            .apply("Gather results", Flatten.pCollections())
            .apply("RecordTableResult", new RecordTableResult(spec, run, runNumber, read));
    recorded.apply("RecordRun", new RecordRun(spec, run));
  }
}
