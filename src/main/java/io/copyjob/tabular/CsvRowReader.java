package io.copyjob.tabular;

import io.copyjob.spec.TabularSpec.CsvSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.io.input.BOMInputStream;

/**
 * A CSV file read with Apache Commons CSV, one record at a time: quoted fields may hold delimiters,
 * quotes and line breaks (which line-based readers such as Beam's CsvIO split wrongly). Text not in
 * the file's encoding is an error, never replaced; a byte order mark is dropped (in UTF-8, UTF-16
 * or UTF-32). Blank lines are skipped.
 */
final class CsvRowReader implements RowReader {
  private final String where;
  private final String encoding;
  private final BufferedReader text;
  private final CSVParser parser;
  private final Iterator<CSVRecord> records;
  private final String nullValue;
  private final long lineOffset;
  private final List<String> header;

  CsvRowReader(InputStream in, CsvSpec csv, String where) throws IOException {
    this.where = where;
    this.nullValue = csv.nullValue();
    this.encoding = csv.encoding();
    Charset charset = Charset.forName(csv.encoding());
    InputStream content =
        charset.equals(StandardCharsets.UTF_8)
            ? BOMInputStream.builder().setInputStream(in).get()
            : in;
    this.text =
        new BufferedReader(
            new InputStreamReader(
                content,
                charset
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)),
            64 * 1024);
    dropByteOrderMark();
    long skipped = 0;
    while (skipped < csv.skipLines() && readLine() != null) {
      skipped++;
    }
    this.lineOffset = skipped;
    CSVFormat format =
        CSVFormat.RFC4180
            .builder()
            .setDelimiter(csv.delimiter())
            .setQuote(csv.quote())
            .setEscape(csv.escape())
            // Blank lines are skipped below, so that a record's first line is known before it.
            .setIgnoreEmptyLines(false)
            .build();
    this.parser = CSVParser.parse(text, format);
    this.records = parser.iterator();
    if (csv.header()) {
      SourceRow first = next(false);
      this.header = first == null ? null : names(first); // an empty file has neither
    } else {
      this.header = null;
    }
  }

  /**
   * Drops a byte order mark, whatever the Unicode encoding: a decoder for UTF-16LE, UTF-16BE or
   * UTF-32 keeps it as a first character U+FEFF, which would end up in the first column's name.
   */
  private void dropByteOrderMark() throws IOException {
    try {
      text.mark(1);
      if (text.read() != '\uFEFF') {
        text.reset();
      }
    } catch (CharacterCodingException e) {
      throw new RowReadException(where + " line 1: " + encodingError(), e);
    }
  }

  private String readLine() throws IOException {
    try {
      return text.readLine();
    } catch (CharacterCodingException e) {
      throw new RowReadException(where + " line " + (lineOffset + 1) + ": " + encodingError(), e);
    }
  }

  private static List<String> names(SourceRow row) {
    return java.util.Arrays.stream(row.values()).map(v -> v == null ? "" : (String) v).toList();
  }

  @Override
  public Optional<List<String>> columnNames() {
    return Optional.ofNullable(header);
  }

  @Override
  public SourceRow next() throws IOException {
    return next(true);
  }

  private SourceRow next(boolean nulls) throws IOException {
    while (true) {
      long line = lineOffset + parser.getCurrentLineNumber() + 1;
      CSVRecord record;
      try {
        if (!records.hasNext()) {
          return null;
        }
        record = records.next();
      } catch (UncheckedIOException e) {
        throw new RowReadException(where + " line " + line + ": " + reason(e.getCause()), e);
      } catch (IllegalStateException e) {
        throw new RowReadException(where + " line " + line + ": " + reason(e), e);
      }
      if (record.size() == 1 && record.get(0).isEmpty()) {
        continue; // a blank line
      }
      Object[] values = new Object[record.size()];
      for (int i = 0; i < values.length; i++) {
        String value = record.get(i);
        values[i] = nulls && value.equals(nullValue) ? null : value;
      }
      return new SourceRow(line, values);
    }
  }

  private String reason(Throwable e) {
    if (e instanceof CharacterCodingException) {
      return encodingError();
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    // The parser counts lines from where this reader began; the line is given already.
    message = message.replaceAll("\\(startline \\d+\\)\\s*", "");
    return "malformed CSV: " + message.replaceAll("\\s*\\R\\s*", " ");
  }

  private String encodingError() {
    return "not valid " + encoding + " text";
  }

  @Override
  public String where() {
    return where;
  }

  @Override
  public void close() throws IOException {
    parser.close();
  }
}
