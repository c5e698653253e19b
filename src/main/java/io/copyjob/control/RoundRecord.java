package io.copyjob.control;

import java.io.Serializable;
import java.time.Instant;

/**
 * One partition's round of a continuous run, as the rounds table holds it.
 *
 * @param round the round's number within its run: 1 for the first tick, one more per interval
 * @param startedAt when the round was started, by the worker's clock
 * @param endedAt when it was recorded (or skipped, or abandoned); null while it runs
 * @param windowStart the LastModified window listed (inclusive), null when open
 * @param windowEnd the window's end (exclusive): the source store's time at the round's start
 * @param error why the round failed, was skipped or was abandoned; null otherwise
 * @param table a table's round (tabular continuous mode): its rows, and its watermark before and
 *     after; null for a partition of files
 */
public record RoundRecord(
    long runId,
    long round,
    PartitionKey key,
    RoundStatus status,
    Instant startedAt,
    Instant endedAt,
    Instant windowStart,
    Instant windowEnd,
    long filesCopied,
    long filesSkipped,
    long filesFailed,
    long bytesCopied,
    String error,
    TableCounts table)
    implements Serializable {

  /** A round about to run (or to be skipped), before it has counts. */
  public static RoundRecord planned(
      long runId,
      long round,
      PartitionKey key,
      RoundStatus status,
      Instant startedAt,
      Instant windowStart,
      Instant windowEnd,
      String error) {
    return new RoundRecord(
        runId,
        round,
        key,
        status,
        startedAt,
        null,
        windowStart,
        windowEnd,
        0,
        0,
        0,
        0,
        error,
        null);
  }
}
