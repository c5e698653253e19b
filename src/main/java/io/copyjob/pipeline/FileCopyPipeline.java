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
 *
 * Where two source keys may land on one sink key (flattening, or roots that may meet), {@link
 * FailSinkKeyCollisions} takes the place of the Reshuffle.
 */
public final class FileCopyPipeline {
  /**
   * The keys the listed files are dealt over before copying. Flink rebalances whatever the keys;
   * the direct runner makes one bundle per key, and a bundle copies its files {@code
   * transfersPerWorker} at a time, so a key per file would copy one file at a time per thread.
   */
  static final int COPY_BUCKETS = 32;

  private FileCopyPipeline() {}

  /**
   * Adds the job's steps to {@code pipeline}.
   *
   * @param layout all of the job's partitions: which one owns each file, and whether sink keys may
   *     collide
   */
  public static void build(
      Pipeline pipeline, JobSpec spec, RunContext run, PartitionLayout layout) {
    PBegin begin = PBegin.in(pipeline);
    PCollection<PartitionKey> partitions =
        begin.apply("ReadPartitions", new ReadPartitions(spec, run));
    PCollectionView<Map<String, Long>> watermarks =
        begin.apply("ReadWatermarks", new ReadWatermarks(spec));
    PCollectionTuple listed =
        partitions.apply("ListChangedFiles", new ListChangedFiles(spec, run, watermarks, layout));
    PCollection<FileToCopy> files = listed.get(ListChangedFiles.FILES);
    PCollectionList<FileResult> failures =
        PCollectionList.of(listed.get(ListChangedFiles.FAILURES));
    PCollection<FileToCopy> dealt;
    if (layout.keysMayCollide()) {
      PCollectionTuple checked =
          files.apply("FailSinkKeyCollisions", new FailSinkKeyCollisions(spec));
      dealt = checked.get(FailSinkKeyCollisions.FILES);
      failures = failures.and(checked.get(FailSinkKeyCollisions.FAILURES));
    } else {
      dealt =
          files.apply(
              "Reshuffle", Reshuffle.<FileToCopy>viaRandomKey().withNumBuckets(COPY_BUCKETS));
    }
    // The copies write their own manifest rows (see CopyFiles); the files that never reached the
    // copy are written beside the partitions' records.
    PCollection<FileResult> copied =
        dealt.apply("CopyFiles", new CopyFiles(spec, run).withManifest());
    PCollection<FileResult> notCopied = failures.apply("Gather failures", Flatten.pCollections());
    notCopied.apply("RecordManifest", new RecordManifest(spec, run));
    PCollection<FileResult> results =
        PCollectionList.of(notCopied).and(copied).apply("Gather results", Flatten.pCollections());
    PCollection<PartitionResult> recorded =
        results.apply(
            "RecordPartitionResult", new RecordPartitionResult(spec, run, partitions, watermarks));
    recorded.apply("RecordRun", new RecordRun(spec, run));
  }
}
