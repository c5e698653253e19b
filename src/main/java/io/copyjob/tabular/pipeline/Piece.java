package io.copyjob.tabular.pipeline;

import io.copyjob.store.FileInfo;
import io.copyjob.tabular.SinkTable;
import java.io.Serializable;

/**
 * The unit a table is read and written in: one source file, as listed (its version), with the sink
 * table found when the table was planned. Rows never travel between workers: a piece is read,
 * mapped and written by one DoFn call.
 */
public record Piece(TableKey table, FileInfo file, SinkTable sink) implements Serializable {
  /** The file as a person finds it. */
  public String where() {
    return table.root() + file.key();
  }
}
