package io.copyjob.tabular;

import java.io.IOException;
import java.util.List;

/**
 * Writes one piece's rows into a sink table, in batches, as one unit: nothing of it is visible
 * until {@link #commit}, and {@link #close} without a commit drops what was written. Not
 * thread-safe.
 */
public interface PieceWriter extends AutoCloseable {
  /**
   * Writes a batch. A row the sink itself refuses (a constraint, a value out of its range) is
   * handed to {@code rejects} with the sink's reason, and the batch's other rows are written: no
   * row is lost with its batch. An error that is not about a row (a lost connection, a missing
   * permission) is thrown.
   */
  void write(List<MappedRow> batch, Rejects rejects) throws IOException;

  /** Makes the piece's rows visible together with its ledger entry. */
  void commit(long rowsWritten) throws IOException;

  /** Drops what was written and not committed. */
  @Override
  void close() throws IOException;

  /** Where rows the sink refuses go. */
  @FunctionalInterface
  interface Rejects {
    /** Takes a refused row; throws when refused rows fail the piece (the write stops). */
    void reject(MappedRow row, RowRejected why) throws IOException;
  }
}
