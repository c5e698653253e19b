package io.copyjob.pipeline;

import io.copyjob.control.ControlQueries;
import io.copyjob.control.PartitionKey;
import io.copyjob.spec.JobSpec;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads the partitions this run copies from the control table: in full mode those not yet
 * succeeded, in delta mode all of them.
 */
public final class ReadPartitions extends PTransform<PBegin, PCollection<PartitionKey>> {
  private final JobSpec spec;

  public ReadPartitions(JobSpec spec) {
    this.spec = spec;
  }

  @Override
  public PCollection<PartitionKey> expand(PBegin input) {
    String job = spec.name();
    return input.apply(
        "Query control table",
        JdbcIO.<PartitionKey>read()
            .withDataSourceConfiguration(ControlJdbc.dataSource(spec.control()))
            .withQuery(ControlQueries.partitionsToCopy(spec.mode()))
            .withStatementPreparator(statement -> statement.setString(1, job))
            .withRowMapper(row -> new PartitionKey(row.getString(1), row.getString(2)))
            .withCoder(SerializableCoder.of(PartitionKey.class)));
  }
}
