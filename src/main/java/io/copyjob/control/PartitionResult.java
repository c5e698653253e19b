package io.copyjob.control;

import java.io.Serializable;
import java.time.Instant;

/**
 * What one run did to one partition; RecordPartitionResult writes it.
 *
 * @param windowStart the start of the LastModified window (inclusive), null when unbounded
 * @param windowEnd the end of the window (exclusive), null when unbounded
 * @param firstError the first error met, null when none
 */
public record PartitionResult(
    PartitionKey key,
    long filesCopied,
    long filesSkipped,
    long filesFailed,
    long bytesCopied,
    String firstError,
    Instant windowStart,
    Instant windowEnd)
    implements Serializable {

  /** Succeeded: no file failed and no error was met (a partition with no files succeeds). */
  public boolean succeeded() {
    return filesFailed == 0 && firstError == null;
  }
}
