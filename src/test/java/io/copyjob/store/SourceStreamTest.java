package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.Test;

/** The exact-length rule of a listed file's content, whatever reads it and however. */
public class SourceStreamTest {
  private static final byte[] DATA = "0123456789".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private static SourceStream listedAs(byte[] content, long listedSize) {
    return new SourceStream(
        new ByteArrayInputStream(content), new FileInfo("k", listedSize, null, null), "mem:k");
  }

  @Test
  public void theListedBytesThenTheEnd() throws Exception {
    try (SourceStream in = listedAs(DATA, DATA.length)) {
      assertThat(in.readAllBytes()).isEqualTo(DATA);
      assertThat(in.read()).isEqualTo(-1);
      assertThat(in.count()).isEqualTo(DATA.length);
      assertThat(in.failure()).isNull();
    }
  }

  @Test
  public void aLongerSourceFailsBeforeTheLastListedByteIsHandedOut() throws Exception {
    SourceStream in = listedAs(DATA, DATA.length - 1);
    byte[] buffer = new byte[DATA.length];
    // Whoever reads exactly the listed size (as an upload with a known length does) never gets it.
    assertThatThrownBy(() -> in.readNBytes(buffer, 0, DATA.length - 1))
        .isInstanceOf(SourceChangedException.class)
        .hasMessage("mem:k changed since it was listed (it has more than the listed 9 bytes)");
    assertThat(in.count()).isLessThan(DATA.length - 1);
    assertThat(in.failure()).isInstanceOf(SourceChangedException.class);
    assertThatThrownBy(in::read).isSameAs(in.failure());
  }

  @Test
  public void aShorterSourceFailsAtItsEnd() {
    SourceStream in = listedAs(DATA, DATA.length + 5);
    assertThatThrownBy(in::readAllBytes)
        .isInstanceOf(SourceChangedException.class)
        .hasMessage("mem:k changed since it was listed (it ended after 10 of the listed 15 bytes)");
  }

  @Test
  public void aStoresCheckAtTheEndComesBeforeTheLastBytes() {
    SourceStream in =
        new SourceStream(
            new ByteArrayInputStream(DATA), new FileInfo("k", DATA.length, null, null), "mem:k") {
          @Override
          protected void checkUnchanged() throws IOException {
            throw new SourceChangedException("mem:k", "its time moved", null);
          }
        };
    byte[] buffer = new byte[DATA.length];
    assertThatThrownBy(() -> in.readNBytes(buffer, 0, DATA.length))
        .hasMessageContaining("its time moved");
    assertThat(in.count()).isZero();
  }

  @Test
  public void skippingAndSingleBytesCountToo() throws Exception {
    SourceStream in = listedAs(DATA, DATA.length - 2);
    assertThat(in.skip(3)).isEqualTo(3);
    assertThat(in.read()).isEqualTo('3');
    assertThatThrownBy(() -> in.skip(100)).isInstanceOf(SourceChangedException.class);
  }

  @Test
  public void markAndResetSendTheSameBytesAgain() throws Exception {
    InputStream markable = new BufferedInputStream(new ByteArrayInputStream(DATA));
    try (SourceStream in =
        new SourceStream(markable, new FileInfo("k", DATA.length, null, null), "mem:k")) {
      assertThat(in.markSupported()).isTrue();
      in.mark(DATA.length);
      assertThat(in.readAllBytes()).isEqualTo(DATA);
      in.reset();
      assertThat(in.count()).isZero();
      assertThat(in.readAllBytes()).isEqualTo(DATA);
      assertThat(Arrays.equals(in.readAllBytes(), new byte[0])).isTrue();
    }
  }
}
