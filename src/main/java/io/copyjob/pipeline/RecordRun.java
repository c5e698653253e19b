package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.time.Instant;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Sums the partition results into the run's totals and writes the run's row: its end, totals and
 * status (failed when any partition failed, with the first one's error).
 */
public final class RecordRun
    extends PTransform<PCollection<PartitionResult>, PCollection<RunTotals>> {
  private final JobSpec spec;
  private final RunContext run;

  public RecordRun(JobSpec spec, RunContext run) {
    this.spec = spec;
    this.run = run;
  }

  @Override
  public PCollection<RunTotals> expand(PCollection<PartitionResult> results) {
    return results
        .apply("Sum run totals", Combine.globally(new SumFn()))
        .setCoder(SerializableCoder.of(Summary.class))
        .apply("Write run row", ParDo.of(new WriteFn(spec, run)))
        .setCoder(SerializableCoder.of(RunTotals.class));
  }

  /** The totals and the first failed partition's error (of the smallest partition id). */
  record Summary(RunTotals totals, String firstFailedId, String firstError)
      implements java.io.Serializable {
    static final Summary EMPTY = new Summary(RunTotals.ZERO, null, null);

    Summary plus(Summary o) {
      Summary sum = new Summary(totals.plus(o.totals), firstFailedId, firstError);
      if (o.firstFailedId != null
          && (firstFailedId == null || o.firstFailedId.compareTo(firstFailedId) < 0)) {
        return new Summary(sum.totals, o.firstFailedId, o.firstError);
      }
      return sum;
    }

    static Summary of(PartitionResult r) {
      RunTotals totals = RunTotals.ZERO.plus(r);
      if (r.succeeded()) {
        return new Summary(totals, null, null);
      }
      String error = "partition '" + r.key().prefix() + "': " + r.firstError();
      return new Summary(totals, r.key().id(), error);
    }
  }

  static final class SumFn extends Combine.CombineFn<PartitionResult, Summary, Summary> {
    @Override
    public Summary createAccumulator() {
      return Summary.EMPTY;
    }

    @Override
    public Summary addInput(Summary sum, PartitionResult result) {
      return sum.plus(Summary.of(result));
    }

    @Override
    public Summary mergeAccumulators(Iterable<Summary> sums) {
      Summary total = Summary.EMPTY;
      for (Summary s : sums) {
        total = total.plus(s);
      }
      return total;
    }

    @Override
    public Summary extractOutput(Summary sum) {
      return sum;
    }
  }

  static final class WriteFn extends DoFn<Summary, RunTotals> {
    private final JobSpec spec;
    private final RunContext run;

    WriteFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
    }

    @ProcessElement
    public void process(@Element Summary summary, OutputReceiver<RunTotals> out)
        throws SQLException {
      RunTotals totals = summary.totals();
      boolean ok = totals.partitionsFailed() == 0;
      String error =
          ok
              ? null
              : totals.partitionsFailed() + " partition(s) failed; first " + summary.firstError();
      try (ControlStore control = ControlStore.open(spec.control())) {
        control.finishRun(
            run.runId(), ok ? RunStatus.SUCCEEDED : RunStatus.FAILED, totals, Instant.now(), error);
      }
      out.output(totals);
    }
  }
}
