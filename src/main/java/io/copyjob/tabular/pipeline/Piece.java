package io.copyjob.tabular.pipeline;

import io.copyjob.store.FileInfo;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.jdbc.TableRead;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The unit a table is read and written in: one source file, as listed (its version), a group of
 * small files read one after the other into the same batches (a Kusto sink: {@code more}), or one
 * range of a database table ({@code read}), with the sink table found when the table was planned.
 * Rows never travel between workers: a piece is read, mapped and written by one DoFn call.
 *
 * @param file the file (a group's first), or null for a piece of a database table
 * @param read the piece of a database table, or null for a file
 * @param more the group's files after {@code file}, in key order; empty for a single file
 * @param round the continuous run's round that planned it (from 1), 0 in a batch run
 */
public record Piece(
    TableKey table, FileInfo file, SinkTable sink, TableRead read, List<FileInfo> more, long round)
    implements Serializable {
  public Piece(TableKey table, FileInfo file, SinkTable sink, TableRead read, List<FileInfo> more) {
    this(table, file, sink, read, more, 0);
  }

  /** A file. */
  public Piece(TableKey table, FileInfo file, SinkTable sink) {
    this(table, file, sink, null, List.of());
  }

  /** A piece of a database table. */
  public Piece(TableKey table, TableRead read, SinkTable sink) {
    this(table, null, sink, read, List.of());
  }

  /** A group of files, read one after the other into the same batches. */
  static Piece group(TableKey table, List<FileInfo> files, SinkTable sink) {
    return new Piece(
        table, files.get(0), sink, null, new ArrayList<>(files.subList(1, files.size())));
  }

  /** The same piece, planned by round {@code round} of a continuous run. */
  Piece inRound(long round) {
    return new Piece(table, file, sink, read, more, round);
  }

  /** The piece's files in the order they are read: its file then the group's others. */
  public List<FileInfo> files() {
    if (file == null) {
      return List.of();
    }
    List<FileInfo> files = new ArrayList<>(1 + more.size());
    files.add(file);
    files.addAll(more);
    return files;
  }

  /**
   * The piece as a person finds it: the file (a group's first, with how many follow), or the table
   * and range.
   */
  public String where() {
    if (file == null) {
      return read.describe();
    }
    return more.isEmpty()
        ? table.root() + file.key()
        : table.root() + file.key() + " and " + more.size() + " more file(s)";
  }

  /** Where one of the piece's files is, as a person finds it. */
  String where(FileInfo one) {
    return table.root() + one.key();
  }

  /** The piece's key among its table's results: the file's key (a group's first), or the range. */
  String key() {
    return file != null ? file.key() : read.label();
  }
}
