package io.copyjob.store;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** MD5, the checksum S3 (single-part ETag) and Azure (Content-MD5) keep natively. */
public final class Checksums {
  private Checksums() {}

  public static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has MD5", e);
    }
  }

  /** Reads {@code in} to its end and returns the hex MD5 of what was read. */
  public static String md5Hex(InputStream in) throws IOException {
    MessageDigest md5 = newMd5();
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = in.read(buffer)) != -1; ) {
      md5.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(md5.digest());
  }

  public static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }
}
