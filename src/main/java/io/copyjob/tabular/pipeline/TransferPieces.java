package io.copyjob.tabular.pipeline;

import io.copyjob.control.ProgressState;
import io.copyjob.pipeline.CopyMetrics;
import io.copyjob.pipeline.LeaseKeeper;
import io.copyjob.pipeline.ProgressKeeper;
import io.copyjob.pipeline.ProgressMeter;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.TransferEvents;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.TableSinks;
import java.io.IOException;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Loads each piece in one DoFn call ({@link PieceTransfer}): read, map and write streamed, a
 * bounded batch in memory, committed with the piece's ledger entry. A piece's failure is its
 * result, not the bundle's: the other pieces go on.
 */
public final class TransferPieces extends PTransform<PCollection<Piece>, PCollection<PieceResult>> {
  private final JobSpec spec;
  private final RunContext run;
  private final long runNumber;

  public TransferPieces(JobSpec spec, RunContext run, long runNumber) {
    this.spec = spec;
    this.run = run;
    this.runNumber = runNumber;
  }

  @Override
  public PCollection<PieceResult> expand(PCollection<Piece> pieces) {
    return pieces
        .apply("Read, map and write", ParDo.of(new TransferFn(spec, run, runNumber)))
        .setCoder(SerializableCoder.of(PieceResult.class));
  }

  static final class TransferFn extends DoFn<Piece, PieceResult> {
    private final JobSpec spec;
    private final RunContext run;
    private final long runNumber;
    private final Counter loaded = CopyMetrics.counter(CopyMetrics.FILES_COPIED);
    private final Counter skipped = CopyMetrics.counter(CopyMetrics.FILES_SKIPPED);
    private final Counter failed = CopyMetrics.counter(CopyMetrics.FILES_FAILED);
    private final Counter bytes = CopyMetrics.counter(CopyMetrics.BYTES_COPIED);
    private final Counter rowsRead = CopyMetrics.counter(CopyMetrics.ROWS_READ);
    private final Counter rowsWritten = CopyMetrics.counter(CopyMetrics.ROWS_WRITTEN);
    private final Counter rowsRejected = CopyMetrics.counter(CopyMetrics.ROWS_REJECTED);
    private transient StoreCache stores;
    private transient TableSink sink;
    private transient LeaseKeeper lease;
    private transient PieceTransfer transfer;
    private transient ProgressKeeper progress;

    TransferFn(JobSpec spec, RunContext run, long runNumber) {
      this.spec = spec;
      this.run = run;
      this.runNumber = runNumber;
    }

    @Setup
    public void setup() {
      stores = new StoreCache(spec, run);
      sink = TableSinks.of(spec);
      lease = LeaseKeeper.hold(spec, run);
      progress = ProgressKeeper.hold(spec, run);
      transfer = new PieceTransfer(spec, run, runNumber, stores, sink);
    }

    @ProcessElement
    public void process(@Element Piece piece, OutputReceiver<PieceResult> out) {
      lease.check(); // a run that lost its lease writes nothing more
      ProgressMeter meter = progress.partition(piece.table().partition());
      meter.advance(ProgressState.COPYING);
      meter.transferStarted();
      progress.worker().transferStarted();
      PieceResult result;
      // The stores' throttling answers and rate-cap waits on this thread are this table's.
      try (TransferEvents.Scope events = TransferEvents.on(meter)) {
        result = transfer.load(piece, meter);
      } finally {
        meter.transferEnded();
        progress.worker().transferEnded();
      }
      switch (result.outcome()) {
          // A group of small files counts each of its files.
        case LOADED -> {
          loaded.inc(result.files());
          meter.copied(result.files());
        }
        case SKIPPED -> {
          skipped.inc(result.files());
          meter.skipped(result.files());
        }
        case FAILED -> {
          failed.inc(result.files());
          meter.failed(result.files());
        }
      }
      meter.bytes(result.bytes());
      bytes.inc(result.bytes());
      rowsRead.inc(result.rowsRead());
      rowsWritten.inc(result.rowsWritten());
      rowsRejected.inc(result.rowsRejected());
      out.output(result);
    }

    @Teardown
    public void teardown() throws IOException {
      if (progress != null) {
        progress.release();
      }
      if (stores != null) {
        stores.close();
      }
      if (sink != null) {
        sink.close();
      }
      if (lease != null) {
        lease.release();
      }
    }
  }
}
