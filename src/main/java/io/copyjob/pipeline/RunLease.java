package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.RunRecord;
import io.copyjob.monitor.Units;
import io.copyjob.spec.Durations;
import io.copyjob.spec.JobSpec;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's hold on its job's lease, from the client: taken (or waited for) before anything is
 * written, kept alive by a {@link LeaseKeeper} in this JVM (and in the workers', see {@link
 * RunContext#leaseOwner()}), and released at the end. Every database step opens its own connection
 * and closes it: nothing idles open across the pipeline.
 */
final class RunLease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);

  /** How often a run waiting for the lease asks again. */
  static final Duration POLL = Duration.ofSeconds(1);

  private final JobSpec spec;
  private final String owner;
  private final Duration ttl;
  private final LeaseKeeper keeper;

  private RunLease(JobSpec spec, String owner, Duration ttl) {
    this.spec = spec;
    this.owner = owner;
    this.ttl = ttl;
    this.keeper = LeaseKeeper.hold(spec.control(), spec.name(), owner, ttl, null);
  }

  /**
   * Takes the job's lease, waiting up to {@code waitFor} (saying once to {@code notice} that it
   * waits) while another run holds it; then marks the job's runs whose process died ABANDONED.
   *
   * @throws LeaseHeldException when another run still holds it; the message names the holder and
   *     until when its lease is valid
   */
  static RunLease acquire(JobSpec spec, Duration ttl, Duration waitFor, Consumer<String> notice)
      throws SQLException {
    String owner = newOwner();
    long deadline = System.nanoTime() + waitFor.toNanos();
    boolean told = false;
    while (true) {
      try (ControlStore control = ControlStore.open(spec.control())) {
        if (control.acquireLease(spec.name(), owner, ttl)) {
          List<Long> abandoned = control.abandonDeadRuns(spec.name());
          if (!abandoned.isEmpty()) {
            LOG.warn("Marked run(s) {} of job '{}' ABANDONED", abandoned, spec.name());
          }
          return new RunLease(spec, owner, ttl);
        }
        String held = heldMessage(control, spec.name());
        if (System.nanoTime() - deadline >= 0) {
          String waited = waitFor.isZero() ? "" : " (waited " + Durations.format(waitFor) + ")";
          throw new LeaseHeldException(held + waited);
        }
        if (!told) {
          notice.accept("copyjob: " + held + "; waiting up to " + Durations.format(waitFor));
          told = true;
        }
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JobException(
            "interrupted while waiting for the lease of job '" + spec.name() + "'");
      }
    }
  }

  String owner() {
    return owner;
  }

  Duration ttl() {
    return ttl;
  }

  LeaseKeeper keeper() {
    return keeper;
  }

  /** Stops renewing and releases the lease if it is still this run's. */
  @Override
  public void close() {
    keeper.release();
    try (ControlStore control = ControlStore.openForLease(spec.control(), keeper.period())) {
      control.releaseLease(spec.name(), owner);
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "Could not release the lease of job '{}'; it expires within {}: {}",
          spec.name(),
          Units.duration(ttl),
          FileCopyJob.oneLine(e));
    }
  }

  /** "job 'x' is already running (host h, pid 1, run 3); its lease is valid until T". */
  static String heldMessage(ControlStore control, String job) throws SQLException {
    Optional<Lease> lease = control.lease(job);
    if (lease.isEmpty()) {
      return "job '" + job + "' is already running elsewhere (its lease is held)";
    }
    return "job '"
        + job
        + "' is already running ("
        + holder(control, lease.get())
        + "); its lease is valid until "
        + lease.get().expiresAt()
        + " (the control database's clock)";
  }

  /** Who holds a lease: host, pid and run number when the owner is a copyjob run's. */
  static String holder(ControlStore control, Lease lease) throws SQLException {
    String[] parts = lease.owner().split(":");
    String who =
        parts.length == 3
            ? "host " + parts[0] + ", pid " + parts[1]
            : "owner '" + lease.owner() + "'";
    if (lease.runId() == null) {
      return who + ", its run not started yet";
    }
    Optional<RunRecord> run = control.run(lease.runId());
    return who + ", run " + (run.isPresent() ? run.get().runNumber() : "id " + lease.runId());
  }

  /** host:pid:uuid, unique to this run. */
  private static String newOwner() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "unknown-host";
    }
    return host.replace(":", "_")
        + ":"
        + ManagementFactory.getRuntimeMXBean().getPid()
        + ":"
        + UUID.randomUUID();
  }
}
