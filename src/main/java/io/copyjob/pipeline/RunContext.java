package io.copyjob.pipeline;

import io.copyjob.store.Store;
import io.copyjob.store.TempOwner;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What a run fixes once before its pipeline starts.
 *
 * @param runId the run's row in the control store
 * @param runStart the run's start by this machine's clock, truncated to milliseconds: the run time
 *     recorded for every partition
 * @param leaseOwner who holds the job's lease for this run: the workers renew it as this owner
 *     ({@link LeaseKeeper}) while the run's DoFns live
 * @param leaseTtl how long the lease lives without a renewal
 * @param sources each source root's clock, by root URI: where its delta windows end and how they
 *     round
 * @param removeLeftovers whether the job's previous run did not end cleanly, so that the sink may
 *     hold temporary files it left: each partition's sink side is swept of them before its listing
 * @param failureLog the file where every failure of the run is appended with its whole reason
 *     ({@link io.copyjob.monitor.FailureLog}); null: none is kept
 */
public record RunContext(
    long runId,
    Instant runStart,
    String leaseOwner,
    Duration leaseTtl,
    Map<String, SourceTime> sources,
    boolean removeLeftovers,
    String failureLog)
    implements Serializable {

  public RunContext {
    sources = Map.copyOf(sources);
  }

  /** A run that keeps no failure log. */
  public RunContext(
      long runId,
      Instant runStart,
      String leaseOwner,
      Duration leaseTtl,
      Map<String, SourceTime> sources,
      boolean removeLeftovers) {
    this(runId, runStart, leaseOwner, leaseTtl, sources, removeLeftovers, null);
  }

  /** A run that read no store's clock: windows end at its start, at the default resolution. */
  public RunContext(long runId, Instant runStart, String leaseOwner, Duration leaseTtl) {
    this(runId, runStart, leaseOwner, leaseTtl, Map.of(), false);
  }

  /**
   * The clock of {@code root}; a root the run did not know when it started (a partition added to
   * the table since) ends its window at the run's start, at the default resolution.
   */
  public SourceTime source(String root) {
    SourceTime time = sources.get(root);
    return time != null ? time : new SourceTime(runStart, Store.DEFAULT_TIME_RESOLUTION);
  }

  /** Names this run in the temporary files its sink writes, so a later run can remove leftovers. */
  public TempOwner tempOwner(String job) {
    return new TempOwner(job, runId);
  }
}
