package io.copyjob.tabular;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Streams the rows of one piece of a source (one file), never holding more than a row in memory.
 * Opened by {@link RowReaders#open}; closed by the caller.
 *
 * <p>A row the reader cannot make out at all (a malformed CSV line, text that is not in the file's
 * encoding) ends the piece with a {@link RowReadException} naming the file and line: no later row
 * can be trusted. A row that reads but cannot be converted is the mapper's concern, not the
 * reader's.
 */
public interface RowReader extends AutoCloseable {
  /**
   * The source's column names in order (a CSV header), or empty when the source has none (an empty
   * file has none either); known before the first row.
   */
  Optional<List<String>> columnNames();

  /**
   * The source's columns with their types where it has them (a Parquet schema's), in the order of
   * {@link #columnNames}; empty when it names none. By default the names, untyped (CSV, JSON).
   */
  default List<SourceColumn> columns() {
    return columnNames().orElse(List.of()).stream().map(SourceColumn::untyped).toList();
  }

  /** The next row, or null after the last one. */
  SourceRow next() throws IOException;

  /** The piece as a person finds it: the file's URI. */
  String where();

  @Override
  void close() throws IOException;
}
