package io.copyjob.tabular.files;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.spec.TabularSpec.FileSinkSpec;
import io.copyjob.spec.TabularSpec.SinkFormat;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import io.copyjob.tabular.MappedRow;
import io.copyjob.tabular.PieceWriter;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One piece written as files of a {@link FileSink}: rows go into a part in a local temporary file
 * (java.io.tmpdir) until it reaches the roll-over size, which is then stored under its final name
 * and deleted locally; the next row begins the next part. So a worker holds at most one part on
 * disk and one row group (Parquet) or a buffer (CSV) in memory per piece. {@link #commit} stores
 * the last part, deletes parts an earlier attempt left past this one's last, and writes the piece's
 * marker last; {@link #close} without a commit deletes the parts this attempt stored. Temporary
 * files are deleted whatever happens.
 */
final class FilePieceWriter implements PieceWriter {
  private static final Logger LOG = LoggerFactory.getLogger(FilePieceWriter.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Store store;
  private final FileSinkSpec files;
  private final SinkTable table;
  private final int[] positions;
  private final String partPrefix;
  private final String marker;
  private final String where;
  private final Runnable release;
  private final List<String> stored = new ArrayList<>();
  private PartWriter part;
  private Path partFile;
  private long rowsInFiles;
  private boolean done;

  /**
   * @param table the folder's columns: every file has them all, in their order
   * @param columns the piece's mapped columns, each one of {@code table}'s (the others are NULL)
   * @param partPrefix the key of the piece's parts up to their number
   * @param marker the key of the piece's marker
   * @param release ends the piece's claim, on close
   */
  FilePieceWriter(
      Store store,
      FileSinkSpec files,
      SinkTable table,
      List<SinkColumn> columns,
      String partPrefix,
      String marker,
      String where,
      Runnable release) {
    this.store = store;
    this.files = files;
    this.table = table;
    this.positions = new int[columns.size()];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = table.columns().indexOf(columns.get(i));
      if (positions[i] < 0) {
        throw new IllegalArgumentException(columns.get(i).name() + " is not a column of " + where);
      }
    }
    this.partPrefix = partPrefix;
    this.marker = marker;
    this.where = where;
    this.release = release;
  }

  @Override
  public void write(List<MappedRow> batch, Rejects rejects) throws IOException {
    int width = table.columns().size();
    for (MappedRow row : batch) {
      if (part == null) {
        begin();
      }
      Object[] values = new Object[width];
      for (int i = 0; i < positions.length; i++) {
        values[positions[i]] = row.values()[i];
      }
      try {
        part.write(values);
      } catch (RuntimeException e) {
        throw new IOException(where + ": cannot write " + row.source().position() + ": " + e, e);
      }
      rowsInFiles++;
      if (part.bytes() >= files.rollOver()) {
        store();
      }
    }
  }

  private void begin() throws IOException {
    partFile =
        Files.createTempFile(
            Paths.get(System.getProperty("java.io.tmpdir")), "copyjob-part-", files.extension());
    part =
        files.format() == SinkFormat.PARQUET
            ? new ParquetPartWriter(
                partFile, table.columns(), files.parquetCompression(), files.rollOver())
            : new CsvPartWriter(partFile, table.columns(), files.csv(), files.gzip());
  }

  /** Completes the current part and stores it under its final name. */
  private void store() throws IOException {
    String key = String.format("%s%05d%s", partPrefix, stored.size(), files.extension());
    try {
      part.finish();
      part = null;
      long size = Files.size(partFile);
      FileInfo put;
      try (InputStream in = Files.newInputStream(partFile)) {
        put = store.put(key, in, new FileInfo(key, size, null, null));
      }
      if (put.size() != size) {
        throw new IOException(
            where + ": " + key + " was stored with " + put.size() + " of " + size + " bytes");
      }
      stored.add(key);
    } finally {
      deleteTemp();
    }
  }

  @Override
  public void commit(long rowsWritten) throws IOException {
    if (rowsWritten != rowsInFiles) {
      throw new IOException(
          where + ": " + rowsInFiles + " rows in the files, " + rowsWritten + " counted");
    }
    if (part != null) {
      store();
    }
    // An earlier attempt at the piece that rolled over more often left parts past this one's.
    Set<String> mine = new HashSet<>(stored);
    try (Listing listing = store.list(partPrefix, false)) {
      while (listing.hasNext()) {
        String key = listing.next().key();
        if (!mine.contains(key)) {
          store.delete(key);
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    ObjectNode json = JSON.createObjectNode().put("rows", rowsInFiles);
    stored.forEach(json.putArray("files")::add);
    byte[] bytes = JSON.writeValueAsBytes(json);
    store.put(
        marker, new ByteArrayInputStream(bytes), new FileInfo(marker, bytes.length, null, null));
    done = true;
  }

  @Override
  public void close() throws IOException {
    try {
      abandon();
    } finally {
      release.run();
    }
  }

  private void abandon() throws IOException {
    try {
      if (part != null) {
        part.close();
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Closing an abandoned part of {}: {}", where, e.toString());
    } finally {
      part = null;
      deleteTemp();
    }
    if (!done) {
      for (String key : stored) {
        try {
          store.delete(key);
        } catch (IOException | RuntimeException e) {
          LOG.warn("Could not delete {} of a failed piece ({}): {}", key, where, e.getMessage());
        }
      }
    }
  }

  private void deleteTemp() throws IOException {
    if (partFile != null) {
      Path file = partFile;
      partFile = null;
      Files.deleteIfExists(file);
    }
  }
}
