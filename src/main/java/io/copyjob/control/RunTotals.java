package io.copyjob.control;

import java.io.Serializable;

/**
 * What a run did, summed over its partitions (a tabular job's: over its tables, whose files are
 * counted as files and whose rows as rows; a file copy's rows are 0).
 */
public record RunTotals(
    long partitionsSucceeded,
    long partitionsFailed,
    long filesCopied,
    long filesSkipped,
    long filesFailed,
    long bytesCopied,
    long rowsRead,
    long rowsWritten,
    long rowsRejected)
    implements Serializable {

  public static final RunTotals ZERO = new RunTotals(0, 0, 0, 0, 0, 0);

  /** A file copy's totals. */
  public RunTotals(
      long partitionsSucceeded,
      long partitionsFailed,
      long filesCopied,
      long filesSkipped,
      long filesFailed,
      long bytesCopied) {
    this(
        partitionsSucceeded,
        partitionsFailed,
        filesCopied,
        filesSkipped,
        filesFailed,
        bytesCopied,
        0,
        0,
        0);
  }

  /** The sum of a run's partition rows. */
  public static RunTotals of(java.util.List<PartitionRunRecord> records) {
    RunTotals totals = ZERO;
    for (PartitionRunRecord record : records) {
      totals = totals.plus(record.result());
    }
    return totals;
  }

  public RunTotals plus(PartitionResult r) {
    TableCounts t = r.table() == null ? TableCounts.ZERO : r.table();
    return new RunTotals(
        partitionsSucceeded + (r.succeeded() ? 1 : 0),
        partitionsFailed + (r.succeeded() ? 0 : 1),
        filesCopied + r.filesCopied(),
        filesSkipped + r.filesSkipped(),
        filesFailed + r.filesFailed(),
        bytesCopied + r.bytesCopied(),
        rowsRead + t.rowsRead(),
        rowsWritten + t.rowsWritten(),
        rowsRejected + t.rowsRejected());
  }

  public RunTotals plus(RunTotals o) {
    return new RunTotals(
        partitionsSucceeded + o.partitionsSucceeded,
        partitionsFailed + o.partitionsFailed,
        filesCopied + o.filesCopied,
        filesSkipped + o.filesSkipped,
        filesFailed + o.filesFailed,
        bytesCopied + o.bytesCopied,
        rowsRead + o.rowsRead,
        rowsWritten + o.rowsWritten,
        rowsRejected + o.rowsRejected);
  }
}
