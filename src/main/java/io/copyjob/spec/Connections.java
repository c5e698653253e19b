package io.copyjob.spec;

import java.net.URI;
import java.util.List;

/** Which kind of connection reaches which URI schemes. */
public final class Connections {
  static final List<String> S3_SCHEMES = List.of("s3");
  static final List<String> AZURE_SCHEMES = List.of("azfs", "abfs", "abfss", "https", "http");

  /**
   * The Hadoop file systems a {@code hadoop} connection reaches: HDFS over RPC and over HTTP(S),
   * ADLS Gen1, and the federated and Ozone schemes whose connectors a user may add. Hadoop's own
   * {@code file:}, {@code s3a:} and {@code abfs:} are left to copyjob's native stores.
   */
  public static final List<String> HADOOP_SCHEMES =
      List.of("hdfs", "webhdfs", "swebhdfs", "adl", "viewfs", "o3fs", "ofs");

  private Connections() {}

  /** Whether {@code connection} is of the kind that reaches {@code root}. */
  public static boolean serves(Connection connection, URI root) {
    String scheme = root.getScheme();
    if (connection instanceof Connection.S3) {
      return S3_SCHEMES.contains(scheme);
    }
    if (connection instanceof Connection.Hadoop) {
      return HADOOP_SCHEMES.contains(scheme);
    }
    return connection instanceof Connection.Azure && AZURE_SCHEMES.contains(scheme);
  }
}
