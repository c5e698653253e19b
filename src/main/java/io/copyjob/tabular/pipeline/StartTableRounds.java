package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.pipeline.LeaseKeeper;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StartRounds;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Turns each tick of a continuous tabular run into a round of each of its tables, as {@link
 * StartRounds} does for partitions of files: a table whose previous round has been recorded starts
 * one (a RUNNING row in the rounds table), the others get a SKIPPED round ({@link
 * ControlStore#startRound}), so rounds never overlap within a table. A round has no LastModified
 * window: it reads the table above the watermark the control store holds when it plans it, which
 * only a recorded round moves.
 *
 * <p>The round's number is the tick's place in the run, so a tick delivered again after a failover
 * is the same round; a late tick runs only the rounds still in flight ({@link
 * StartRounds#roundsToRun}).
 */
public final class StartTableRounds
    extends PTransform<PCollection<Instant>, PCollection<TableRound>> {
  private final JobSpec spec;
  private final RunContext run;
  private final List<TableKey> tables;

  public StartTableRounds(JobSpec spec, RunContext run, List<TableKey> tables) {
    this.spec = spec;
    this.run = run;
    this.tables = List.copyOf(tables);
  }

  @Override
  public PCollection<TableRound> expand(PCollection<Instant> ticks) {
    return ticks
        .apply("Start round", ParDo.of(new StartFn(spec, run, tables)))
        .setCoder(SerializableCoder.of(TableRound.class));
  }

  static final class StartFn extends DoFn<Instant, TableRound> {
    private final JobSpec spec;
    private final RunContext run;
    private final List<TableKey> tables;
    private transient LeaseKeeper lease;

    StartFn(JobSpec spec, RunContext run, List<TableKey> tables) {
      this.spec = spec;
      this.run = run;
      this.tables = tables;
    }

    @Setup
    public void setup() {
      lease = LeaseKeeper.hold(spec, run);
    }

    @ProcessElement
    public void process(@Element Instant tick, OutputReceiver<TableRound> out)
        throws SQLException, IOException {
      lease.check();
      Map<String, TableKey> byId = new HashMap<>();
      for (TableKey table : tables) {
        byId.put(table.id(), table);
      }
      for (RoundRecord r : StartRounds.roundsToRun(spec, run, tick, this::plan)) {
        out.output(new TableRound(r.round(), byId.get(r.key().id())));
      }
    }

    /** A RUNNING row for each table: a table's round has no window. */
    private List<RoundRecord> plan(ControlStore control, long round, Instant now) {
      List<RoundRecord> planned = new ArrayList<>();
      for (TableKey table : tables) {
        planned.add(
            RoundRecord.planned(
                run.runId(), round, table.partition(), RoundStatus.RUNNING, now, null, null, null));
      }
      return planned;
    }

    @Teardown
    public void teardown() {
      if (lease != null) {
        lease.release();
      }
    }
  }
}
