package io.copyjob.tabular.pipeline;

import io.copyjob.control.WatermarkChange;
import io.copyjob.pipeline.StartRounds;
import java.io.Serializable;

/**
 * What became of one piece, or of a table that could not be planned (no piece then).
 *
 * @param table the table's id ({@link TableKey#id()})
 * @param key the piece's file key, or null for a table that failed before its pieces
 * @param bytes the bytes of the file read, when the piece was loaded
 * @param startMillis when the piece's work began (epoch ms)
 * @param endMillis when it ended
 * @param error why it failed, on one line naming the file and line; null when it did not
 * @param watermark the table's watermark change (a piece of an incremental table), or null
 * @param files how many files (or ranges) the piece is: more than one for a group of small files
 * @param round the continuous run's round the piece belongs to, 0 in a batch run
 */
public record PieceResult(
    String table,
    String key,
    Outcome outcome,
    long rowsRead,
    long rowsWritten,
    long rowsRejected,
    long bytes,
    long startMillis,
    long endMillis,
    String error,
    WatermarkChange watermark,
    int files,
    long round)
    implements Serializable {

  /** A single file or range. */
  public PieceResult(
      String table,
      String key,
      Outcome outcome,
      long rowsRead,
      long rowsWritten,
      long rowsRejected,
      long bytes,
      long startMillis,
      long endMillis,
      String error,
      WatermarkChange watermark) {
    this(
        table,
        key,
        outcome,
        rowsRead,
        rowsWritten,
        rowsRejected,
        bytes,
        startMillis,
        endMillis,
        error,
        watermark,
        1,
        0);
  }

  /** A piece with no watermark. */
  public PieceResult(
      String table,
      String key,
      Outcome outcome,
      long rowsRead,
      long rowsWritten,
      long rowsRejected,
      long bytes,
      long startMillis,
      long endMillis,
      String error) {
    this(
        table,
        key,
        outcome,
        rowsRead,
        rowsWritten,
        rowsRejected,
        bytes,
        startMillis,
        endMillis,
        error,
        null);
  }

  /** The same result, of round {@code round} of a continuous run. */
  PieceResult inRound(long round) {
    return new PieceResult(
        table,
        key,
        outcome,
        rowsRead,
        rowsWritten,
        rowsRejected,
        bytes,
        startMillis,
        endMillis,
        error,
        watermark,
        files,
        round);
  }

  /** What its table's results are gathered under ({@link StartRounds#resultKey}). */
  String tallyKey() {
    return StartRounds.resultKey(table, round);
  }

  public enum Outcome {
    /** Its rows were written (and those rejected set aside). */
    LOADED,
    /** The sink's ledger showed it loaded already in this load: nothing written again. */
    SKIPPED,
    /** Nothing of it was written. */
    FAILED
  }

  /** A table that failed before it had pieces: its sink table or its listing. */
  static PieceResult tableFailed(TableKey table, String error, long startMillis) {
    return new PieceResult(
        table.id(),
        null,
        Outcome.FAILED,
        0,
        0,
        0,
        0,
        startMillis,
        System.currentTimeMillis(),
        error);
  }
}
