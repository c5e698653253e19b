package io.copyjob.pipeline;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.ProgressState;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import io.copyjob.store.TempOwner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
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
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists each partition's files under its prefix, streamed page by page, and keeps those whose
 * LastModified lies in the partition's window (see {@link DeltaWindow}) and that the partition owns
 * (see {@link PartitionLayout}). A partition whose listing fails gives one failed {@link
 * FileResult} on {@link #FAILURES}, one whose listing gives no file at all a {@link
 * FileResult#listedEmpty} there; so does a file whose sink key the sink cannot hold under exactly
 * that name ({@link io.copyjob.store.Store#keyProblem}), before anything is written. When the job's
 * previous run did not end cleanly, the partition's side of the sink is first swept of the
 * temporary files that run left.
 */
public final class ListChangedFiles
    extends PTransform<PCollection<PartitionKey>, PCollectionTuple> {
  public static final TupleTag<FileToCopy> FILES = new TupleTag<>() {};
  public static final TupleTag<FileResult> FAILURES = new TupleTag<>() {};

  private final JobSpec spec;
  private final RunContext run;
  private final PCollectionView<Map<String, Long>> watermarks;
  private final PartitionLayout layout;

  public ListChangedFiles(
      JobSpec spec,
      RunContext run,
      PCollectionView<Map<String, Long>> watermarks,
      PartitionLayout layout) {
    this.spec = spec;
    this.run = run;
    this.watermarks = watermarks;
    this.layout = layout;
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
            ParDo.of(new ListFn(spec, run, watermarks, layout))
                .withSideInputs(watermarks)
                .withOutputTags(FILES, TupleTagList.of(FAILURES)));
    out.get(FILES).setCoder(SerializableCoder.of(FileToCopy.class));
    out.get(FAILURES).setCoder(SerializableCoder.of(FileResult.class));
    return out;
  }

  static final class ListFn extends DoFn<KV<Integer, Iterable<PartitionKey>>, FileToCopy> {
    private static final Logger LOG = LoggerFactory.getLogger(ListFn.class);

    /**
     * Batches one worker lists at once when partitionsInFlight does not deal them: a listing mostly
     * waits on its store's answers, and a worker of few threads (the direct runner's batch copies
     * run on one) would otherwise list its partitions one by one.
     */
    static final int LISTINGS_PER_WORKER = 8;

    /** The most a partitionsInFlight slot count runs at once in one worker. */
    static final int MAX_LISTINGS_PER_WORKER = 64;

    /** How far a file's stamp may lie ahead of its listing before it is said to be later. */
    static final Duration CLOCK_DRIFT = Duration.ofMinutes(1);

    /** Listed files held between the listings and the bundle's thread, which outputs them. */
    private static final int LISTED_QUEUE = 4096;

    private final JobSpec spec;
    private final RunContext run;
    private final PCollectionView<Map<String, Long>> watermarks;
    private final PartitionLayout layout;
    private final Counter partitionsListed = CopyMetrics.counter(CopyMetrics.PARTITIONS_LISTED);
    private final Counter filesListed = CopyMetrics.counter(CopyMetrics.FILES_LISTED);
    private final Counter bytesListed = CopyMetrics.counter(CopyMetrics.BYTES_LISTED);
    private final Counter leftoversRemoved = CopyMetrics.counter(CopyMetrics.LEFTOVERS_REMOVED);
    private final Counter filesFailed = CopyMetrics.counter(CopyMetrics.FILES_FAILED);
    private final Counter markersSkipped = CopyMetrics.counter(CopyMetrics.MARKERS_SKIPPED);
    private final Counter filesLater = CopyMetrics.counter(CopyMetrics.FILES_STAMPED_LATER);
    private transient StoreCache stores;
    private transient LeaseKeeper lease;
    private transient ProgressKeeper progress;
    private transient ExecutorService listings;
    private transient int listingsAtOnce;
    private transient BlockingQueue<Object> listed;
    private transient int running;
    private transient Map<String, Long> marks;

    /**
     * @param watermarks the delta watermarks; null for a lister that is given its windows
     */
    ListFn(
        JobSpec spec,
        RunContext run,
        PCollectionView<Map<String, Long>> watermarks,
        PartitionLayout layout) {
      this.spec = spec;
      this.run = run;
      this.watermarks = watermarks;
      this.layout = layout;
    }

    @Setup
    public void setup() {
      stores = new StoreCache(spec, run);
      lease = LeaseKeeper.hold(spec, run);
      progress = ProgressKeeper.hold(spec, run);
      int slots = spec.copy().partitionsInFlight();
      listingsAtOnce = slots > 0 ? Math.min(slots, MAX_LISTINGS_PER_WORKER) : LISTINGS_PER_WORKER;
      listings =
          Executors.newFixedThreadPool(
              listingsAtOnce,
              new ThreadFactoryBuilder()
                  .setNameFormat("copyjob-listing-%d")
                  .setDaemon(true)
                  .build());
    }

    @StartBundle
    public void startBundle() {
      marks = null;
      listed = new ArrayBlockingQueue<>(LISTED_QUEUE);
      running = 0;
    }

    /**
     * Hands the batch to a listing thread, once one is free, and outputs what the listings have
     * given so far: the listings run at once, their files and failures and their counts reach Beam
     * from this thread (its output receivers and metrics are the bundle's), and the bundle finishes
     * only when every listing has.
     */
    @ProcessElement
    public void process(ProcessContext c, BoundedWindow window) throws InterruptedException {
      if (!GlobalWindow.INSTANCE.equals(window)) {
        throw new IllegalStateException(
            "partitions are listed in the global window, not " + window);
      }
      // Read once per bundle, not per partition: the direct runner builds the view's map anew on
      // every read, and each partition is an element of its own unless partitionsInFlight deals
      // them, so 2,000 partitions made 2,000 maps of 2,000 entries.
      if (marks == null) {
        marks = c.sideInput(watermarks);
      }
      while (running >= listingsAtOnce) {
        emit(listed.take(), c::output, r -> c.output(FAILURES, r));
      }
      Iterable<PartitionKey> batch = c.element().getValue();
      Map<String, Long> batchMarks = marks;
      BlockingQueue<Object> to = listed;
      listings.execute(() -> listBatch(batch, batchMarks, to));
      running++;
      for (Object item; (item = listed.poll()) != null; ) {
        emit(item, c::output, r -> c.output(FAILURES, r));
      }
    }

    /** On a listing thread: the batch's partitions in turn, then a {@link Listed} of its counts. */
    private void listBatch(
        Iterable<PartitionKey> batch, Map<String, Long> marks, BlockingQueue<Object> to) {
      ListCounts counts = new ListCounts();
      RuntimeException failed = null;
      try {
        for (PartitionKey partition : batch) {
          lease.check();
          DeltaWindow window =
              DeltaWindow.of(spec, marks.get(partition.id()), run.source(partition.root()));
          list(
              partition,
              window,
              run.removeLeftovers(),
              counts,
              file -> hand(to, file),
              failure -> hand(to, failure));
        }
      } catch (RuntimeException e) {
        failed = e;
      } finally {
        hand(to, new Listed(counts, failed));
      }
    }

    /** Hands one item to the bundle's thread, waiting while the queue is full. */
    private static void hand(BlockingQueue<Object> to, Object item) {
      try {
        to.put(item);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("listing interrupted", e);
      }
    }

    /** Outputs one item a listing gave, on the bundle's thread. */
    private void emit(Object item, Consumer<FileToCopy> files, Consumer<FileResult> failures) {
      if (item instanceof FileToCopy file) {
        files.accept(file);
      } else if (item instanceof FileResult failure) {
        failures.accept(failure);
      } else {
        Listed end = (Listed) item;
        running--;
        count(end.counts());
        if (end.failed() != null) {
          throw end.failed(); // the bundle fails, and the runner retries or fails the run
        }
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) throws InterruptedException {
      while (running > 0) {
        emit(
            listed.take(),
            f -> c.output(f, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE),
            r -> c.output(FAILURES, r, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
      }
      marks = null;
    }

    /**
     * Lists one partition's window: each file to copy to {@code files}, each failure (and an empty
     * listing) to {@code failures}, with the partition's progress as a batch run's listing keeps
     * it. A continuous run's rounds list through here, on their DoFn's thread.
     */
    void list(
        PartitionKey partition,
        DeltaWindow window,
        boolean removeLeftovers,
        Consumer<FileToCopy> files,
        Consumer<FileResult> failures) {
      ListCounts counts = new ListCounts();
      try {
        list(partition, window, removeLeftovers, counts, files, failures);
      } finally {
        count(counts);
      }
    }

    /** Adds a listing's counts to the metrics: on the DoFn's thread, whose metrics they are. */
    private void count(ListCounts counts) {
      partitionsListed.inc(counts.partitions);
      filesListed.inc(counts.files);
      bytesListed.inc(counts.bytes);
      leftoversRemoved.inc(counts.leftovers);
      filesFailed.inc(counts.failed);
      markersSkipped.inc(counts.markers);
      filesLater.inc(counts.later);
    }

    private void list(
        PartitionKey partition,
        DeltaWindow window,
        boolean removeLeftovers,
        ListCounts counts,
        Consumer<FileToCopy> files,
        Consumer<FileResult> failures) {
      ProgressMeter meter = progress.partition(partition);
      meter.advance(ProgressState.LISTING);
      long start = System.nanoTime();
      try {
        list(partition, window, removeLeftovers, meter, counts, files, failures);
      } finally {
        meter.listing(System.nanoTime() - start);
        // Listed: what is left of it is the copies of its files (and its record).
        meter.advance(ProgressState.COPYING);
      }
    }

    private void list(
        PartitionKey partition,
        DeltaWindow window,
        boolean removeLeftovers,
        ProgressMeter meter,
        ListCounts counts,
        Consumer<FileToCopy> files,
        Consumer<FileResult> failures) {
      try {
        if (removeLeftovers) {
          counts.leftovers += removeLeftovers(partition);
        }
      } catch (IOException | UncheckedIOException e) {
        failures.accept(
            FileResult.listingFailed(
                partition,
                "removing what the last run left in the sink for "
                    + describe(partition)
                    + " failed: "
                    + e.getMessage()));
        counts.partitions++;
        return;
      }
      Store sink = stores.get(spec.sink().root().toString());
      try (Listing listing =
              stores.get(partition.root()).list(partition.prefix(), spec.copy().recursive());
          SinkCursor atSink = sinkCursor(partition, window)) {
        if (!listing.hasNext()) {
          failures.accept(FileResult.listedEmpty(partition));
        }
        long later = 0;
        while (listing.hasNext()) {
          FileInfo file = listing.next();
          sayNotFiles(partition, listing, counts, failures);
          if (layout.ownedByLonger(partition, file.key())) {
            continue;
          }
          if (!window.contains(file.lastModified())) {
            if (window.end() != null && stampedLater(file.lastModified())) {
              if (later++ == 0) {
                LOG.warn(
                    "Partition '{}': {} is stamped {}, later than its listing: not copied by this"
                        + " run, but by a run after that time",
                    partition.prefix(),
                    file.key(),
                    file.lastModified());
              }
              counts.later++;
              failures.accept(
                  FileResult.stampedLater(partition, file.key(), file.size(), file.lastModified()));
            }
            continue;
          }
          counts.files++;
          counts.bytes += file.size();
          meter.listed(file.size());
          String sinkKey = KeyMapping.sinkKey(spec, partition, file.key());
          Optional<String> problem = sink.keyProblem(sinkKey);
          if (problem.isPresent()) {
            counts.failed++;
            failures.accept(FileResult.unwritable(partition, file.key(), sinkKey, problem.get()));
            continue;
          }
          SinkCursor.Lookup atSinkKey = atSink.find(sinkKey);
          files.accept(new FileToCopy(partition, file, atSinkKey.known(), atSinkKey.file()));
        }
        sayNotFiles(partition, listing, counts, failures);
        counts.markers += listing.markersSkipped();
      } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
        failures.accept(
            FileResult.listingFailed(
                partition, "listing " + describe(partition) + " failed: " + e.getMessage()));
      }
      counts.partitions++;
    }

    /**
     * Each entry the listing passed over, said as a result of the partition's: one that is no file,
     * or a file that fails (a name the store cannot open it by).
     */
    private void sayNotFiles(
        PartitionKey partition, Listing listing, ListCounts counts, Consumer<FileResult> failures) {
      for (Listing.Skipped skipped : listing.takeSkipped()) {
        if (layout.ownedByLonger(partition, skipped.key())) {
          continue;
        }
        // Every file that fails is logged; of the entries that are no file, the first.
        if (skipped.failure() || counts.notFiles++ == 0) {
          LOG.warn(
              "Partition '{}': {}: {}; not copied",
              partition.prefix(),
              skipped.key(),
              skipped.reason());
        }
        failures.accept(
            skipped.failure()
                ? new FileResult(
                    partition,
                    skipped.key(),
                    FileResult.Outcome.FAILED,
                    0,
                    skipped.key() + ": " + skipped.reason())
                : FileResult.notAFile(partition, skipped.key(), skipped.reason()));
      }
    }

    /**
     * Whether a file's stamp lies later than its listing by more than clocks drift apart: such a
     * file is past the delta window's end not because it changed while the run went, which the next
     * run copies, but because its writer's clock or a time kept from elsewhere is ahead; it is
     * copied only by a run after that time, and so it is said.
     */
    private static boolean stampedLater(Instant lastModified) {
      return lastModified.isAfter(Instant.now().plus(CLOCK_DRIFT));
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

    /** Removes the temporary files a killed run of this job left where the partition's land. */
    private long removeLeftovers(PartitionKey partition) throws IOException {
      String prefix = KeyMapping.sinkKey(spec, partition, partition.prefix());
      long removed =
          stores
              .get(spec.sink().root().toString())
              .removeLeftovers(prefix, new TempOwner(spec.name(), run.runId()));
      if (removed > 0) {
        LOG.info(
            "Removed {} temporary file(s) an earlier run of job '{}' left below {}{}",
            removed,
            spec.name(),
            spec.sink().root(),
            prefix);
      }
      return removed;
    }

    private static String describe(PartitionKey partition) {
      return URI.create(partition.root()) + partition.prefix();
    }

    @Teardown
    public void teardown() throws IOException {
      if (listings != null) {
        listings.shutdownNow();
      }
      if (progress != null) {
        progress.release();
      }
      if (lease != null) {
        lease.release();
      }
      if (stores != null) {
        stores.close();
      }
    }

    /** What listings counted, added to the metrics on the bundle's thread. */
    private static final class ListCounts {
      long partitions;
      long files;
      long bytes;
      long leftovers;
      long failed;
      long markers;
      long later;
      long notFiles;
    }

    /** A batch's listing ended: its counts, and what made it fail, if anything did. */
    private record Listed(ListCounts counts, RuntimeException failed) {}
  }
}
