package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionQueries;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads the partitions this run copies from the control table (copyjob's own or an adopted one): in
 * full mode those not yet succeeded, in delta mode all of them; less those this run has already
 * recorded as succeeded. Those are read again only when the runner executes the pipeline again
 * (Flink after a failover), and listing them again would list an empty window (their watermark is
 * now this run's start) and record zeros over their real counts.
 *
 * <p>The partitions are then dealt over {@link #BUCKETS} keys, which spreads their listing over the
 * workers: a key per partition (JdbcIO's own reshuffle) made a bundle of each partition on the
 * direct runner, and every bundle of every step after costs a few milliseconds there, which with
 * thousands of partitions was most of a run. On the direct runner they are dealt over as many keys
 * as it has threads: each key's partitions are one bundle there, which its lister lists several at
 * a time ({@link ListChangedFiles}), and with one thread (a batch copy's default) 32 keys listed
 * five partitions one by one.
 */
public final class ReadPartitions extends PTransform<PBegin, PCollection<PartitionKey>> {
  /**
   * The keys the partitions are dealt over: at most this many are listed at once (the direct runner
   * lists fewer still, one per thread), as the copies go on {@link FileCopyPipeline#COPY_BUCKETS}.
   */
  static final int BUCKETS = 32;

  /** The keys to deal the partitions over: on the direct runner one per thread it runs. */
  static int buckets(PipelineOptions options) {
    if (DirectRunner.class.equals(options.getRunner())) {
      return Math.max(1, Math.min(BUCKETS, options.as(DirectOptions.class).getTargetParallelism()));
    }
    return BUCKETS;
  }

  private final JobSpec spec;
  private final RunContext run;

  public ReadPartitions(JobSpec spec, RunContext run) {
    this.spec = spec;
    this.run = run;
  }

  @Override
  public PCollection<PartitionKey> expand(PBegin input) {
    PartitionQueries queries = PartitionQueries.of(spec);
    // An adopted table may name one root twice (a bucket's name and its URI): dealt by id, each
    // partition's rows meet in one bucket, which keeps one. Copyjob's own table holds a partition
    // once (its primary key): dealt in turn, the buckets stay even.
    boolean byId = spec.partitionTable() != null;
    int buckets = buckets(input.getPipeline().getOptions());
    return input
        .apply(
            "Query control table",
            JdbcIO.<PartitionKey>read()
                .withDataSourceConfiguration(ControlJdbc.dataSource(queries.connection()))
                .withQuery(queries.partitionsToCopy(spec.mode()))
                .withStatementPreparator(queries::bind)
                .withRowMapper(queries::key)
                .withCoder(SerializableCoder.of(PartitionKey.class))
                .withOutputParallelization(false))
        .apply("Skip those done in this run", ParDo.of(new SkipDoneFn(spec, run)))
        .setCoder(SerializableCoder.of(PartitionKey.class))
        .apply("Deal to buckets", ParDo.of(new DealFn(byId, buckets)))
        .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(PartitionKey.class)))
        .apply("Group by bucket", GroupByKey.create())
        .apply("One per partition", ParDo.of(new OncePerPartitionFn()))
        .setCoder(SerializableCoder.of(PartitionKey.class));
  }

  /** Keys each partition by its bucket: by its id, or in turn. */
  static final class DealFn extends DoFn<PartitionKey, KV<Integer, PartitionKey>> {
    private final boolean byId;
    private final int buckets;
    private transient int next;

    DealFn(boolean byId, int buckets) {
      this.byId = byId;
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(
        @Element PartitionKey partition, OutputReceiver<KV<Integer, PartitionKey>> out) {
      if (byId) {
        out.output(KV.of(Math.floorMod(partition.id().hashCode(), buckets), partition));
      } else {
        out.output(KV.of(next, partition));
        next = (next + 1) % buckets;
      }
    }
  }

  /** A bucket's partitions, each one once. */
  static final class OncePerPartitionFn
      extends DoFn<KV<Integer, Iterable<PartitionKey>>, PartitionKey> {
    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<PartitionKey>> bucket, OutputReceiver<PartitionKey> out) {
      Set<String> seen = new HashSet<>();
      for (PartitionKey partition : bucket.getValue()) {
        if (seen.add(partition.id())) {
          out.output(partition);
        }
      }
    }
  }

  /** Drops the partitions the run's rows show succeeded, read once per bundle. */
  public static final class SkipDoneFn extends DoFn<PartitionKey, PartitionKey> {
    private final JobSpec spec;
    private final RunContext run;
    private transient Set<String> done;

    public SkipDoneFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
    }

    @StartBundle
    public void startBundle() {
      done = null;
    }

    @ProcessElement
    public void process(@Element PartitionKey partition, OutputReceiver<PartitionKey> out)
        throws SQLException {
      if (done == null) {
        done = new HashSet<>();
        try (ControlStore control = ControlStore.openExisting(spec.control())) {
          for (PartitionRunRecord row : control.partitionRuns(run.runId())) {
            if (row.result().succeeded()) {
              done.add(row.result().key().id());
            }
          }
        }
      }
      if (!done.contains(partition.id())) {
        out.output(partition);
      }
    }
  }
}
