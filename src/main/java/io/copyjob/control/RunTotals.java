package io.copyjob.control;

import java.io.Serializable;

/** What a run did, summed over its partitions. */
public record RunTotals(
    long partitionsSucceeded,
    long partitionsFailed,
    long filesCopied,
    long filesSkipped,
    long filesFailed,
    long bytesCopied)
    implements Serializable {

  public static final RunTotals ZERO = new RunTotals(0, 0, 0, 0, 0, 0);

  public RunTotals plus(PartitionResult r) {
    return new RunTotals(
        partitionsSucceeded + (r.succeeded() ? 1 : 0),
        partitionsFailed + (r.succeeded() ? 0 : 1),
        filesCopied + r.filesCopied(),
        filesSkipped + r.filesSkipped(),
        filesFailed + r.filesFailed(),
        bytesCopied + r.bytesCopied());
  }

  public RunTotals plus(RunTotals o) {
    return new RunTotals(
        partitionsSucceeded + o.partitionsSucceeded,
        partitionsFailed + o.partitionsFailed,
        filesCopied + o.filesCopied,
        filesSkipped + o.filesSkipped,
        filesFailed + o.filesFailed,
        bytesCopied + o.bytesCopied);
  }
}
