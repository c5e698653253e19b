package io.copyjob.tabular.files;

import java.io.IOException;

/**
 * Writes one part (one file) of a piece into a local temporary file, row by row; the file is
 * complete once {@link #finish} returned. Not thread-safe.
 */
public interface PartWriter extends AutoCloseable {
  /** Writes a row: its values for the sink columns, as the mapping converted them. */
  void write(Object[] values) throws IOException;

  /** The bytes the file holds so far, or will once what is buffered is written: to roll over. */
  long bytes() throws IOException;

  /** Completes the file (a Parquet footer, a gzip trailer). */
  void finish() throws IOException;

  /** Releases what {@link #finish} did not (after a failure); the caller deletes the file. */
  @Override
  void close() throws IOException;
}
