package io.copyjob.tabular.files;

import com.google.common.io.CountingOutputStream;
import io.copyjob.spec.TabularSpec.CsvSpec;
import io.copyjob.tabular.SinkColumn;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.math.BigDecimal;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * One CSV file written with Apache Commons CSV (RFC 4180: a field holding the delimiter, a quote or
 * a line break is quoted, quotes doubled unless an escape is set; lines end in CRLF), with a header
 * line when the sink's {@code csv.header} says so, NULL as {@code csv.nullValue}, optionally gzip.
 * Values are written as copyjob's CSV reader reads them back: numbers in plain notation, dates and
 * timestamps in ISO-8601 (a timestamptz with its offset), bytes in hex after {@code \x} (as
 * PostgreSQL writes bytea).
 */
final class CsvPartWriter implements PartWriter {
  private final CountingOutputStream counted;
  private final CSVPrinter printer;

  CsvPartWriter(Path file, List<SinkColumn> columns, CsvSpec csv, boolean gzip) throws IOException {
    counted =
        new CountingOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
    OutputStream out = gzip ? new GZIPOutputStream(counted, 1 << 16) : counted;
    CSVFormat.Builder format =
        CSVFormat.RFC4180
            .builder()
            .setDelimiter(csv.delimiter())
            .setQuote(csv.quote())
            .setEscape(csv.escape())
            .setNullString(csv.nullValue())
            .setRecordSeparator("\r\n");
    if (csv.header()) {
      format.setHeader(columns.stream().map(SinkColumn::name).toArray(String[]::new));
    }
    printer =
        new CSVPrinter(
            new OutputStreamWriter(out, Charset.forName(csv.encoding())), format.build());
  }

  @Override
  public void write(Object[] values) throws IOException {
    for (Object value : values) {
      printer.print(text(value));
    }
    printer.println();
  }

  /** A value's text: plain numbers, ISO-8601 dates and times with their seconds always written. */
  private static Object text(Object value) {
    if (value instanceof BigDecimal decimal) {
      return decimal.toPlainString();
    }
    if (value instanceof LocalDateTime local) {
      return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(local);
    }
    if (value instanceof OffsetDateTime offset) {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(offset);
    }
    if (value instanceof LocalTime time) {
      return DateTimeFormatter.ISO_LOCAL_TIME.format(time);
    }
    if (value instanceof byte[] bytes) {
      return "\\x" + HexFormat.of().formatHex(bytes); // as PostgreSQL writes bytea
    }
    return value;
  }

  /** The bytes on disk so far (after compression): what is still buffered is not counted. */
  @Override
  public long bytes() {
    return counted.getCount();
  }

  @Override
  public void finish() throws IOException {
    printer.close(true);
  }

  @Override
  public void close() throws IOException {
    printer.close();
  }
}
