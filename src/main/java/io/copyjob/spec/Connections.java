package io.copyjob.spec;

import java.net.URI;
import java.util.List;

/** Which kind of connection reaches which URI schemes. */
public final class Connections {
  static final List<String> S3_SCHEMES = List.of("s3");
  static final List<String> AZURE_SCHEMES = List.of("azfs", "abfs", "abfss", "https", "http");

  private Connections() {}

  /** Whether {@code connection} is of the kind that reaches {@code root}. */
  public static boolean serves(Connection connection, URI root) {
    String scheme = root.getScheme();
    if (connection instanceof Connection.S3) {
      return S3_SCHEMES.contains(scheme);
    }
    return connection instanceof Connection.Azure && AZURE_SCHEMES.contains(scheme);
  }
}
