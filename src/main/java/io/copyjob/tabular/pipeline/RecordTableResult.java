package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.TableCounts;
import io.copyjob.control.WatermarkChange;
import io.copyjob.pipeline.CopyMetrics;
import io.copyjob.pipeline.LeaseKeeper;
import io.copyjob.pipeline.ProgressKeeper;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.FaultTolerance;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.DeadLetter;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.TableSinks;
import java.io.IOException;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per table, once all its pieces are done (joined with the table list, so a table with no file is
 * recorded too, and succeeds): applies the table's rejected-row limits, gathers its rejected rows
 * into the run's dead-letter file, and records in one control transaction its partition row and its
 * partition_runs row with rows read, written and rejected, bytes and duration. A table with a
 * failed piece fails with the first one's error; the others are not affected. Before that, the
 * sink's table-level step: a table that succeeded is committed ({@link TableSink#commit}: overwrite
 * swaps its staging table in), one that failed is aborted (its staging table dropped, the old rows
 * whole).
 */
public final class RecordTableResult
    extends PTransform<PCollection<PieceResult>, PCollection<PartitionResult>> {
  private static final Logger LOG = LoggerFactory.getLogger(RecordTableResult.class);
  private static final TupleTag<TableKey> TABLE = new TupleTag<>() {};
  private static final TupleTag<TableTally> TALLY = new TupleTag<>() {};

  private final JobSpec spec;
  private final RunContext run;
  private final long runNumber;
  private final PCollection<TableKey> tables;

  public RecordTableResult(
      JobSpec spec, RunContext run, long runNumber, PCollection<TableKey> tables) {
    this.spec = spec;
    this.run = run;
    this.runNumber = runNumber;
    this.tables = tables;
  }

  @Override
  public PCollection<PartitionResult> expand(PCollection<PieceResult> results) {
    PCollection<KV<String, TableTally>> tallies =
        results
            .apply("Sum per bundle", ParDo.of(new SumPerBundleFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(TableTally.class)));
    PCollection<KV<String, TableKey>> keyed =
        tables
            .apply(
                "Key tables",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(), TypeDescriptor.of(TableKey.class)))
                    .via(t -> KV.of(t.id(), t)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(TableKey.class)));
    return KeyedPCollectionTuple.of(TABLE, keyed)
        .and(TALLY, tallies)
        .apply("Join with tables", CoGroupByKey.create())
        .apply("Write table status", ParDo.of(new RecordFn(spec, run, runNumber)))
        .setCoder(SerializableCoder.of(PartitionResult.class));
  }

  /** The results of one bundle summed per table, output when the bundle finishes. */
  static final class SumPerBundleFn extends DoFn<PieceResult, KV<String, TableTally>> {
    private transient Map<String, TableTally> sums;

    @StartBundle
    public void startBundle() {
      sums = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element PieceResult result) {
      sums.merge(result.table(), TableTally.EMPTY.plus(result), TableTally::plus);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      sums.forEach(
          (id, tally) ->
              c.output(KV.of(id, tally), BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
      sums = null;
    }
  }

  static final class RecordFn extends DoFn<KV<String, CoGbkResult>, PartitionResult> {
    private final JobSpec spec;
    private final RunContext run;
    private final long runNumber;
    private final Counter recorded = CopyMetrics.counter(CopyMetrics.PARTITIONS_RECORDED);
    private transient LeaseKeeper lease;
    private transient ProgressKeeper progress;
    private transient StoreCache stores;
    private transient TableSink sink;

    RecordFn(JobSpec spec, RunContext run, long runNumber) {
      this.spec = spec;
      this.run = run;
      this.runNumber = runNumber;
    }

    @Setup
    public void setup() {
      lease = LeaseKeeper.hold(spec, run);
      progress = ProgressKeeper.hold(spec, run);
      stores = new StoreCache(spec, run);
      sink = TableSinks.of(spec);
    }

    @ProcessElement
    public void process(ProcessContext c) throws SQLException, IOException {
      Iterator<TableKey> keys = c.element().getValue().getAll(TABLE).iterator();
      if (!keys.hasNext()) {
        throw new IllegalStateException(
            "results for a table this run did not read: " + c.element().getKey());
      }
      TableKey table = keys.next();
      lease.check(); // a run that lost its lease records nothing more
      TableTally tally = TableTally.EMPTY;
      for (TableTally t : c.element().getValue().getAll(TALLY)) {
        tally = tally.plus(t);
      }
      try (ControlStore control = ControlStore.openExisting(spec.control())) {
        if (control.succeededInRun(run.runId(), table.partition())) {
          return; // recorded before a failover; RecordRun sums the rows, so nothing is lost
        }
        PartitionResult result = finish(table, tally);
        control.recordPartitionResult(run.runId(), spec.name(), run.runStart(), result);
        progress.partition(table.partition()).finished(result.succeeded());
        recorded.inc();
        c.output(result);
      }
    }

    /**
     * The table's result from its results summed, after the sink's last step for it (commit or
     * abort); a continuous run's rounds are recorded from it.
     */
    PartitionResult finish(TableKey table, TableTally tally) {
      return finishWrite(table, tally, result(table.partition(), tally));
    }

    /**
     * The sink's last step for the table: commit when it succeeded (a commit that fails fails the
     * table), abort when it failed.
     */
    private PartitionResult finishWrite(TableKey table, TableTally tally, PartitionResult result) {
      TableSpec tableSpec = spec.tabular().table(table.name());
      if (tableSpec == null) {
        return result;
      }
      if (result.firstError() != null) {
        try {
          sink.abort(tableSpec, run.runId());
        } catch (IOException e) {
          LOG.warn("{}; the next run drops it", e.getMessage());
        }
        return result;
      }
      try {
        sink.commit(tableSpec, run.runId());
        String outcome = sink.outcome(tableSpec);
        return outcome == null
            ? result
            : new PartitionResult(
                result.key(),
                result.filesCopied(),
                result.filesSkipped(),
                result.filesFailed(),
                result.bytesCopied(),
                null,
                null,
                null,
                join(result.warning(), outcome),
                result.table());
      } catch (IOException e) {
        return result(table.partition(), tally, e.getMessage(), null);
      }
    }

    private PartitionResult result(PartitionKey key, TableTally tally) {
      String error = tally.firstError();
      if (error != null && tally.failed() > 1) {
        error =
            tally.failed()
                + (spec.tabular().readsDatabase() ? " pieces" : " files")
                + " failed; first "
                + error;
      }
      String note = null;
      FaultTolerance faults = spec.tabular().faultTolerance();
      if (tally.rowsRejected() > 0) {
        String file;
        try {
          file =
              DeadLetter.gather(
                  stores.get(faults.deadLetter().toString()),
                  spec.name(),
                  key.prefix(),
                  run.runId(),
                  runNumber);
        } catch (IOException | RuntimeException e) {
          // The rows are in the pieces' parts still; the table fails so that this is seen.
          String parts =
              faults.deadLetter() + DeadLetter.partsPrefix(spec.name(), key.prefix(), run.runId());
          return result(
              key, tally, "its rejected rows stay in " + parts + ": " + e.getMessage(), null);
        }
        String kept =
            tally.rowsRejected()
                + " row(s) rejected, kept in "
                + (file == null
                    ? faults.deadLetter() + DeadLetter.fileKey(spec.name(), key.prefix(), runNumber)
                    : faults.deadLetter() + file);
        String limit = overLimit(tally, faults);
        if (error == null && limit != null) {
          error = kept + "; " + limit;
        } else {
          note = kept;
        }
      }
      if (error == null) {
        note = join(note, nullRowsNote(tally.watermark()));
      }
      return result(key, tally, error, error == null ? note : null);
    }

    /** What becomes of the rows whose watermark column is NULL, or null when there are none. */
    static String nullRowsNote(WatermarkChange w) {
      if (w == null || w.nullRows() == 0) {
        return null;
      }
      return w.nullRows()
          + " row(s) with NULL "
          + w.column()
          + (w.before() == null
              ? ": loaded by this full load; incremental runs will not see them"
              : ": not copied (an incremental run copies rows with a value above the watermark)");
    }

    private static String join(String a, String b) {
      return a == null ? b : b == null ? a : a + "; " + b;
    }

    private static PartitionResult result(
        PartitionKey key, TableTally tally, String error, String note) {
      WatermarkChange w = tally.watermark();
      if (w != null && (error != null || tally.failed() > 0)) {
        w = w.unchanged(); // a failed table's watermark stays: its next run reads the range again
      }
      return new PartitionResult(
          key,
          tally.loaded(),
          tally.skipped(),
          tally.failed(),
          tally.bytes(),
          error,
          null,
          null,
          note,
          new TableCounts(
              tally.rowsRead(),
              tally.rowsWritten(),
              tally.rowsRejected(),
              tally.durationMillis(),
              w));
    }

    /** Why the rejected rows fail the table, or null when they are within the limits. */
    private static String overLimit(TableTally tally, FaultTolerance faults) {
      if (faults.maxRejectedRows() >= 0 && tally.rowsRejected() > faults.maxRejectedRows()) {
        return "more than faultTolerance.maxRejectedRows " + faults.maxRejectedRows();
      }
      if (faults.maxRejectedPercent() >= 0 && tally.rowsRead() > 0) {
        double percent = 100.0 * tally.rowsRejected() / tally.rowsRead();
        if (percent > faults.maxRejectedPercent()) {
          return String.format(
              Locale.ROOT,
              "%.2f%% of the rows read, more than faultTolerance.maxRejectedPercent %s",
              percent,
              formatPercent(faults.maxRejectedPercent()));
        }
      }
      return null;
    }

    private static String formatPercent(double percent) {
      return percent == Math.rint(percent)
          ? Long.toString((long) percent)
          : Double.toString(percent);
    }

    @Teardown
    public void teardown() throws IOException {
      if (progress != null) {
        progress.release();
      }
      if (lease != null) {
        lease.release();
      }
      if (stores != null) {
        stores.close();
      }
      if (sink != null) {
        sink.close();
      }
    }
  }
}
