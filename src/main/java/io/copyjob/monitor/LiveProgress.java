package io.copyjob.monitor;

import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.ProgressState;
import io.copyjob.control.ProgressTable;
import io.copyjob.control.RunProgress;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a run stands, read from the control store alone, so it reads the same for a run on the
 * DirectRunner, Flink {@code [local]} or a cluster: what its workers reported in the progress
 * table, with each partition (table) that is recorded shown as recorded (the records are the truth,
 * the progress rows advisory), and whether the run still lives. The progress bar of {@code run},
 * {@code status}, the ui's run page and {@code /metrics} all read it.
 *
 * @param run the run's row
 * @param now the database's clock when read
 * @param lastSeen when the run was last seen alive: its lease's keepers' mark or its workers' last
 *     heartbeat, whichever is later
 * @param stale why the run is taken for dead (its process gone: no live lease holds it, or its
 *     workers stopped writing), or null while it lives
 * @param partitions each partition some worker reported on or that is recorded, by key order
 * @param total the partitions summed, with the workers' own figures (peak in flight, throttling)
 * @param recorded the partitions (tables) recorded so far: succeeded and failed
 * @param failed those of them that failed
 */
public record LiveProgress(
    RunRecord run,
    Instant now,
    Instant lastSeen,
    String stale,
    List<ProgressRecord> partitions,
    ProgressRecord total,
    long recorded,
    long failed) {

  /** Reads the run's progress. */
  public static LiveProgress read(ControlStore control, RunRecord run) throws SQLException {
    Instant now = control.databaseNow();
    RunProgress progress = control.progress().read(run.runId());
    List<PartitionRunRecord> records = control.partitionRuns(run.runId());
    List<ProgressRecord> partitions = merge(progress, records);
    ProgressRecord total = ProgressRecord.queued(ProgressRecord.RUN);
    for (ProgressRecord p : partitions) {
      total = total.plus(p, ProgressRecord.RUN);
    }
    ProgressRecord workers = progress.workers();
    total =
        new ProgressRecord(
            ProgressRecord.RUN,
            null,
            total.filesListed(),
            total.bytesListed(),
            total.filesCopied(),
            total.filesSkipped(),
            total.filesFailed(),
            total.bytes(),
            total.rows(),
            total.listingMillis(),
            total.readingMillis(),
            total.writingMillis(),
            total.waitingMillis(),
            total.firstByteMillis(),
            // A worker's peak counts its transfers of every partition at once.
            workers.peakInFlight(),
            total.throttled() + workers.throttled(),
            progress.total().heartbeat());
    long failed = records.stream().filter(r -> !r.result().succeeded()).count();
    Instant seen = control.lastSeen(run.runId()).orElse(run.startedAt());
    Optional<Instant> heartbeat = progress.lastHeartbeat();
    if (heartbeat.isPresent() && heartbeat.get().isAfter(seen)) {
      seen = heartbeat.get();
    }
    return new LiveProgress(
        run,
        now,
        seen,
        staleness(control, run, now, heartbeat),
        partitions,
        total,
        records.size(),
        failed);
  }

  /**
   * Why a RUNNING run is taken for dead, or null: no live lease holds it (its process is gone), or
   * its workers wrote no heartbeat for {@link ProgressTable#STALE_AFTER} (stopped or cut off from
   * the control store).
   */
  private static String staleness(
      ControlStore control, RunRecord run, Instant now, Optional<Instant> heartbeat)
      throws SQLException {
    Optional<Lease> lease = control.lease(run.job());
    boolean leased =
        lease.isPresent()
            && lease.get().runId() != null
            && lease.get().runId() == run.runId()
            && !lease.get().expiredAt(now);
    // The run may have ended between reading its row and its lease: the run's row is written
    // before the lease is released, so a run whose row is no longer RUNNING just finished.
    if (!leased
        && control.run(run.runId()).map(r -> r.status() == RunStatus.RUNNING).orElse(true)) {
      return "no live lease holds it: its process is gone (history marks it ABANDONED)";
    }
    if (heartbeat.isPresent()) {
      Duration silent = Duration.between(heartbeat.get(), now);
      if (silent.compareTo(ProgressTable.STALE_AFTER) > 0) {
        return "its workers wrote no progress for "
            + Units.duration(silent)
            + ": they stopped, or cannot reach the control store";
      }
    }
    return null;
  }

  /** The workers' figures of each partition, its recorded counts and state where recorded. */
  private static List<ProgressRecord> merge(
      RunProgress progress, List<PartitionRunRecord> records) {
    Map<PartitionKey, ProgressRecord> byKey = new LinkedHashMap<>();
    progress.partitions().forEach(p -> byKey.put(p.key(), p));
    for (PartitionRunRecord record : records) {
      PartitionResult r = record.result();
      ProgressRecord p = byKey.getOrDefault(r.key(), ProgressRecord.queued(r.key()));
      byKey.put(
          r.key(),
          new ProgressRecord(
              r.key(),
              r.succeeded() ? ProgressState.DONE : ProgressState.FAILED,
              p.filesListed(),
              p.bytesListed(),
              r.filesCopied(),
              r.filesSkipped(),
              r.filesFailed(),
              r.bytesCopied(),
              r.table() == null ? p.rows() : r.table().rowsWritten(),
              p.listingMillis(),
              p.readingMillis(),
              p.writingMillis(),
              p.waitingMillis(),
              p.firstByteMillis(),
              p.peakInFlight(),
              p.throttled(),
              p.heartbeat()));
    }
    List<ProgressRecord> out = new ArrayList<>(byKey.values());
    out.sort(
        java.util.Comparator.comparing((ProgressRecord p) -> p.key().root())
            .thenComparing(p -> p.key().prefix()));
    return out;
  }

  /** How long the run has gone, by the database's clock. */
  public Duration elapsed() {
    Duration d = Duration.between(run.startedAt(), now);
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** How long ago it was last seen alive. */
  public Duration sinceSeen() {
    Duration d = Duration.between(lastSeen, now);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
