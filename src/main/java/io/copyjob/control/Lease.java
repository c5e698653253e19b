package io.copyjob.control;

import java.time.Instant;

/**
 * A row of the leases table: who runs the job now.
 *
 * @param runId the run the owner attached with {@link ControlStore#setLeaseRun}, null until then
 * @param expiresAt the lease is free for another owner once this instant is past
 */
public record Lease(String job, String owner, Long runId, Instant expiresAt) {

  /** Whether another owner may take the lease at {@code now}: its expiry is before it. */
  public boolean expiredAt(Instant now) {
    return expiresAt.isBefore(now);
  }
}
