package io.copyjob.pipeline;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;

/**
 * What a run fixes once before its pipeline starts.
 *
 * @param runId the run's row in the control store
 * @param runStart the run's start, truncated to milliseconds: the end of every delta window and the
 *     run time recorded for every partition
 * @param leaseOwner who holds the job's lease for this run: the workers renew it as this owner
 *     ({@link LeaseKeeper}) while the run's DoFns live
 * @param leaseTtl how long the lease lives without a renewal
 */
public record RunContext(long runId, Instant runStart, String leaseOwner, Duration leaseTtl)
    implements Serializable {}
