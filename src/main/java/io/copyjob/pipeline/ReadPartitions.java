package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionQueries;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Reads the partitions this run copies from the control table (copyjob's own or an adopted one): in
 * full mode those not yet succeeded, in delta mode all of them; less those this run has already
 * recorded as succeeded. Those are read again only when the runner executes the pipeline again
 * (Flink after a failover), and listing them again would list an empty window (their watermark is
 * now this run's start) and record zeros over their real counts.
 */
public final class ReadPartitions extends PTransform<PBegin, PCollection<PartitionKey>> {
  private final JobSpec spec;
  private final RunContext run;

  public ReadPartitions(JobSpec spec, RunContext run) {
    this.spec = spec;
    this.run = run;
  }

  @Override
  public PCollection<PartitionKey> expand(PBegin input) {
    PartitionQueries queries = PartitionQueries.of(spec);
    PCollection<PartitionKey> read =
        input.apply(
            "Query control table",
            JdbcIO.<PartitionKey>read()
                .withDataSourceConfiguration(ControlJdbc.dataSource(queries.connection()))
                .withQuery(queries.partitionsToCopy(spec.mode()))
                .withStatementPreparator(queries::bind)
                .withRowMapper(queries::key)
                .withCoder(SerializableCoder.of(PartitionKey.class)));
    if (spec.partitionTable() != null) {
      // An adopted table may name one root twice (a bucket's name and its URI): each partition
      // once.
      read =
          read.apply(
                  "One per partition",
                  Distinct.withRepresentativeValueFn(PartitionKey::id)
                      .withRepresentativeType(TypeDescriptors.strings()))
              .setCoder(SerializableCoder.of(PartitionKey.class));
    } // copyjob's own table holds a partition once (its primary key)
    return read.apply("Skip those done in this run", ParDo.of(new SkipDoneFn(spec, run)))
        .setCoder(SerializableCoder.of(PartitionKey.class));
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
