package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionQueries;
import io.copyjob.spec.JobSpec;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Reads the partitions this run copies from the control table (copyjob's own or an adopted one): in
 * full mode those not yet succeeded, in delta mode all of them.
 */
public final class ReadPartitions extends PTransform<PBegin, PCollection<PartitionKey>> {
  private final JobSpec spec;

  public ReadPartitions(JobSpec spec) {
    this.spec = spec;
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
    if (spec.partitionTable() == null) {
      return read; // copyjob's own table holds a partition once (its primary key)
    }
    // An adopted table may name one root twice (a bucket's name and its URI): each partition once.
    return read.apply(
            "One per partition",
            Distinct.withRepresentativeValueFn(PartitionKey::id)
                .withRepresentativeType(TypeDescriptors.strings()))
        .setCoder(SerializableCoder.of(PartitionKey.class));
  }
}
