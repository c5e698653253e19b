package io.copyjob.control;

import java.io.Serializable;

/**
 * What a tabular run did to one table, beyond a partition's file counts: its rows and how long it
 * took (from its first piece's start to its last one's end).
 *
 * @param rowsRead rows read from the source (data rows: a header is not one)
 * @param rowsWritten rows written into the sink table (by this run; none of a skipped piece)
 * @param rowsRejected rows set aside in the dead letter, or that failed the table
 * @param durationMillis the table's wall time in this run
 * @param watermark the watermark before and after the run (incremental mode), or null
 */
public record TableCounts(
    long rowsRead,
    long rowsWritten,
    long rowsRejected,
    long durationMillis,
    WatermarkChange watermark)
    implements Serializable {
  public static final TableCounts ZERO = new TableCounts(0, 0, 0, 0);

  /** A table copied in full: no watermark. */
  public TableCounts(long rowsRead, long rowsWritten, long rowsRejected, long durationMillis) {
    this(rowsRead, rowsWritten, rowsRejected, durationMillis, null);
  }
}
