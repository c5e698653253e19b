package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each tick of a continuous run into a round: reads the job's partitions and watermarks from
 * the control store afresh (a side input read once would go stale, and a slowly changing one lags
 * behind a round's records), reads each source store's clock, and starts the round of each
 * partition whose previous round has been recorded, with its window {@code [watermark - overlap,
 * store's time now)} as a delta run's. The others get a SKIPPED round ({@link
 * ControlStore#startRound}).
 *
 * <p>The round's number is the tick's place in the run (1 at the run's start, one more per
 * interval), so a tick delivered again after a runner's failover is the same round. A tick that
 * comes when the next one is already due (a runner that started late, or a worker that fell behind)
 * is dropped unrecorded: the next tick, right behind it, lists the same window and more; unless its
 * round is in flight (a tick replayed after a failover), which then runs again.
 */
public final class StartRounds
    extends PTransform<PCollection<Instant>, PCollection<RoundPartition>> {
  private static final Logger LOG = LoggerFactory.getLogger(StartRounds.class);
  private final JobSpec spec;
  private final RunContext run;

  public StartRounds(JobSpec spec, RunContext run) {
    this.spec = spec;
    this.run = run;
  }

  @Override
  public PCollection<RoundPartition> expand(PCollection<Instant> ticks) {
    return ticks
        .apply("Start round", ParDo.of(new StartRoundFn(spec, run)))
        .setCoder(SerializableCoder.of(RoundPartition.class));
  }

  /** The round number of {@code tick} in a run that started at {@code runStart}. */
  public static long roundOf(Instant runStart, Instant tick, Duration interval) {
    return 1
        + Math.max(
            0, Math.floorDiv(Duration.between(runStart, tick).toMillis(), interval.toMillis()));
  }

  /**
   * The key a partition's (or table's) results are gathered under in round {@code round}: its id
   * alone in a batch run (round 0), else the round's number, a slash and the id. After a runner's
   * failover, results of a round recorded before the failure may come again (outputs a checkpoint
   * held) while the partition's next round runs: each round's are gathered apart.
   */
  public static String resultKey(String id, long round) {
    return round == 0 ? id : round + "/" + id;
  }

  /** Plans a tick's round in time: a RUNNING row for each partition (table) it may run. */
  @FunctionalInterface
  public interface RoundPlan {
    List<RoundRecord> plan(ControlStore control, long round, Instant now)
        throws SQLException, IOException;
  }

  /**
   * The rounds a tick runs, for the file half and the tabular half alike. A tick in time starts its
   * round: the rows {@code plan} makes, less those whose previous round is still running, which
   * {@link ControlStore#startRound} records SKIPPED. A late tick (the next one is already due)
   * starts nothing new, but one replayed after a failover (a lost TaskManager: the ticks since the
   * last checkpoint come again at once) runs its rounds still in flight again.
   */
  public static List<RoundRecord> roundsToRun(
      JobSpec spec, RunContext run, Instant tick, RoundPlan plan) throws SQLException, IOException {
    Duration interval = spec.delta().interval();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    long round = roundOf(run.runStart(), tick, interval);
    try (ControlStore control = ControlStore.openExisting(spec.control())) {
      if (now.isBefore(tick.plus(interval))) {
        return control.startRound(run.runId(), spec.name(), round, plan.plan(control, round, now));
      }
      List<RoundRecord> replayed = control.runningRounds(run.runId(), round);
      if (replayed.isEmpty()) {
        LOG.info(
            "Job '{}': round {} dropped, its tick came after the next one's time",
            spec.name(),
            round);
      }
      for (RoundRecord r : replayed) {
        LOG.info("Job '{}': round {} of '{}' run again", spec.name(), round, r.key().prefix());
      }
      return replayed;
    }
  }

  static final class StartRoundFn extends DoFn<Instant, RoundPartition> {
    private final JobSpec spec;
    private final RunContext run;
    private transient StoreCache stores;
    private transient LeaseKeeper lease;

    StartRoundFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
    }

    @Setup
    public void setup() {
      stores = new StoreCache(spec, run);
      lease = LeaseKeeper.hold(spec, run);
    }

    @ProcessElement
    public void process(@Element Instant tick, OutputReceiver<RoundPartition> out)
        throws SQLException, IOException {
      lease.check();
      for (RoundRecord r : roundsToRun(spec, run, tick, this::plan)) {
        out.output(
            new RoundPartition(
                r.round(), r.key(), new DeltaWindow(r.windowStart(), r.windowEnd())));
      }
    }

    /** Each partition's window of this round, its end read from its source store's clock. */
    private List<RoundRecord> plan(ControlStore control, long round, Instant now)
        throws SQLException, IOException {
      Partitions.Selection selection = Partitions.select(control, spec);
      Set<String> roots = new LinkedHashSet<>();
      for (PartitionKey partition : selection.partitions()) {
        roots.add(partition.root());
      }
      Map<String, SourceTime> clocks;
      try {
        clocks = stores.sourceTimes(roots, now);
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      List<RoundRecord> planned = new ArrayList<>();
      for (PartitionKey partition : selection.partitions()) {
        Instant last = selection.lastSuccess().get(partition.id());
        DeltaWindow window =
            DeltaWindow.of(
                spec, last == null ? null : last.toEpochMilli(), clocks.get(partition.root()));
        planned.add(
            RoundRecord.planned(
                run.runId(),
                round,
                partition,
                RoundStatus.RUNNING,
                now,
                window.start(),
                window.end(),
                null));
      }
      return planned;
    }

    @Teardown
    public void teardown() throws IOException {
      if (lease != null) {
        lease.release();
      }
      if (stores != null) {
        stores.close();
      }
    }
  }
}
