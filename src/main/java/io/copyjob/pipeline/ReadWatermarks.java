package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionQueries;
import io.copyjob.spec.JobSpec;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Reads each partition's last successful run time from the control table, as a side input keyed by
 * {@link PartitionKey#id()}, in epoch milliseconds (UTC).
 */
public final class ReadWatermarks extends PTransform<PBegin, PCollectionView<Map<String, Long>>> {
  private final JobSpec spec;

  public ReadWatermarks(JobSpec spec) {
    this.spec = spec;
  }

  @Override
  public PCollectionView<Map<String, Long>> expand(PBegin input) {
    PartitionQueries queries = PartitionQueries.of(spec);
    return input
        .apply(
            "Query last success times",
            JdbcIO.<KV<String, Long>>read()
                .withDataSourceConfiguration(ControlJdbc.dataSource(queries.connection()))
                .withQuery(queries.lastSuccessTimes(spec.mode()))
                .withStatementPreparator(queries::bind)
                .withRowMapper(
                    row -> KV.of(queries.key(row).id(), queries.lastSuccess(row).toEpochMilli()))
                .withCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
                .withOutputParallelization(false))
        .apply("As map", View.asMap());
  }
}
