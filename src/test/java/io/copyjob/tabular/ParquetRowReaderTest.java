package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;

/** What a file that is not Parquet gets: one line naming the store's file, never the local copy. */
public class ParquetRowReaderTest {
  private static void unreadable(byte[] bytes, String message) {
    assertThatThrownBy(
            () ->
                new ParquetRowReader(new ByteArrayInputStream(bytes), List.of(), false, "s3://b/x"))
        .isInstanceOf(RowReadException.class)
        .hasMessage(message);
  }

  @Test
  public void aFileThatIsNotParquetIsNamedInOneLine() {
    unreadable(
        "id,amount\n1,2\n".getBytes(StandardCharsets.UTF_8),
        "s3://b/x: not a readable Parquet file (it is not a Parquet file. Expected magic number at"
            + " tail, but found [49, 44, 50, 10])");
    unreadable(
        new byte[0],
        "s3://b/x: not a readable Parquet file (it is not a Parquet file (length is too low: 0))");
  }
}
