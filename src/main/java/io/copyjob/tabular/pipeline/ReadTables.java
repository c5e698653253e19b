package io.copyjob.tabular.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.pipeline.ReadPartitions;
import io.copyjob.pipeline.RunContext;
import io.copyjob.spec.JobSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * The tables this run loads, as the run chose them before it started (every table of the job, or
 * with {@code --only-failed} those not loaded by their last run), less those this run has already
 * recorded as succeeded: those are met again only when the runner executes the pipeline a second
 * time (a Flink failover), and loading them again would record zeros over their counts.
 */
public final class ReadTables extends PTransform<PBegin, PCollection<TableKey>> {
  private final JobSpec spec;
  private final RunContext run;
  private final List<TableKey> tables;

  public ReadTables(JobSpec spec, RunContext run, List<TableKey> tables) {
    this.spec = spec;
    this.run = run;
    this.tables = List.copyOf(tables);
  }

  @Override
  public PCollection<TableKey> expand(PBegin input) {
    List<PartitionKey> keys = new ArrayList<>();
    HashMap<String, TableKey> byId = new HashMap<>();
    for (TableKey table : tables) {
      keys.add(table.partition());
      byId.put(table.id(), table);
    }
    Map<String, TableKey> tableOf = byId;
    return input
        .apply(
            "Tables of the run",
            Create.of(keys).withCoder(SerializableCoder.of(PartitionKey.class)))
        .apply("Skip those done in this run", ParDo.of(new ReadPartitions.SkipDoneFn(spec, run)))
        .setCoder(SerializableCoder.of(PartitionKey.class))
        .apply(
            "As tables",
            MapElements.into(TypeDescriptor.of(TableKey.class)).via(p -> tableOf.get(p.id())))
        .setCoder(SerializableCoder.of(TableKey.class));
  }
}
