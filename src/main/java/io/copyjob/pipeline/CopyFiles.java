package io.copyjob.pipeline;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.control.ProgressState;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.TransferEvents;
import java.io.IOException;
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
 */
public final class CopyFiles extends PTransform<PCollection<FileToCopy>, PCollection<FileResult>> {
  private final JobSpec spec;
  private final RunContext run;

  public CopyFiles(JobSpec spec, RunContext run) {
    this.spec = spec;
    this.run = run;
  }

  @Override
  public PCollection<FileResult> expand(PCollection<FileToCopy> files) {
    return files
        .apply("Copy and verify", ParDo.of(new CopyFn(spec, run)))
        .setCoder(SerializableCoder.of(FileResult.class));
  }

  static final class CopyFn extends DoFn<FileToCopy, FileResult> {
    private final JobSpec spec;
    private final RunContext run;
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

    CopyFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
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
    }

    @StartBundle
    public void startBundle() {
      inFlight = new ArrayList<>();
      done = new ConcurrentLinkedQueue<>();
    }

    @ProcessElement
    public void process(@Element FileToCopy item, OutputReceiver<FileResult> out)
        throws InterruptedException {
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
            result.sinkKey() != null ? result : result.withFile(sinkKey, item.file().size(), null));
      } finally {
        meter.transferEnded();
        worker.transferEnded();
        slots.release();
      }
    }

    /** Counts on the DoFn's thread: Beam's metrics container is per thread. */
    private void count(FileResult result) {
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
        throws InterruptedException, ExecutionException {
      for (Future<?> transfer : inFlight) {
        transfer.get(); // a copy that threw (rather than returning FAILED) fails the bundle
      }
      lease.check();
      for (FileResult result; (result = done.poll()) != null; ) {
        count(result);
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
