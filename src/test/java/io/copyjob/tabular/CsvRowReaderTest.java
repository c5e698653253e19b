package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.spec.TabularSpec.CsvSpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

/**
 * CSV settings the end-to-end tests do not reach: a byte order mark in any Unicode encoding, an
 * escape.
 */
public class CsvRowReaderTest {
  private static List<String> rows(String text, String charset, CsvSpec csv) throws Exception {
    List<String> rows = new ArrayList<>();
    try (CsvRowReader reader =
        new CsvRowReader(
            new ByteArrayInputStream(text.getBytes(Charset.forName(charset))), csv, "x.csv")) {
      rows.add(String.join("|", reader.columnNames().orElseThrow()));
      for (SourceRow row = reader.next(); row != null; row = reader.next()) {
        rows.add(row.line() + ": " + Arrays.toString(row.values()));
      }
    }
    return rows;
  }

  private static CsvSpec encoding(String charset) {
    CsvSpec d = CsvSpec.DEFAULT;
    return new CsvSpec(
        d.delimiter(), d.quote(), d.escape(), d.header(), d.nullValue(), charset, d.skipLines());
  }

  @Test
  public void aByteOrderMarkIsDroppedInEveryUnicodeEncoding() throws Exception {
    for (String charset : List.of("UTF-8", "UTF-16LE", "UTF-16BE", "UTF-32LE")) {
      assertThat(rows("\uFEFFid,name\n1,caf\u00e9\n", charset, encoding(charset)))
          .as(charset)
          .containsExactly("id|name", "2: [1, caf\u00e9]");
      assertThat(rows("id,name\n1,x\n", charset, encoding(charset)))
          .as(charset + " without a mark")
          .containsExactly("id|name", "2: [1, x]");
    }
  }

  @Test
  public void anEscapeCharacterQuotesTheQuote() throws Exception {
    // ';' between fields, a backslash before a quote inside quotes, 'NULL' for NULL, 2 lines
    // skipped.
    CsvSpec backslash = new CsvSpec(';', '"', '\\', true, "NULL", "UTF-8", 2);
    assertThat(
            rows(
                "exported\nby a tool\nid;note\n1;\"say \\\"hi\\\"; twice\"\n2;NULL\n",
                "UTF-8",
                backslash))
        .containsExactly("id|note", "4: [1, say \"hi\"; twice]", "5: [2, null]");
  }
}
