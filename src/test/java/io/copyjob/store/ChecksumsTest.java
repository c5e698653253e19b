package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.Assume.assumeTrue;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.Test;

/**
 * {@link Checksums#newMd5}: OpenSSL's MD5 where Conscrypt's native library loads, giving the JDK's
 * digests byte for byte however the input is fed to it.
 */
public class ChecksumsTest {
  private static final int[] SIZES = {0, 1, 55, 56, 63, 64, 65, 4096, 65_535, 1 << 20, 3_000_017};

  @Test
  public void onLinuxX8664TheMd5IsOpenSsls() {
    assumeTrue(
        System.getProperty("os.name").equals("Linux")
            && System.getProperty("os.arch").equals("amd64"));
    assertThat(Checksums.md5IsOpenSsl()).isTrue();
    assertThat(Checksums.newMd5().getProvider().getName()).isEqualTo("Conscrypt");
  }

  @Test
  public void itsDigestsAreTheJdksFedWholeInPiecesOrByBuffer() throws Exception {
    Random random = new Random(20261202);
    for (int size : SIZES) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      String jdk = hex(MessageDigest.getInstance("MD5", "SUN").digest(data));

      assertThat(hex(Checksums.newMd5().digest(data))).as("whole, %d bytes", size).isEqualTo(jdk);

      MessageDigest pieces = Checksums.newMd5();
      for (int at = 0; at < size; ) {
        int n = Math.min(size - at, 1 + random.nextInt(70_000));
        pieces.update(data, at, n);
        at += n;
      }
      assertThat(hex(pieces.digest())).as("in pieces, %d bytes", size).isEqualTo(jdk);

      MessageDigest direct = Checksums.newMd5();
      ByteBuffer buffer = ByteBuffer.allocateDirect(size).put(data).flip();
      direct.update(buffer);
      assertThat(hex(direct.digest())).as("direct buffer, %d bytes", size).isEqualTo(jdk);

      MessageDigest heap = Checksums.newMd5();
      heap.update(ByteBuffer.wrap(data));
      assertThat(hex(heap.digest())).as("heap buffer, %d bytes", size).isEqualTo(jdk);

      assertThat(Checksums.md5Hex(new ByteArrayInputStream(data))).isEqualTo(jdk);
    }
  }

  @Test
  public void aDigestIsResetAfterItIsTaken() throws Exception {
    byte[] a = "a copy".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    MessageDigest md5 = Checksums.newMd5();
    md5.update(a);
    String first = hex(md5.digest());
    md5.update(a);
    assertThat(hex(md5.digest())).isEqualTo(first);
    assertThat(first).isEqualTo(hex(MessageDigest.getInstance("MD5", "SUN").digest(a)));
  }

  private static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }
}
