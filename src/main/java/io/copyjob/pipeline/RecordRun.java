package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.time.Instant;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Once every partition (a tabular job's: every table) is recorded, writes the run's row: its end,
 * totals and status (failed when any partition failed, with the first one's error), then releases
 * the job's lease.
 *
 * <p>The totals are summed from the run's partition rows, not from the elements: after a failover
 * the partitions this run already recorded are not read again (see {@link ReadPartitions}), yet
 * they count.
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
        .apply("Wait for all partitions", Count.globally())
        .apply("Write run row", ParDo.of(new WriteFn(spec, run)))
        .setCoder(SerializableCoder.of(RunTotals.class));
  }

  static final class WriteFn extends DoFn<Long, RunTotals> {
    private final JobSpec spec;
    private final RunContext run;
    private transient LeaseKeeper lease;

    WriteFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
    }

    @Setup
    public void setup() {
      lease = LeaseKeeper.hold(spec, run);
    }

    @ProcessElement
    public void process(OutputReceiver<RunTotals> out) throws SQLException {
      lease.check();
      String noun = spec.isTabular() ? "table" : "partition";
      try (ControlStore control = ControlStore.openExisting(spec.control())) {
        RunTotals totals = RunTotals.ZERO;
        String firstError = null;
        for (PartitionRunRecord row : control.partitionRuns(run.runId())) {
          PartitionResult r = row.result();
          totals = totals.plus(r);
          if (!r.succeeded() && firstError == null) {
            firstError = noun + " '" + r.key().prefix() + "': " + r.firstError();
          }
        }
        boolean ok = totals.partitionsFailed() == 0;
        String error =
            ok ? null : totals.partitionsFailed() + " " + noun + "(s) failed; first " + firstError;
        control.finishRun(
            run.runId(), ok ? RunStatus.SUCCEEDED : RunStatus.FAILED, totals, Instant.now(), error);
        // Released here as well as by the client: a Flink job whose client died ends its lease.
        lease.ended();
        control.releaseLease(spec.name(), run.leaseOwner());
        out.output(totals);
      }
    }

    @Teardown
    public void teardown() {
      if (lease != null) {
        lease.release();
      }
    }
  }
}
