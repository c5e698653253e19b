package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Fails every listed file whose sink key another listed file of the run lands on too, naming the
 * other: two source keys on one sink key would overwrite each other, so neither is copied. Used
 * only where the key mapping may not be one-to-one ({@link PartitionLayout#keysMayCollide()}).
 *
 * <p>The files are grouped by a hash bucket of their sink key, so that all the files of one sink
 * key meet in one bucket; a grouping per file would cost the direct runner a bundle per file. The
 * grouping also deals the files to {@link FileCopyPipeline#COPY_BUCKETS} buckets, so it takes the
 * place of the copy's reshuffle: no extra shuffle. Memory: a worker checks one bucket at a time,
 * holding its files and a map of their sink keys, about 400 bytes per file with 50-character keys
 * (360 measured: half the listed file, half the map): the files of the run ÷ {@value
 * FileCopyPipeline#COPY_BUCKETS} (1 M files: about 12 MB per bucket). The direct runner's grouping,
 * like its reshuffle, holds every listed file of the run until the buckets are read.
 */
public final class FailSinkKeyCollisions
    extends PTransform<PCollection<FileToCopy>, PCollectionTuple> {
  public static final TupleTag<FileToCopy> FILES = new TupleTag<>() {};
  public static final TupleTag<FileResult> FAILURES = new TupleTag<>() {};

  private final JobSpec spec;

  public FailSinkKeyCollisions(JobSpec spec) {
    this.spec = spec;
  }

  @Override
  public PCollectionTuple expand(PCollection<FileToCopy> files) {
    JobSpec job = spec;
    PCollectionTuple out =
        files
            .apply(
                "Key by sink key bucket",
                WithKeys.of(
                        (FileToCopy f) ->
                            Math.floorMod(
                                sinkKey(job, f).hashCode(), FileCopyPipeline.COPY_BUCKETS))
                    .withKeyType(TypeDescriptors.integers()))
            .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(FileToCopy.class)))
            .apply("Group by sink key bucket", GroupByKey.create())
            .apply(
                "Fail files on one sink key",
                ParDo.of(new FailCollisionsFn(spec))
                    .withOutputTags(FILES, TupleTagList.of(FAILURES)));
    out.get(FILES).setCoder(SerializableCoder.of(FileToCopy.class));
    out.get(FAILURES).setCoder(SerializableCoder.of(FileResult.class));
    return out;
  }

  private static String sinkKey(JobSpec spec, FileToCopy file) {
    return KeyMapping.sinkKey(spec, file.partition(), file.file().key());
  }

  static final class FailCollisionsFn extends DoFn<KV<Integer, Iterable<FileToCopy>>, FileToCopy> {
    /** Other files named in one failure before "and N more": it stays one line. */
    private static final int NAMED = 3;

    private final JobSpec spec;
    private final Counter filesFailed = CopyMetrics.counter(CopyMetrics.FILES_FAILED);

    FailCollisionsFn(JobSpec spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Map<String, List<FileToCopy>> bySinkKey = new HashMap<>();
      for (FileToCopy file : c.element().getValue()) {
        bySinkKey.computeIfAbsent(sinkKey(spec, file), k -> new ArrayList<>(1)).add(file);
      }
      bySinkKey.forEach(
          (sinkKey, files) -> {
            if (files.size() == 1) {
              c.output(files.get(0));
              return;
            }
            for (FileToCopy file : files) {
              filesFailed.inc();
              c.output(
                  FAILURES,
                  new FileResult(
                          file.partition(),
                          file.file().key(),
                          FileResult.Outcome.FAILED,
                          0,
                          reason(file, sinkKey, files))
                      .withFile(sinkKey, file.file().size(), null)
                      .inRound(file.round()));
            }
          });
    }

    private static String reason(FileToCopy file, String sinkKey, List<FileToCopy> all) {
      List<String> others = new ArrayList<>();
      for (FileToCopy other : all) {
        if (other != file) {
          others.add(name(file, other));
        }
      }
      others.sort(null);
      String named = String.join(", ", others.subList(0, Math.min(NAMED, others.size())));
      String more = others.size() > NAMED ? " and " + (others.size() - NAMED) + " more" : "";
      return file.file().key()
          + ": not copied, "
          + named
          + more
          + " would land on the same sink key '"
          + sinkKey
          + "'";
    }

    /** The other file's key, with its root when it is of another root than {@code file}. */
    private static String name(FileToCopy file, FileToCopy other) {
      String key = other.file().key();
      return other.partition().root().equals(file.partition().root())
          ? key
          : other.partition().root() + key;
    }
  }
}
