package io.copyjob.tabular.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.tabular.RowReadException;
import io.copyjob.tabular.RowReader;
import io.copyjob.tabular.RowRejected;
import io.copyjob.tabular.SourceRow;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

/** Rows read ahead on a thread of their own come out as the reader gives them, and no more. */
public class ReadAheadTest {

  @Test
  public void everyRowComesOutInOrderMappedOrWithItsReason() throws IOException {
    int rows = 3 * ReadAhead.CHUNK + 17;
    Rows reader = new Rows(rows, -1);
    List<Long> lines = new ArrayList<>();
    List<Long> refused = new ArrayList<>();

    try (ReadAhead ahead = new ReadAhead(reader, reader.next(), ReadAheadTest::map)) {
      for (ReadAhead.Item item = ahead.next(); item != null; item = ahead.next()) {
        lines.add(item.row().line());
        if (item.rejected() != null) {
          refused.add(item.row().line());
          assertThat(item.values()).isNull();
          assertThat(item.rejected().reason()).contains("seven");
        } else {
          assertThat(item.values()).containsExactly("v" + item.row().line());
        }
      }
      assertThat(ahead.next()).isNull();
    }

    assertThat(lines).hasSize(rows);
    for (int i = 0; i < rows; i++) {
      assertThat(lines.get(i)).isEqualTo(i + 1L);
    }
    assertThat(refused).hasSize(rows / 7).allMatch(line -> line % 7 == 0);
  }

  @Test
  public void aReadFailureComesOutAfterEveryRowBeforeIt() throws IOException {
    int failAt = ReadAhead.CHUNK + 5;
    Rows reader = new Rows(5 * ReadAhead.CHUNK, failAt);

    try (ReadAhead ahead = new ReadAhead(reader, reader.next(), ReadAheadTest::map)) {
      assertThatThrownBy(
              () -> {
                long n = 0;
                while (ahead.next() != null) {
                  n++;
                }
                throw new AssertionError("no failure after " + n + " rows");
              })
          .isInstanceOf(RowReadException.class)
          .hasMessage("rows.csv line " + failAt + ": malformed CSV");
      assertThat(ahead.next()).isNull();
    }
    assertThat(reader.read.get()).isEqualTo(failAt); // nothing read past the failure
  }

  @Test
  public void closingEarlyStopsTheReaderWithAFewChunksRead() throws Exception {
    Rows reader = new Rows(1_000_000, -1);
    ReadAhead ahead = new ReadAhead(reader, reader.next(), ReadAheadTest::map);
    assertThat(ahead.next().row().line()).isEqualTo(1);
    Thread.sleep(200); // the reader fills its queue, then waits

    ahead.close();

    // Bounded memory: the queue's chunks, the one being filled, the one being taken.
    long read = reader.read.get();
    assertThat(read).isLessThanOrEqualTo((ReadAhead.CHUNKS_AHEAD + 2L) * ReadAhead.CHUNK);
    Thread.sleep(100);
    assertThat(reader.read.get()).isEqualTo(read);
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("copyjob-read-ahead rows.csv"));
  }

  private static Object[] map(SourceRow row) throws RowRejected {
    if (row.line() % 7 == 0) {
      throw new RowRejected("'a'", row.values()[0], "is a multiple of seven");
    }
    return new Object[] {"v" + row.line()};
  }

  /** Rows 1..n, one field each; a malformed line at {@code failAt} (1-based), if any. */
  private static final class Rows implements RowReader {
    final AtomicLong read = new AtomicLong();
    private final long rows;
    private final long failAt;

    Rows(long rows, long failAt) {
      this.rows = rows;
      this.failAt = failAt;
    }

    @Override
    public Optional<List<String>> columnNames() {
      return Optional.empty();
    }

    @Override
    public SourceRow next() throws IOException {
      long line = read.incrementAndGet();
      if (line == failAt) {
        throw new RowReadException(where() + " line " + line + ": malformed CSV", null);
      }
      return line > rows ? null : new SourceRow(line, new Object[] {String.valueOf(line)});
    }

    @Override
    public String where() {
      return "rows.csv";
    }

    @Override
    public void close() {}
  }
}
