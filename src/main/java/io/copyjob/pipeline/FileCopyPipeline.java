package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.spec.JobSpec;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The file copy pipeline, as DESIGN.md draws it:
 *
 * <pre>
 * ReadPartitions -> ListChangedFiles (watermarks as a side input) -> Reshuffle -> CopyFiles
 *   -> RecordPartitionResult (joined with the partition list) -> RecordRun
 * </pre>
 */
public final class FileCopyPipeline {
  /**
   * The keys the listed files are dealt over before copying. Flink rebalances whatever the keys;
   * the direct runner makes one bundle per key, and a bundle copies its files {@code
   * transfersPerWorker} at a time, so a key per file would copy one file at a time per thread.
   */
  static final int COPY_BUCKETS = 32;

  private FileCopyPipeline() {}

  /** Adds the job's steps to {@code pipeline}. */
  public static void build(Pipeline pipeline, JobSpec spec, RunContext run) {
    PBegin begin = PBegin.in(pipeline);
    PCollection<PartitionKey> partitions = begin.apply("ReadPartitions", new ReadPartitions(spec));
    PCollectionView<Map<String, Long>> watermarks =
        begin.apply("ReadWatermarks", new ReadWatermarks(spec));
    PCollectionTuple listed =
        partitions.apply("ListChangedFiles", new ListChangedFiles(spec, run, watermarks));
    PCollection<FileResult> copied =
        listed
            .get(ListChangedFiles.FILES)
            .apply("Reshuffle", Reshuffle.<FileToCopy>viaRandomKey().withNumBuckets(COPY_BUCKETS))
            .apply("CopyFiles", new CopyFiles(spec, run));
    PCollection<PartitionResult> recorded =
        PCollectionList.of(copied)
            .and(listed.get(ListChangedFiles.FAILURES))
            .apply("Gather results", Flatten.pCollections())
            .apply(
                "RecordPartitionResult",
                new RecordPartitionResult(spec, run, partitions, watermarks));
    recorded.apply("RecordRun", new RecordRun(spec, run));
  }
}
