package io.copyjob.control;

import java.io.Serializable;
import java.time.Instant;

/**
 * What one run did to one partition; RecordPartitionResult writes it.
 *
 * @param windowStart the start of the LastModified window listed (inclusive), null when unbounded
 * @param windowEnd the end of the window listed (exclusive), null when unbounded; when the
 *     partition succeeds, where its next delta window starts (less the overlap)
 * @param firstError the first error met, null when none
 * @param warning what a person should look at although the partition succeeded (its listing was
 *     empty while its last run had files), null when nothing
 * @param table a tabular job's rows and duration for this table; null for a file copy's partition
 * @param watermarkKept whether the partition's delta watermark stays where it was although it
 *     succeeded: its listing gave no file at all, and a source folder that is gone or not mounted
 *     lists empty too, so moving the window past what it could not see would lose the changes made
 *     meanwhile
 */
public record PartitionResult(
    PartitionKey key,
    long filesCopied,
    long filesSkipped,
    long filesFailed,
    long bytesCopied,
    String firstError,
    Instant windowStart,
    Instant windowEnd,
    String warning,
    TableCounts table,
    boolean watermarkKept)
    implements Serializable {

  /** A result that moves the partition's watermark to its window's end when it succeeds. */
  public PartitionResult(
      PartitionKey key,
      long filesCopied,
      long filesSkipped,
      long filesFailed,
      long bytesCopied,
      String firstError,
      Instant windowStart,
      Instant windowEnd,
      String warning,
      TableCounts table) {
    this(
        key,
        filesCopied,
        filesSkipped,
        filesFailed,
        bytesCopied,
        firstError,
        windowStart,
        windowEnd,
        warning,
        table,
        false);
  }

  /** A file copy's partition. */
  public PartitionResult(
      PartitionKey key,
      long filesCopied,
      long filesSkipped,
      long filesFailed,
      long bytesCopied,
      String firstError,
      Instant windowStart,
      Instant windowEnd,
      String warning) {
    this(
        key,
        filesCopied,
        filesSkipped,
        filesFailed,
        bytesCopied,
        firstError,
        windowStart,
        windowEnd,
        warning,
        null);
  }

  /** A result with no warning. */
  public PartitionResult(
      PartitionKey key,
      long filesCopied,
      long filesSkipped,
      long filesFailed,
      long bytesCopied,
      String firstError,
      Instant windowStart,
      Instant windowEnd) {
    this(
        key,
        filesCopied,
        filesSkipped,
        filesFailed,
        bytesCopied,
        firstError,
        windowStart,
        windowEnd,
        null);
  }

  /** This result with {@code warning}, keeping the partition's watermark where it was. */
  public PartitionResult keepingWatermark(String warning) {
    return new PartitionResult(
        key,
        filesCopied,
        filesSkipped,
        filesFailed,
        bytesCopied,
        firstError,
        windowStart,
        windowEnd,
        warning,
        table,
        true);
  }

  /** Whether recording this result moves the partition's watermark: it succeeded, and may. */
  public boolean advancesWatermark() {
    return succeeded() && !watermarkKept;
  }

  /** Succeeded: no file failed and no error was met (a partition with no files succeeds). */
  public boolean succeeded() {
    return filesFailed == 0 && firstError == null;
  }

  /** The error of a failed partition, else its warning: what its record's error column holds. */
  String note() {
    return firstError != null ? firstError : warning;
  }
}
