package io.copyjob.pipeline;

import io.copyjob.control.AdfPartitionTable;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.monitor.FailureLog;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
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
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins the file results with the partition list, so that a partition with no files is recorded too
 * (and succeeds), and records the partitions in the control store: each one's partition_runs row
 * and its status, a batch of partitions per transaction. A partition with any failed file, or a
 * failed listing, is recorded as failed with its first error. A partition that listed no file at
 * all while its last run had some succeeds with a warning (a source folder that is gone or not
 * mounted lists empty), logged and kept in its rows. In delta mode a partition that listed no file
 * at all succeeds but keeps its watermark, with a warning when it had one: the next run lists its
 * window from the same start, and the changes made in a folder that was not there are not lost.
 *
 * <p>The join groups on {@link #SHARDS} keys, each partition on the one of its id, not on a key per
 * partition: a grouping holds each of a shard's partitions and all their sums together, so a
 * partition is still recorded only once every result of it is in (exact on every runner), while the
 * runner's work per key (the direct runner's timers and bundles, a bundle per key, each costing a
 * few milliseconds) and the control store's per-transaction cost are paid per shard and batch, not
 * per partition.
 */
public final class RecordPartitionResult
    extends PTransform<PCollection<FileResult>, PCollection<PartitionResult>> {
  /** The keys of the join: with fewer partitions, fewer are used. */
  static final int SHARDS = 32;

  /** Partitions recorded per transaction. */
  static final int BATCH = 500;

  private static final TupleTag<PartitionKey> PARTITION = new TupleTag<>() {};
  private static final TupleTag<KV<String, PartitionTally>> TALLY = new TupleTag<>() {};

  private final JobSpec spec;
  private final RunContext run;
  private final PCollection<PartitionKey> partitions;
  private final PCollectionView<Map<String, Long>> watermarks;

  public RecordPartitionResult(
      JobSpec spec,
      RunContext run,
      PCollection<PartitionKey> partitions,
      PCollectionView<Map<String, Long>> watermarks) {
    this.spec = spec;
    this.run = run;
    this.partitions = partitions;
    this.watermarks = watermarks;
  }

  @Override
  public PCollection<PartitionResult> expand(PCollection<FileResult> results) {
    KvCoder<String, PartitionTally> tallyCoder =
        KvCoder.of(StringUtf8Coder.of(), RecordCoders.PartitionTallyCoder.of());
    // Summed per bundle first: a runner's grouping (the direct runner's above all, which copies a
    // key's whole bag for every bundle it adds to) then holds one tally per bundle and partition,
    // not one result per file, for a partition of millions of files.
    PCollection<KV<Integer, KV<String, PartitionTally>>> tallies =
        results
            .apply("Sum per bundle", ParDo.of(new SumPerBundleFn(run.failureLog())))
            .setCoder(tallyCoder)
            .apply(
                "Key tallies by shard",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.integers(),
                            TypeDescriptors.kvs(
                                TypeDescriptors.strings(),
                                TypeDescriptor.of(PartitionTally.class))))
                    .via(t -> KV.of(shard(t.getKey()), t)))
            .setCoder(KvCoder.of(VarIntCoder.of(), tallyCoder));
    PCollection<KV<Integer, PartitionKey>> keyed =
        partitions
            .apply(
                "Key partitions by shard",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.integers(), TypeDescriptor.of(PartitionKey.class)))
                    .via(p -> KV.of(shard(p.id()), p)))
            .setCoder(KvCoder.of(VarIntCoder.of(), RecordCoders.PartitionKeyCoder.of()));
    return KeyedPCollectionTuple.of(PARTITION, keyed)
        .and(TALLY, tallies)
        .apply("Join with partitions", CoGroupByKey.create())
        .apply(
            "Write partition status",
            ParDo.of(new RecordFn(spec, run, watermarks)).withSideInputs(watermarks))
        .setCoder(SerializableCoder.of(PartitionResult.class));
  }

  /** The join key of a partition, by its id: the same on every worker (String's hash is fixed). */
  static int shard(String partitionId) {
    return Math.floorMod(partitionId.hashCode(), SHARDS);
  }

  /** Two warnings of one partition as one, either or both null. */
  static String join(String a, String b) {
    return a == null ? b : b == null ? a : a + "; " + b;
  }

  /**
   * The results of one bundle summed per partition, output when the bundle finishes; each failure
   * appended to the run's failure log, if any.
   */
  static final class SumPerBundleFn extends DoFn<FileResult, KV<String, PartitionTally>> {
    private final String failureLog;
    private transient Map<String, PartitionTally> sums;

    SumPerBundleFn(String failureLog) {
      this.failureLog = failureLog;
    }

    @StartBundle
    public void startBundle() {
      sums = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element FileResult result) throws IOException {
      if (failureLog != null && result.outcome() == FileResult.Outcome.FAILED) {
        logFailure(result);
      }
      sums.merge(result.tallyKey(), PartitionTally.EMPTY.plus(result), PartitionTally::plus);
    }

    /**
     * The file's whole path, then its reason (which begins with the file's key: not repeated); a
     * failed listing by its partition.
     */
    private void logFailure(FileResult result) throws IOException {
      PartitionKey partition = result.partition();
      String reason = result.error() == null ? "failed" : result.error();
      String what;
      if (result.key() == null) {
        what = "partition '" + partition.prefix() + "' of " + partition.root();
      } else {
        what = partition.root() + (partition.root().endsWith("/") ? "" : "/") + result.key();
        if (reason.startsWith(result.key() + ": ")) {
          reason = reason.substring(result.key().length() + 2);
        }
      }
      FailureLog.append(Path.of(failureLog), what, reason);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      sums.forEach(
          (id, tally) ->
              c.output(KV.of(id, tally), BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
      sums = null;
    }
  }

  static final class RecordFn extends DoFn<KV<Integer, CoGbkResult>, PartitionResult> {
    private static final Logger LOG = LoggerFactory.getLogger(RecordFn.class);
    private final JobSpec spec;
    private final RunContext run;
    private final PCollectionView<Map<String, Long>> watermarks;
    private final Counter recorded = CopyMetrics.counter(CopyMetrics.PARTITIONS_RECORDED);
    private transient AdfPartitionTable adfTable;
    private transient LeaseKeeper lease;
    private transient ProgressKeeper progress;

    RecordFn(JobSpec spec, RunContext run, PCollectionView<Map<String, Long>> watermarks) {
      this.spec = spec;
      this.run = run;
      this.watermarks = watermarks;
    }

    @Setup
    public void setup() {
      if (spec.partitionTable() != null) {
        adfTable = new AdfPartitionTable(spec.partitionTable(), spec.source().root().toString());
      }
      lease = LeaseKeeper.hold(spec, run);
      progress = ProgressKeeper.hold(spec, run);
    }

    @ProcessElement
    public void process(ProcessContext c) throws SQLException {
      CoGbkResult joined = c.element().getValue();
      Map<String, PartitionKey> keys = new LinkedHashMap<>();
      for (PartitionKey key : joined.getAll(PARTITION)) {
        keys.putIfAbsent(key.id(), key);
      }
      Map<String, PartitionTally> tallies = new HashMap<>();
      for (KV<String, PartitionTally> t : joined.getAll(TALLY)) {
        if (!keys.containsKey(t.getKey())) {
          throw new IllegalStateException(
              "results for a partition this run did not read: " + t.getKey());
        }
        tallies.merge(t.getKey(), t.getValue(), PartitionTally::plus);
      }
      lease.check(); // a run that lost its lease records nothing more
      // A connection per element, closed after: one held open across the run dies with an idle
      // timeout (cloud gateways close idle connections) and fails the partitions after it.
      Map<String, Long> marks = c.sideInput(watermarks); // once: each read rebuilds the map
      try (ControlStore control = ControlStore.openExisting(spec.control())) {
        List<PartitionResult> batch = new ArrayList<>();
        for (PartitionKey key : keys.values()) {
          if (control.succeededInRun(run.runId(), key)) {
            continue; // recorded before a failover; RecordRun sums the rows, so nothing is lost
          }
          batch.add(
              result(key, marks, tallies.getOrDefault(key.id(), PartitionTally.EMPTY), control));
          if (batch.size() == BATCH) {
            record(c, batch, control);
            batch.clear();
          }
        }
        if (!batch.isEmpty()) {
          record(c, batch, control);
        }
      }
    }

    private PartitionResult result(
        PartitionKey key, Map<String, Long> marks, PartitionTally tally, ControlStore control)
        throws SQLException {
      Long watermark = marks.get(key.id());
      DeltaWindow window = DeltaWindow.of(spec, watermark, run.source(key.root()));
      boolean empty = tally.listedEmpty() && tally.firstError() == null;
      PartitionResult result =
          new PartitionResult(
              key,
              tally.copied(),
              tally.skipped(),
              tally.failed(),
              tally.bytes(),
              tally.firstError(),
              window.start(),
              window.end(),
              join(
                  empty && spec.mode() == JobSpec.Mode.FULL ? emptyWarning(key, control) : null,
                  leftWarning(key, tally)));
      if (empty && spec.mode() != JobSpec.Mode.FULL) {
        // A folder gone or not mounted lists empty: a window moved past it would never list the
        // changes made there meanwhile. An empty window costs nothing to list again.
        return result.keepingWatermark(
            watermark == null ? emptyWarning(key, control) : keptWarning(key, watermark));
      }
      return result;
    }

    private void record(ProcessContext c, List<PartitionResult> batch, ControlStore control)
        throws SQLException {
      lease.check();
      if (adfTable != null) {
        // The adopted table first: it decides what the next run copies. A retried bundle writes
        // both again, which each makes idempotent. Its JobRunTime is where the next window starts.
        try (Connection adfConnection = adfTable.connect()) {
          for (PartitionResult result : batch) {
            Instant runTime = result.windowEnd() != null ? result.windowEnd() : run.runStart();
            adfTable.record(adfConnection, result, runTime, spec.mode());
          }
        }
      }
      control.recordPartitionResults(run.runId(), spec.name(), run.runStart(), batch);
      for (PartitionResult result : batch) {
        progress.partition(result.key()).finished(result.succeeded());
        recorded.inc();
        c.output(result);
      }
    }

    /** A warning when the partition's last run had files: null when it had none. */
    private String emptyWarning(PartitionKey key, ControlStore control) throws SQLException {
      long before = control.filesOfLastRun(spec.name(), key, run.runId());
      if (before <= 0) {
        return null;
      }
      return warn(
          key,
          "listed no file under "
              + where(key)
              + " while its last run had "
              + before
              + "; is the source folder there and mounted?");
    }

    /** The warning of a delta partition that listed empty and keeps its watermark. */
    private String keptWarning(PartitionKey key, long watermark) {
      return warn(
          key,
          "listed no file under "
              + where(key)
              + "; its delta watermark stays at "
              + Instant.ofEpochMilli(watermark)
              + " until it lists a file again: is the source folder there and mounted?");
    }

    /**
     * A warning of the entries listed but not copied (see {@link PartitionTally#left}), or null.
     */
    private static String leftWarning(PartitionKey key, PartitionTally tally) {
      String warning = tally.leftWarning();
      return warning == null ? null : warn(key, warning);
    }

    private static String where(PartitionKey key) {
      return java.net.URI.create(key.root()) + key.prefix();
    }

    private static String warn(PartitionKey key, String warning) {
      LOG.warn("Partition '{}': {}", key.prefix(), warning);
      return warning;
    }

    @Teardown
    public void teardown() {
      if (progress != null) {
        progress.release();
      }
      if (lease != null) {
        lease.release();
      }
    }
  }
}
