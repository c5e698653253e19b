package io.copyjob.pipeline;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.control.ProgressState;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.TransferEvents;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;

/**
 * Copies each file to the sink, with {@code copy.transfersPerWorker} transfers in flight per DoFn
 * instance: one blocking copy per element would leave a worker idle on every request's latency.
 * Every file gives one {@link FileResult}; a bundle completes only when all its copies have.
 *
 * <p>{@link #withManifest()}: the bundle's results are also written to the run's manifest before
 * the bundle completes. Here rather than in a step of its own: on the direct runner every consumer
 * of the results costs a delivery of each result and, per bundle, an evaluator (which translates
 * its DoFn to a proto and back), and the copies give hundreds of small bundles; as its own step the
 * manifest made a 20,000-file run about 10% slower.
 */
public final class CopyFiles extends PTransform<PCollection<FileToCopy>, PCollection<FileResult>> {
  private final JobSpec spec;
  private final RunContext run;
  private final boolean manifest;

  public CopyFiles(JobSpec spec, RunContext run) {
    this(spec, run, false);
  }

  private CopyFiles(JobSpec spec, RunContext run, boolean manifest) {
    this.spec = spec;
    this.run = run;
    this.manifest = manifest;
  }

  /**
   * Also writes every file's result to the run's manifest ({@code copyjob_files}), before the
   * bundle that copied it completes: a bundle whose files cannot be written fails.
   */
  public CopyFiles withManifest() {
    return new CopyFiles(spec, run, true);
  }

  @Override
  public PCollection<FileResult> expand(PCollection<FileToCopy> files) {
    return files
        .apply("Copy and verify", ParDo.of(new CopyFn(spec, run, manifest)))
        .setCoder(SerializableCoder.of(FileResult.class));
  }

  static final class CopyFn extends DoFn<FileToCopy, FileResult> {
    private final JobSpec spec;
    private final RunContext run;
    private final boolean writeManifest;
    private final Counter filesCopied = CopyMetrics.counter(CopyMetrics.FILES_COPIED);
    private final Counter filesSkipped = CopyMetrics.counter(CopyMetrics.FILES_SKIPPED);
    private final Counter filesFailed = CopyMetrics.counter(CopyMetrics.FILES_FAILED);
    private final Counter bytesCopied = CopyMetrics.counter(CopyMetrics.BYTES_COPIED);
    private final Counter serverSide = CopyMetrics.counter(CopyMetrics.FILES_SERVER_SIDE);
    private transient StoreCache stores;
    private transient ExecutorService transfers;
    private transient Semaphore slots;
    private transient List<Future<?>> inFlight;
    private transient Queue<FileResult> done;
    private transient LeaseKeeper lease;
    private transient ProgressKeeper progress;
    private transient ManifestWriter manifest;

    CopyFn(JobSpec spec, RunContext run, boolean writeManifest) {
      this.spec = spec;
      this.run = run;
      this.writeManifest = writeManifest;
    }

    @Setup
    public void setup() {
      int transfersPerWorker = spec.copy().transfersPerWorker();
      stores = new StoreCache(spec, run);
      transfers =
          Executors.newFixedThreadPool(
              transfersPerWorker,
              new ThreadFactoryBuilder()
                  .setNameFormat("copyjob-transfer-%d")
                  .setDaemon(true)
                  .build());
      slots = new Semaphore(transfersPerWorker);
      lease = LeaseKeeper.hold(spec, run);
      progress = ProgressKeeper.hold(spec, run);
      if (writeManifest) {
        manifest = new ManifestWriter(spec, run, lease);
      }
    }

    @StartBundle
    public void startBundle() {
      inFlight = new ArrayList<>();
      done = new ConcurrentLinkedQueue<>();
    }

    @ProcessElement
    public void process(@Element FileToCopy item, OutputReceiver<FileResult> out)
        throws InterruptedException, SQLException {
      lease.check(); // a run that lost its lease copies nothing more
      ProgressMeter meter = progress.partition(item.partition());
      meter.advance(ProgressState.COPYING);
      long waiting = System.nanoTime();
      slots.acquire(); // bounds the queue: at most transfersPerWorker files are held at once
      meter.waited(System.nanoTime() - waiting);
      try {
        // Again: the wait for a slot may have outlasted the lease.
        lease.check();
        inFlight.add(transfers.submit(() -> copy(item, meter)));
      } catch (RuntimeException e) {
        slots.release();
        throw e;
      }
      for (FileResult result; (result = done.poll()) != null; ) {
        count(result);
        out.output(result);
      }
    }

    private void copy(FileToCopy item, ProgressMeter meter) {
      ProgressMeter worker = progress.worker();
      meter.transferStarted();
      worker.transferStarted();
      // The stores' throttling answers and rate-cap waits on this thread are this partition's.
      try (TransferEvents.Scope events = TransferEvents.on(meter)) {
        FileCopier copier =
            new FileCopier(
                stores.get(item.partition().root()), stores.get(spec.sink().root().toString()));
        String sinkKey = KeyMapping.sinkKey(spec, item.partition(), item.file().key());
        FileResult result = copier.copy(item, sinkKey, meter);
        switch (result.outcome()) {
          case COPIED -> meter.copied();
          case SKIPPED -> meter.skipped();
          case FAILED -> meter.failed();
        }
        done.add(
            (result.sinkKey() != null ? result : result.withFile(sinkKey, item.file().size(), null))
                .inRound(item.round()));
      } finally {
        meter.transferEnded();
        worker.transferEnded();
        slots.release();
      }
    }

    /**
     * Counts on the DoFn's thread (Beam's metrics container is per thread), and adds the result to
     * the manifest's batch.
     */
    private void count(FileResult result) throws SQLException {
      if (manifest != null) {
        manifest.add(result);
      }
      switch (result.outcome()) {
        case COPIED -> {
          filesCopied.inc();
          bytesCopied.inc(result.bytes());
          if (result.serverSide()) {
            serverSide.inc();
          }
        }
        case SKIPPED -> filesSkipped.inc();
        case FAILED -> filesFailed.inc();
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c)
        throws InterruptedException, ExecutionException, SQLException {
      for (Future<?> transfer : inFlight) {
        transfer.get(); // a copy that threw (rather than returning FAILED) fails the bundle
      }
      lease.check();
      List<FileResult> last = new ArrayList<>();
      for (FileResult result; (result = done.poll()) != null; ) {
        count(result);
        last.add(result);
      }
      // Before the last outputs, and before the bundle completes: its results reach the
      // partitions' records only through a grouping, which on every runner waits for the bundles
      // it groups to complete, so a partition is recorded only once its files are in the manifest.
      if (manifest != null) {
        manifest.flush();
      }
      for (FileResult result : last) {
        c.output(result, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE);
      }
      inFlight = null;
    }

    @Teardown
    public void teardown() throws IOException {
      if (progress != null) {
        progress.release();
      }
      if (lease != null) {
        lease.release();
      }
      if (transfers != null) {
        transfers.shutdownNow();
      }
      if (stores != null) {
        stores.close();
      }
    }
  }
}
