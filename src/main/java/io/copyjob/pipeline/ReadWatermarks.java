package io.copyjob.pipeline;

import io.copyjob.control.ControlQueries;
import io.copyjob.control.Dialect;
import io.copyjob.control.PartitionKey;
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
    String job = spec.name();
    Dialect dialect = Dialect.forUrl(spec.control().url());
    return input
        .apply(
            "Query last success times",
            JdbcIO.<KV<String, Long>>read()
                .withDataSourceConfiguration(ControlJdbc.dataSource(spec.control()))
                .withQuery(ControlQueries.lastSuccessTimes())
                .withStatementPreparator(statement -> statement.setString(1, job))
                .withRowMapper(
                    row ->
                        KV.of(
                            new PartitionKey(row.getString(1), row.getString(2)).id(),
                            dialect.getInstant(row, "last_success_time").toEpochMilli()))
                .withCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
                .withOutputParallelization(false))
        .apply("As map", View.asMap());
  }
}
