package io.copyjob.pipeline;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.ProgressState;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.TransferEvents;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a run's progress on this worker to the control store's progress table, in batches: every
 * {@link #INTERVAL}, one transaction with a row per partition that changed or is still being worked
 * on (its heartbeat), and the worker's own row. One keeper per run and JVM, shared by the run's
 * DoFns by reference count, like {@link LeaseKeeper}.
 *
 * <p>Progress is advisory: a write that fails is logged once, and the next batch writes the figures
 * then current (nothing is queued up); a write never fails or holds back a transfer, whose counting
 * is adders only ({@link ProgressMeter}). Each batch is written on a fresh connection whose every
 * step is bounded, so a dropped or hung control connection costs one batch. A run that lost its
 * lease writes nothing more; once the run is recorded, the last batch is written and the keeper
 * stops.
 */
public final class ProgressKeeper {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressKeeper.class);

  /** How often a worker writes its batch. */
  public static final Duration INTERVAL = Duration.ofSeconds(2);

  /** The keepers of this JVM, by run id. */
  private static final Map<Long, ProgressKeeper> KEEPERS = new HashMap<>();

  private final JobSpec spec;
  private final long runId;
  private final long runStartMillis;
  private final String worker;
  private final LeaseKeeper lease;
  private final long unattributedAtStart = TransferEvents.unattributedThrottled();
  private final Map<PartitionKey, ProgressMeter> meters = new ConcurrentHashMap<>();
  private final ProgressMeter own;
  private final ScheduledExecutorService ticks;
  private final Map<PartitionKey, ProgressRecord> written = new HashMap<>();
  private int holders;

  /** The number of this worker's next point of the run's history. */
  private long batches;

  private boolean failing;
  private volatile boolean stopped;

  private ProgressKeeper(JobSpec spec, RunContext run) {
    this.spec = spec;
    this.runId = run.runId();
    this.runStartMillis = run.runStart().toEpochMilli();
    this.worker = workerName();
    this.lease = LeaseKeeper.hold(spec, run);
    this.own = new ProgressMeter(ProgressRecord.RUN, runStartMillis);
    this.ticks =
        Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder()
                .setNameFormat("copyjob-progress-%d")
                .setDaemon(true)
                .build());
    long period = INTERVAL.toMillis();
    ticks.scheduleWithFixedDelay(this::flush, period, period, TimeUnit.MILLISECONDS);
  }

  /** This JVM's keeper of the run's progress; each call must be matched by one {@link #release}. */
  public static synchronized ProgressKeeper hold(JobSpec spec, RunContext run) {
    ProgressKeeper keeper =
        KEEPERS.computeIfAbsent(run.runId(), id -> new ProgressKeeper(spec, run));
    keeper.holders++;
    return keeper;
  }

  /** Drops one hold; the last one writes the last batch (unless the lease was lost) and stops. */
  public void release() {
    synchronized (ProgressKeeper.class) {
      if (--holders > 0) {
        return;
      }
      KEEPERS.remove(runId, this);
    }
    ticks.shutdownNow();
    try {
      ticks.awaitTermination(INTERVAL.toMillis() * 2, TimeUnit.MILLISECONDS);
      flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stopped = true;
      lease.release();
    }
  }

  /**
   * Writes the run's figures on this JVM now, when its workers run here (the DirectRunner, Flink
   * {@code [local]}): the client then reads them complete.
   */
  public static void flushNow(long runId) {
    ProgressKeeper keeper;
    synchronized (ProgressKeeper.class) {
      keeper = KEEPERS.get(runId);
    }
    if (keeper != null) {
      keeper.flush();
    }
  }

  /** The partition's (table's) meter on this worker. */
  public ProgressMeter partition(PartitionKey key) {
    return meters.computeIfAbsent(key, k -> new ProgressMeter(k, runStartMillis));
  }

  /** This worker's own figures: its transfers in flight, whatever their partition. */
  public ProgressMeter worker() {
    return own;
  }

  /** Writes what changed since the last batch, and the heartbeats; never throws. */
  synchronized void flush() {
    if (stopped || lease.lost().isPresent()) {
      return; // a run that lost its lease writes nothing more
    }
    List<ProgressRecord> due = new ArrayList<>();
    ProgressRecord totals = ProgressRecord.queued(ProgressRecord.RUN);
    for (ProgressMeter meter : meters.values()) {
      ProgressState state = meter.state();
      ProgressRecord now = meter.snapshot(state, 0);
      totals = totals.plus(now, ProgressRecord.RUN);
      ProgressRecord before = written.get(meter.key());
      // Rows being worked on are written every time: their heartbeat says the worker lives.
      if (!now.equals(before) || !state.finished()) {
        due.add(now);
      }
    }
    ProgressRecord mine =
        own.snapshot(null, TransferEvents.unattributedThrottled() - unattributedAtStart);
    due.add(mine);
    totals = totals.plus(mine, ProgressRecord.RUN);
    try (ControlStore control = ControlStore.openForLease(spec.control(), INTERVAL)) {
      control.progress().write(runId, spec.name(), worker, due, batches, totals);
      batches++;
      due.forEach(row -> written.put(row.key(), row));
      if (failing) {
        LOG.info("Writing the progress of run {} works again", runId);
        failing = false;
      }
      if (control.run(runId).map(r -> r.status() != RunStatus.RUNNING).orElse(true)) {
        stopped = true; // recorded: the rows written now are its last
        ticks.shutdown();
      }
    } catch (SQLException | RuntimeException e) {
      if (!failing) {
        LOG.warn(
            "Writing the progress of run {} failed; the run goes on and the next batch tries"
                + " again: {}",
            runId,
            PipelineJob.oneLine(e));
        failing = true;
      }
    }
  }

  private static String workerName() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "unknown-host";
    }
    return host + ":" + ManagementFactory.getRuntimeMXBean().getPid() + ":" + UUID.randomUUID();
  }
}
