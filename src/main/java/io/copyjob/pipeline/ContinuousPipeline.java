package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec;
import java.time.Instant;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * A continuous run's pipeline: the delta run's steps, unbounded, in rounds.
 *
 * <pre>
 * PeriodicImpulse (every continuous.interval) -> StartRounds (partitions, watermarks, store clocks
 *   read per round) -> Reshuffle -> ListRoundWindows -> Reshuffle -> CopyFiles
 *   -> RecordRoundResult (per partition and round, as soon as the round is complete)
 * </pre>
 *
 * It never ends by itself: the run is stopped ({@link PipelineJob#stop}, a Flink cancel or stop) or
 * dies, and its rounds in flight are then abandoned with their watermarks untouched.
 */
public final class ContinuousPipeline {
  private ContinuousPipeline() {}

  /**
   * A tick every {@code continuous.interval} from the run's start, as the instant it is for: what
   * starts each round (of partitions, or of tables).
   */
  public static PCollection<Instant> ticks(Pipeline pipeline, JobSpec spec, RunContext run) {
    org.joda.time.Instant start = new org.joda.time.Instant(run.runStart().toEpochMilli());
    return pipeline
        .apply(
            "Tick every " + io.copyjob.spec.Durations.format(spec.delta().interval()),
            PeriodicImpulse.create()
                .startAt(start)
                .withInterval(org.joda.time.Duration.millis(spec.delta().interval().toMillis())))
        .apply(
            "As instants",
            MapElements.into(TypeDescriptor.of(Instant.class))
                .via(t -> Instant.ofEpochMilli(t.getMillis())));
  }

  public static void build(
      Pipeline pipeline, JobSpec spec, RunContext run, PartitionLayout layout) {
    PCollection<RoundPartition> rounds =
        ticks(pipeline, spec, run)
            .apply("StartRounds", new StartRounds(spec, run))
            // Every tick lands on one Flink subtask: the partitions' listings are dealt out.
            .apply("Deal partitions", Reshuffle.viaRandomKey());
    PCollectionTuple listed =
        rounds.apply("ListRoundWindows", new ListRoundWindows(spec, run, layout));
    PCollection<FileResult> copied =
        listed
            .get(ListRoundWindows.FILES)
            .apply(
                "Reshuffle",
                Reshuffle.<FileToCopy>viaRandomKey().withNumBuckets(FileCopyPipeline.COPY_BUCKETS))
            .apply("CopyFiles", new CopyFiles(spec, run));
    PCollectionList.of(listed.get(ListRoundWindows.FAILURES))
        .and(copied)
        .apply("Gather results", Flatten.pCollections())
        .apply(
            "RecordRoundResult",
            new RecordRoundResult(spec, run, listed.get(ListRoundWindows.LISTED)));
  }
}
