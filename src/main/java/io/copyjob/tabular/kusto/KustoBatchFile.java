package io.copyjob.tabular.kusto;

import com.google.common.io.CountingOutputStream;
import io.copyjob.spec.KustoSpec;
import io.copyjob.spec.TabularSpec.ParquetCompression;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.files.ParquetPartWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * One batch's local file, in the table's format, and its raw size: what Kusto's guidance sizes an
 * ingestion by (its uncompressed bytes), the rows' CSV text for either format (for Parquet an
 * estimate of it, counted without formatting the values), so one {@code batchSize} means about the
 * same rows for both. Not thread-safe.
 */
abstract class KustoBatchFile implements AutoCloseable {
  private static final CSVFormat CSV = CSVFormat.RFC4180.builder().setRecordSeparator('\n').build();

  /** Writes a row's values, in the batch's columns' order. */
  abstract void write(Object[] values) throws IOException;

  /** The raw (uncompressed CSV) bytes of the rows written so far. */
  abstract long rawBytes();

  /** Completes the file (a Parquet footer). */
  abstract void finish() throws IOException;

  @Override
  public abstract void close() throws IOException;

  static KustoBatchFile open(Path file, KustoSpec.DataFormat format, List<SinkColumn> columns)
      throws IOException {
    return format == KustoSpec.DataFormat.PARQUET ? new Parquet(file, columns) : new Csv(file);
  }

  /**
   * CSV, uncompressed: the SDK sends the exact raw size of an uncompressed file with its ingestion
   * (Kusto's batching goes by it), and compresses it with gzip as it uploads it.
   */
  private static final class Csv extends KustoBatchFile {
    private final CountingOutputStream counted;
    private final CSVPrinter printer;

    Csv(Path file) throws IOException {
      counted = new CountingOutputStream(Files.newOutputStream(file));
      printer =
          new CSVPrinter(
              new BufferedWriter(new OutputStreamWriter(counted, StandardCharsets.UTF_8), 1 << 16),
              CSV);
    }

    @Override
    void write(Object[] values) throws IOException {
      for (Object value : values) {
        printer.print(KustoPieceWriter.text(value));
      }
      printer.println();
    }

    @Override
    long rawBytes() {
      return counted.getCount();
    }

    @Override
    void finish() throws IOException {
      printer.close();
    }

    @Override
    public void close() throws IOException {
      printer.close();
    }
  }

  /**
   * Parquet with Snappy (which Kusto reads), written by the file sink's writer: each column of its
   * logical type, so Kusto takes decimals, timestamps and numbers as they are. The SDK uploads it
   * as it is (Parquet is compressed already) and sends the file's size as its raw size.
   */
  private static final class Parquet extends KustoBatchFile {
    private final ParquetPartWriter writer;
    private long raw;

    Parquet(Path file, List<SinkColumn> columns) throws IOException {
      writer =
          new ParquetPartWriter(
              file, columns, ParquetCompression.SNAPPY, ParquetPartWriter.MAX_ROW_GROUP);
    }

    @Override
    void write(Object[] values) throws IOException {
      writer.write(values);
      for (Object value : values) {
        raw += textLength(value) + 1; // a field and its separator
      }
    }

    @Override
    long rawBytes() {
      return raw;
    }

    /**
     * About the length of {@link KustoPieceWriter#text}{@code (value)}, without formatting it: a
     * text's characters, a number's digits, an ISO-8601 timestamp's 20 to 30 characters.
     */
    private static int textLength(Object value) {
      if (value == null) {
        return 0;
      }
      if (value instanceof String text) {
        return text.length();
      }
      if (value instanceof BigDecimal d) {
        return Math.max(d.precision(), d.scale() + 1) + (d.scale() > 0 ? 1 : 0) + 1;
      }
      if (value instanceof Long || value instanceof Integer || value instanceof Short) {
        long n = ((Number) value).longValue();
        return n == Long.MIN_VALUE ? 20 : Long.toString(n).length();
      }
      if (value instanceof OffsetDateTime || value instanceof LocalDateTime) {
        return 24;
      }
      if (value instanceof byte[] bytes) {
        return (bytes.length + 2) / 3 * 4;
      }
      return KustoPieceWriter.text(value).length();
    }

    @Override
    void finish() throws IOException {
      writer.finish();
    }

    @Override
    public void close() throws IOException {
      writer.close();
    }
  }
}
