package io.copyjob.tabular.pipeline;

import io.copyjob.store.FileInfo;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.jdbc.TableRead;
import java.io.Serializable;

/**
 * The unit a table is read and written in: one source file, as listed (its version), or one range
 * of a database table ({@code read}), with the sink table found when the table was planned. Rows
 * never travel between workers: a piece is read, mapped and written by one DoFn call.
 *
 * @param file the file, or null for a piece of a database table
 * @param read the piece of a database table, or null for a file
 */
public record Piece(TableKey table, FileInfo file, SinkTable sink, TableRead read)
    implements Serializable {
  /** A file. */
  public Piece(TableKey table, FileInfo file, SinkTable sink) {
    this(table, file, sink, null);
  }

  /** A piece of a database table. */
  public Piece(TableKey table, TableRead read, SinkTable sink) {
    this(table, null, sink, read);
  }

  /** The piece as a person finds it: the file, or the table and range. */
  public String where() {
    return file != null ? table.root() + file.key() : read.describe();
  }

  /** The piece's key among its table's results: the file's key, or the range. */
  String key() {
    return file != null ? file.key() : read.label();
  }
}
