package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Lists each partition's files under its prefix, streamed page by page, and keeps those whose
 * LastModified lies in the partition's window (see {@link DeltaWindow}). A partition whose listing
 * fails gives one failed {@link FileResult} on {@link #FAILURES}.
 */
public final class ListChangedFiles
    extends PTransform<PCollection<PartitionKey>, PCollectionTuple> {
  public static final TupleTag<FileToCopy> FILES = new TupleTag<>() {};
  public static final TupleTag<FileResult> FAILURES = new TupleTag<>() {};

  private final JobSpec spec;
  private final RunContext run;
  private final PCollectionView<Map<String, Long>> watermarks;

  public ListChangedFiles(
      JobSpec spec, RunContext run, PCollectionView<Map<String, Long>> watermarks) {
    this.spec = spec;
    this.run = run;
    this.watermarks = watermarks;
  }

  @Override
  public PCollectionTuple expand(PCollection<PartitionKey> partitions) {
    int slots = spec.copy().partitionsInFlight();
    PCollection<KV<Integer, Iterable<PartitionKey>>> batches;
    if (slots > 0) {
      // ADF's batchCount: the partitions are dealt to this many slots, each listed in turn.
      batches =
          partitions
              .apply(
                  "Deal to " + slots + " slots",
                  WithKeys.of((PartitionKey p) -> Math.floorMod(p.id().hashCode(), slots))
                      .withKeyType(TypeDescriptors.integers()))
              .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(PartitionKey.class)))
              .apply("Group by slot", GroupByKey.create());
    } else {
      batches =
          partitions
              .apply(
                  "One per batch",
                  MapElements.into(
                          TypeDescriptors.kvs(
                              TypeDescriptors.integers(),
                              TypeDescriptors.iterables(TypeDescriptor.of(PartitionKey.class))))
                      .via(p -> KV.of(0, List.of(p))))
              .setCoder(
                  KvCoder.of(
                      VarIntCoder.of(),
                      IterableCoder.of(SerializableCoder.of(PartitionKey.class))));
    }
    PCollectionTuple out =
        batches.apply(
            "List prefix",
            ParDo.of(new ListFn(spec, run, watermarks))
                .withSideInputs(watermarks)
                .withOutputTags(FILES, TupleTagList.of(FAILURES)));
    out.get(FILES).setCoder(SerializableCoder.of(FileToCopy.class));
    out.get(FAILURES).setCoder(SerializableCoder.of(FileResult.class));
    return out;
  }

  static final class ListFn extends DoFn<KV<Integer, Iterable<PartitionKey>>, FileToCopy> {
    private final JobSpec spec;
    private final RunContext run;
    private final PCollectionView<Map<String, Long>> watermarks;
    private final Counter partitionsListed = CopyMetrics.counter(CopyMetrics.PARTITIONS_LISTED);
    private final Counter filesListed = CopyMetrics.counter(CopyMetrics.FILES_LISTED);
    private final Counter bytesListed = CopyMetrics.counter(CopyMetrics.BYTES_LISTED);
    private transient StoreCache stores;

    ListFn(JobSpec spec, RunContext run, PCollectionView<Map<String, Long>> watermarks) {
      this.spec = spec;
      this.run = run;
      this.watermarks = watermarks;
    }

    @Setup
    public void setup() {
      stores = new StoreCache(spec, run);
    }

    @ProcessElement
    public void process(ProcessContext c) {
      for (PartitionKey partition : c.element().getValue()) {
        list(partition, c);
      }
    }

    private void list(PartitionKey partition, ProcessContext c) {
      DeltaWindow window =
          DeltaWindow.of(spec, c.sideInput(watermarks).get(partition.id()), run.runStart());
      try (Listing listing =
              stores.get(partition.root()).list(partition.prefix(), spec.copy().recursive());
          SinkCursor atSink = sinkCursor(partition, window)) {
        while (listing.hasNext()) {
          FileInfo file = listing.next();
          if (window.contains(file.lastModified())) {
            filesListed.inc();
            bytesListed.inc(file.size());
            SinkCursor.Lookup sink = atSink.find(KeyMapping.sinkKey(spec, partition, file.key()));
            c.output(new FileToCopy(partition, file, sink.known(), sink.file()));
          }
        }
      } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
        c.output(
            FAILURES,
            FileResult.listingFailed(
                partition, "listing " + describe(partition) + " failed: " + e.getMessage()));
      }
      partitionsListed.inc();
    }

    /**
     * The sink below where the partition's prefix lands, listed alongside the source (and only once
     * a file is in the window), so that the copier needs no request per file to learn whether the
     * file is there already. Not for a delta window with a start: it takes the few files changed
     * since, and a HEAD for each of those costs less than listing all the sink holds.
     */
    private SinkCursor sinkCursor(PartitionKey partition, DeltaWindow window) {
      if (window.start() != null) {
        return SinkCursor.none();
      }
      return SinkCursor.over(
          stores.get(spec.sink().root().toString()),
          KeyMapping.sinkKey(spec, partition, partition.prefix()),
          spec.copy().recursive());
    }

    private static String describe(PartitionKey partition) {
      return URI.create(partition.root()) + partition.prefix();
    }

    @Teardown
    public void teardown() throws IOException {
      if (stores != null) {
        stores.close();
      }
    }
  }
}
