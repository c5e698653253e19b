package io.copyjob.control;

import java.time.Instant;

/**
 * One partition's (or table's) progress in a run, as its workers reported it in batches; or, for
 * the whole run, the sum of them. Times are summed over every transfer of the partition: with many
 * transfers in flight, reading and writing together take longer than the wall clock.
 *
 * @param key the partition; for a run's sum, the run's worker figures, {@link #RUN}
 * @param state the furthest state any worker reported
 * @param filesListed files listed in its window (pieces planned)
 * @param bytesListed their bytes
 * @param filesCopied files copied (pieces loaded)
 * @param filesSkipped files skipped: already at the sink
 * @param filesFailed files failed
 * @param bytes bytes moved so far, counted as they stream, whole files or not
 * @param rows rows written (tabular runs)
 * @param listingMillis time spent listing (planning)
 * @param readingMillis time spent waiting for the source's bytes
 * @param writingMillis time spent handing bytes to the sink, beyond reading them
 * @param waitingMillis time spent waiting: for a transfer slot, the rate caps and between retries
 * @param firstByteMillis when its first byte was read, in milliseconds after the run started; null
 *     before
 * @param peakInFlight the most of its transfers in flight at once (summed over workers)
 * @param throttled throttling answers the stores gave its requests (S3 503 SlowDown, Azure 503
 *     ServerBusy), each attempt counted
 * @param heartbeat when a worker last wrote it, by the database's clock
 */
public record ProgressRecord(
    PartitionKey key,
    ProgressState state,
    long filesListed,
    long bytesListed,
    long filesCopied,
    long filesSkipped,
    long filesFailed,
    long bytes,
    long rows,
    long listingMillis,
    long readingMillis,
    long writingMillis,
    long waitingMillis,
    Long firstByteMillis,
    long peakInFlight,
    long throttled,
    Instant heartbeat) {

  /** The key of the rows that carry a worker's figures not tied to one partition. */
  public static final PartitionKey RUN = new PartitionKey("", "");

  /** Files finished so far: copied, skipped or failed. */
  public long filesDone() {
    return filesCopied + filesSkipped + filesFailed;
  }

  /** The step that took longest ("listing", "reading", "writing" or "waiting"), or null. */
  public String longestStep() {
    long[] times = {listingMillis, readingMillis, writingMillis, waitingMillis};
    String[] names = {"listing", "reading", "writing", "waiting"};
    int at = -1;
    for (int i = 0; i < times.length; i++) {
      if (times[i] > 0 && (at < 0 || times[i] > times[at])) {
        at = i;
      }
    }
    return at < 0 ? null : names[at];
  }

  /** This and another worker's row of the same partition, or another partition for a sum. */
  public ProgressRecord plus(ProgressRecord o, PartitionKey as) {
    return new ProgressRecord(
        as,
        state == null ? o.state : state.max(o.state),
        filesListed + o.filesListed,
        bytesListed + o.bytesListed,
        filesCopied + o.filesCopied,
        filesSkipped + o.filesSkipped,
        filesFailed + o.filesFailed,
        bytes + o.bytes,
        rows + o.rows,
        listingMillis + o.listingMillis,
        readingMillis + o.readingMillis,
        writingMillis + o.writingMillis,
        waitingMillis + o.waitingMillis,
        earliest(firstByteMillis, o.firstByteMillis),
        peakInFlight + o.peakInFlight,
        throttled + o.throttled,
        heartbeat == null || (o.heartbeat != null && o.heartbeat.isAfter(heartbeat))
            ? o.heartbeat
            : heartbeat);
  }

  private static Long earliest(Long a, Long b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : Long.valueOf(Math.min(a, b));
  }

  /** Nothing yet: a queued partition. */
  public static ProgressRecord queued(PartitionKey key) {
    return new ProgressRecord(
        key, ProgressState.QUEUED, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, 0, 0, null);
  }

  /** This record with another state (a partition whose recorded result overrides its workers'). */
  public ProgressRecord withState(ProgressState s) {
    return new ProgressRecord(
        key,
        s,
        filesListed,
        bytesListed,
        filesCopied,
        filesSkipped,
        filesFailed,
        bytes,
        rows,
        listingMillis,
        readingMillis,
        writingMillis,
        waitingMillis,
        firstByteMillis,
        peakInFlight,
        throttled,
        heartbeat);
  }
}
