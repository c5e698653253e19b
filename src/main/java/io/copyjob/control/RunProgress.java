package io.copyjob.control;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A run's progress as its workers reported it ({@link ProgressTable}): each partition's (table's)
 * rows summed over the workers, and the run's sum.
 *
 * @param partitions the partitions some worker reported on, by key
 * @param workers the workers' own rows summed: the peak of each worker's transfers in flight
 *     whatever their partition, throttling answers not tied to a partition
 * @param total every row of the run summed, the workers' own included; its heartbeat is the last
 */
public record RunProgress(
    List<ProgressRecord> partitions, ProgressRecord workers, ProgressRecord total) {
  public RunProgress {
    partitions = List.copyOf(partitions);
  }

  /** When a worker last wrote a row of this run, by the database's clock; empty before any. */
  public Optional<Instant> lastHeartbeat() {
    return Optional.ofNullable(total.heartbeat());
  }

  /** The partition's progress; queued when no worker has reported on it. */
  public ProgressRecord of(PartitionKey key) {
    for (ProgressRecord p : partitions) {
      if (p.key().equals(key)) {
        return p;
      }
    }
    return ProgressRecord.queued(key);
  }
}
