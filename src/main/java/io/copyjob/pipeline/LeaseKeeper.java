package io.copyjob.pipeline;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.LeaseLostException;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.Units;
import io.copyjob.spec.Durations;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a run's lease alive, and notes its run alive, from every JVM where the run's code runs: the
 * client, and each worker while the run's DoFns live (one keeper per owner and JVM, shared by
 * reference count). So a Flink job whose client died still holds its lease, and a dead worker stops
 * holding it.
 *
 * <p>It renews every quarter of the lease's life, each time on a fresh connection whose connect,
 * socket reads and statements are bounded by that quarter, so an idle-closed or hung connection
 * costs one renewal, never all of them. The lease is <em>lost</em> when a renewal finds it no
 * longer this owner's (taken after it expired, or released while the run still runs), or when no
 * renewal succeeded for the lease's whole life; from then on {@link #check()} throws, so the run's
 * bundles fail rather than copy on, and the client cancels the pipeline.
 */
public final class LeaseKeeper {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

  /** The keepers of this JVM, by lease owner. */
  private static final Map<String, LeaseKeeper> KEEPERS = new HashMap<>();

  private final JobSpec.ControlSpec control;
  private final String job;
  private final String owner;
  private final Duration ttl;
  private final ScheduledExecutorService ticks;
  private final ExecutorService renewals;
  private int holders;
  private volatile Long runId;
  private volatile long lastRenewedNanos = System.nanoTime();
  private volatile String lostReason;
  private volatile boolean ended;

  private LeaseKeeper(JobSpec.ControlSpec control, String job, String owner, Duration ttl) {
    this.control = control;
    this.job = job;
    this.owner = owner;
    this.ttl = ttl;
    this.ticks =
        Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder().setNameFormat("copyjob-lease").setDaemon(true).build());
    this.renewals =
        Executors.newCachedThreadPool(
            new ThreadFactoryBuilder()
                .setNameFormat("copyjob-lease-renew")
                .setDaemon(true)
                .build());
    long period = period().toMillis();
    ticks.scheduleWithFixedDelay(this::renewOnce, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * This JVM's keeper of the owner's lease, started on first use; each call must be matched by one
   * {@link #release()}.
   *
   * @param runId the run whose heartbeat to write, or null until it has one ({@link #runStarted})
   */
  public static synchronized LeaseKeeper hold(
      JobSpec.ControlSpec control, String job, String owner, Duration ttl, Long runId) {
    LeaseKeeper keeper = KEEPERS.computeIfAbsent(owner, o -> new LeaseKeeper(control, job, o, ttl));
    keeper.holders++;
    if (runId != null) {
      keeper.runId = runId;
    }
    return keeper;
  }

  /** The keeper of a running run's lease, from a DoFn's {@code @Setup}. */
  public static LeaseKeeper hold(JobSpec spec, RunContext run) {
    return hold(spec.control(), spec.name(), run.leaseOwner(), run.leaseTtl(), run.runId());
  }

  /** Drops one hold; the last one stops the renewals (the lease itself is left to expire). */
  public void release() {
    synchronized (LeaseKeeper.class) {
      if (--holders > 0) {
        return;
      }
      KEEPERS.remove(owner, this);
    }
    ticks.shutdownNow();
    renewals.shutdownNow();
  }

  /** From now on each renewal also notes this run alive. */
  public void runStarted(long id) {
    this.runId = id;
  }

  /** The run was recorded and its lease released: renewals stop, and the lease is not lost. */
  public void ended() {
    ended = true;
  }

  /** Why the lease was lost, or empty while it is held. */
  public Optional<String> lost() {
    return Optional.ofNullable(lostReason);
  }

  /**
   * Throws when the lease was lost: called before a DoFn copies or records, so that a run whose
   * lease another run may now hold stops.
   */
  public void check() {
    String reason = lostReason;
    if (reason != null) {
      throw new LeaseLostException(reason);
    }
  }

  Duration period() {
    return ttl.dividedBy(4);
  }

  private void renewOnce() {
    if (ended || lostReason != null) {
      return;
    }
    Future<Boolean> renewal = renewals.submit(this::renew);
    String failure;
    try {
      // A hung driver ignoring its timeouts must not hold the next renewals back.
      if (renewal.get(period().toMillis(), TimeUnit.MILLISECONDS)) {
        lastRenewedNanos = System.nanoTime();
      }
      return;
    } catch (TimeoutException e) {
      renewal.cancel(true);
      failure = "no answer within " + Durations.format(period());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (java.util.concurrent.ExecutionException e) {
      failure = FileCopyJob.oneLine(e.getCause());
    }
    Duration since = Duration.ofNanos(System.nanoTime() - lastRenewedNanos);
    if (since.compareTo(ttl) >= 0) {
      lose(
          "job '"
              + job
              + "' lost its lease: it could not be renewed for "
              + Units.duration(since)
              + " (last error: "
              + failure
              + ")");
    } else {
      LOG.warn("Renewing the lease of job '{}' failed; retrying: {}", job, failure);
    }
  }

  /** One renewal; true when renewed, false when the lease was lost or the run has ended. */
  private boolean renew() throws SQLException {
    try (ControlStore store = ControlStore.openForLease(control, period())) {
      Long id = runId;
      if (store.renewLease(job, owner, id, ttl)) {
        return true;
      }
      Optional<RunRecord> run = id == null ? Optional.empty() : store.run(id);
      if (run.isPresent() && run.get().status() != RunStatus.RUNNING) {
        ended = true; // recorded elsewhere (by RecordRun, or the client), which released the lease
        return false;
      }
      Optional<Lease> lease = store.lease(job);
      String why =
          lease.isEmpty() || lease.get().owner().equals(owner)
              ? "it expired before it could be renewed, or was released"
              : "it is now held by " + RunLease.holder(store, lease.get());
      lose("job '" + job + "' lost its lease: " + why);
      return false;
    }
  }

  private void lose(String reason) {
    if (!ended && lostReason == null) {
      lostReason = reason;
      LOG.error("{}; the run stops", reason);
    }
  }
}
