package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.pipeline.LeaseKeeper;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StartRounds;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each tick of a continuous tabular run into a round of each of its tables, as {@link
 * StartRounds} does for partitions of files: a table whose previous round has been recorded starts
 * one (a RUNNING row in the rounds table), the others get a SKIPPED round ({@link
 * ControlStore#startRound}), so rounds never overlap within a table. A round has no LastModified
 * window: it reads the table above the watermark the control store holds when it plans it, which
 * only a recorded round moves.
 *
 * <p>The round's number is the tick's place in the run, so a tick delivered again after a failover
 * is the same round; a tick that comes when the next one is already due is dropped.
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
    private static final Logger LOG = LoggerFactory.getLogger(StartFn.class);
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
    public void process(@Element Instant tick, OutputReceiver<TableRound> out) throws SQLException {
      lease.check();
      Duration interval = spec.delta().interval();
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      long round = StartRounds.roundOf(run.runStart(), tick, interval);
      Map<String, TableKey> byId = new HashMap<>();
      for (TableKey table : tables) {
        byId.put(table.id(), table);
      }
      if (!now.isBefore(tick.plus(interval))) {
        // A late tick starts nothing new, but one replayed after a failover runs its rounds in
        // flight again (the watermark they read above has not moved).
        List<RoundRecord> replayed;
        try (ControlStore control = ControlStore.openExisting(spec.control())) {
          replayed = control.runningRounds(run.runId(), round);
        }
        if (replayed.isEmpty()) {
          LOG.info(
              "Job '{}': round {} dropped, its tick came after the next one's time",
              spec.name(),
              round);
        }
        for (RoundRecord r : replayed) {
          out.output(new TableRound(round, byId.get(r.key().id())));
        }
        return;
      }
      List<RoundRecord> planned = new ArrayList<>();
      for (TableKey table : tables) {
        planned.add(
            RoundRecord.planned(
                run.runId(), round, table.partition(), RoundStatus.RUNNING, now, null, null, null));
      }
      List<RoundRecord> toRun;
      try (ControlStore control = ControlStore.openExisting(spec.control())) {
        toRun = control.startRound(run.runId(), spec.name(), round, planned);
      }
      for (RoundRecord r : toRun) {
        out.output(new TableRound(round, byId.get(r.key().id())));
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
