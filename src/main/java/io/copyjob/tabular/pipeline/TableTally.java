package io.copyjob.tabular.pipeline;

import io.copyjob.control.WatermarkChange;
import java.io.Serializable;

/**
 * The piece results of one table summed up. The first error kept is the one of the smallest file
 * key (a table's own failure, which has none, first), so reruns of a failure report the same one.
 */
record TableTally(
    long loaded,
    long skipped,
    long failed,
    long rowsRead,
    long rowsWritten,
    long rowsRejected,
    long bytes,
    long startMillis,
    long endMillis,
    String firstErrorKey,
    String firstError,
    WatermarkChange watermark)
    implements Serializable {

  static final TableTally EMPTY =
      new TableTally(0, 0, 0, 0, 0, 0, 0, Long.MAX_VALUE, Long.MIN_VALUE, null, null, null);

  TableTally plus(PieceResult r) {
    boolean pieceFailed = r.outcome() == PieceResult.Outcome.FAILED && r.key() != null;
    TableTally sum =
        new TableTally(
            loaded + (r.outcome() == PieceResult.Outcome.LOADED ? r.files() : 0),
            skipped + (r.outcome() == PieceResult.Outcome.SKIPPED ? r.files() : 0),
            failed + (pieceFailed ? r.files() : 0),
            rowsRead + r.rowsRead(),
            rowsWritten + r.rowsWritten(),
            rowsRejected + r.rowsRejected(),
            bytes + r.bytes(),
            Math.min(startMillis, r.startMillis()),
            Math.max(endMillis, r.endMillis()),
            firstErrorKey,
            firstError,
            watermark != null ? watermark : r.watermark());
    return r.error() == null ? sum : sum.withError(r.key() == null ? "" : r.key(), r.error());
  }

  TableTally plus(TableTally o) {
    TableTally sum =
        new TableTally(
            loaded + o.loaded,
            skipped + o.skipped,
            failed + o.failed,
            rowsRead + o.rowsRead,
            rowsWritten + o.rowsWritten,
            rowsRejected + o.rowsRejected,
            bytes + o.bytes,
            Math.min(startMillis, o.startMillis),
            Math.max(endMillis, o.endMillis),
            firstErrorKey,
            firstError,
            watermark != null ? watermark : o.watermark);
    return o.firstError == null ? sum : sum.withError(o.firstErrorKey, o.firstError);
  }

  private TableTally withError(String key, String error) {
    if (firstError != null && firstErrorKey.compareTo(key) <= 0) {
      return this;
    }
    return new TableTally(
        loaded,
        skipped,
        failed,
        rowsRead,
        rowsWritten,
        rowsRejected,
        bytes,
        startMillis,
        endMillis,
        key,
        error,
        watermark);
  }

  /** The table's wall time: from its first piece's start to its last one's end. */
  long durationMillis() {
    return endMillis < startMillis ? 0 : endMillis - startMillis;
  }
}
