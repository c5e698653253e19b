package io.copyjob.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.HexFormat;
import org.conscrypt.Conscrypt;

/** MD5, the checksum S3 (single-part ETag) and Azure (Content-MD5) keep natively. */
public final class Checksums {
  private Checksums() {}

  /**
   * A new MD5: OpenSSL's, through Conscrypt, where its native library loads (Linux, macOS and
   * Windows on x86-64), else the JDK's. Under the C1 JIT that the launcher runs with, the JDK's MD5
   * reads its input through VarHandles whose bounds checks C1 keeps: 2.6 s per GiB against
   * OpenSSL's 1.5, and a copy to Azure or S3 of a large file hashes every byte twice. The system
   * property {@code copyjob.md5=jdk} keeps the JDK's.
   */
  public static MessageDigest newMd5() {
    Provider openssl = OpenSsl.PROVIDER;
    try {
      return openssl != null
          ? MessageDigest.getInstance("MD5", openssl)
          : MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has MD5", e);
    }
  }

  /** Whether {@link #newMd5} gives OpenSSL's MD5 in this JVM. */
  public static boolean md5IsOpenSsl() {
    return OpenSsl.PROVIDER != null;
  }

  /** Conscrypt's provider, loaded the first time an MD5 is made; null where it cannot load. */
  private static final class OpenSsl {
    static final Provider PROVIDER = load();

    private static Provider load() {
      if ("jdk".equals(System.getProperty("copyjob.md5"))) {
        return null;
      }
      try {
        if (!Conscrypt.isAvailable()) {
          return null;
        }
        Provider provider = Conscrypt.newProvider();
        MessageDigest md5 = MessageDigest.getInstance("MD5", provider);
        // The known answer of RFC 1321's test suite, before any copy is verified with it.
        byte[] abc = md5.digest("abc".getBytes(StandardCharsets.US_ASCII));
        return "900150983cd24fb0d6963f7d28e17f72".equals(HexFormat.of().formatHex(abc))
            ? provider
            : null;
      } catch (NoSuchAlgorithmException | RuntimeException | LinkageError e) {
        return null; // no native library for this platform, or a temporary folder it cannot use
      }
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
