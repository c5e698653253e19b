package io.copyjob.tabular;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Rejected rows, kept in a folder of any store: one JSON-lines file per table per run, {@code
 * JOB/TABLE/run-N.jsonl} below the dead-letter root, a line per row with its source, line, column,
 * value, reason and the row's fields as read. Each piece writes its rows to a part of its own
 * (named by the piece, so a retried piece replaces its part), which the table's last step gathers
 * into the run's file.
 */
public final class DeadLetter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DeadLetter() {}

  /** The run's file of a table, below the dead-letter root. */
  public static String fileKey(String job, String table, long runNumber) {
    return job + "/" + table + "/run-" + runNumber + ".jsonl";
  }

  /** Where the pieces of a table's run put their parts, below the dead-letter root. */
  public static String partsPrefix(String job, String table, long runId) {
    return job + "/" + table + "/.run-id-" + runId + ".parts/";
  }

  /**
   * Gathers the parts of a table's run into its file and removes them; returns the file's key, or
   * null when no piece rejected a row. A second call finds no parts and leaves the file as it is.
   */
  public static String gather(Store store, String job, String table, long runId, long runNumber)
      throws IOException {
    String prefix = partsPrefix(job, table, runId);
    List<FileInfo> parts = new ArrayList<>();
    try (Listing listing = store.list(prefix, true)) {
      while (listing.hasNext()) {
        parts.add(listing.next());
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (parts.isEmpty()) {
      return null;
    }
    parts.sort((a, b) -> a.key().compareTo(b.key()));
    long size = parts.stream().mapToLong(FileInfo::size).sum();
    String key = fileKey(job, table, runNumber);
    List<InputStream> streams = new ArrayList<>();
    try {
      for (FileInfo part : parts) {
        streams.add(store.open(part));
      }
      store.put(
          key,
          new SequenceInputStream(Collections.enumeration(streams)),
          new FileInfo(key, size, null, null));
    } finally {
      for (InputStream in : streams) {
        in.close();
      }
    }
    for (FileInfo part : parts) {
      store.delete(part.key());
    }
    return key;
  }

  /**
   * The rows one piece rejects, in a local temporary file until the piece ends (so memory stays
   * bounded however many there are), then stored as the piece's part.
   */
  public static final class Part implements AutoCloseable {
    private final String source;
    private Path file;
    private OutputStream out;
    private JsonGenerator json;
    private long rows;

    /**
     * @param source the piece's file, as every line names it
     */
    public Part(String source) {
      this.source = source;
    }

    /** Keeps one rejected row. */
    public void add(SourceRow row, RowRejected why) throws IOException {
      add(source, row, why);
    }

    /** Keeps one rejected row of {@code source}: a file of a piece that groups several. */
    public void add(String source, SourceRow row, RowRejected why) throws IOException {
      if (json == null) {
        file = Files.createTempFile("copyjob-rejected-", ".jsonl");
        out = new BufferedOutputStream(Files.newOutputStream(file));
        json = JSON.getFactory().createGenerator(out);
        json.setRootValueSeparator(null);
      }
      json.writeStartObject();
      json.writeStringField("source", source);
      if (row.line() > 0) { // a Parquet row has no line, only its place
        json.writeNumberField("line", row.line());
      }
      if (row.element() > 0) {
        json.writeNumberField("element", row.element());
      }
      json.writeStringField("column", why.column() == null ? null : why.column().replace("'", ""));
      json.writeStringField("value", why.value() == null ? null : String.valueOf(why.value()));
      json.writeStringField("reason", why.reason());
      json.writeArrayFieldStart("row");
      for (Object value : row.values()) {
        json.writeString(value == null ? null : String.valueOf(value));
      }
      json.writeEndArray();
      json.writeEndObject();
      json.writeRaw('\n');
      rows++;
    }

    public long rows() {
      return rows;
    }

    /** Stores the part at {@code key} of {@code store}, if any row was rejected. */
    public void store(Store store, String key) throws IOException {
      if (json == null) {
        return;
      }
      json.flush();
      out.flush();
      long size = Files.size(file);
      try (InputStream in = Files.newInputStream(file)) {
        store.put(key, in, new FileInfo(key, size, null, null));
      }
    }

    @Override
    public void close() throws IOException {
      if (json != null) {
        json.close();
        Files.deleteIfExists(file);
        json = null;
      }
    }
  }
}
