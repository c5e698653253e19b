package io.copyjob.store;

import io.copyjob.spec.Connection;
import io.copyjob.store.azure.AzureBlobStore;
import io.copyjob.store.hadoop.HadoopStore;
import io.copyjob.store.s3.S3Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ServiceLoader;

/** Opens the store a root URI names, with the connection that reaches it. */
public final class Stores {
  private Stores() {}

  /** Opens {@code root} with the SDKs' default settings and credentials. */
  public static Store open(URI root) {
    return open(root, null);
  }

  /** Opens the store for {@code root} with the default request timeout. */
  public static Store open(URI root, Connection connection) {
    return open(root, connection, RequestTimeouts.DEFAULT.request());
  }

  /** Opens the store for {@code root} with the stores' own part size. */
  public static Store open(URI root, Connection connection, Duration requestTimeout) {
    return open(root, connection, requestTimeout, 0);
  }

  /**
   * Opens the store for {@code root}.
   *
   * @param connection how to reach it; null: the SDK's defaults (the default credential chain)
   * @param requestTimeout {@code copy.requestTimeout}: see {@link RequestTimeouts}
   * @param partSize {@code copy.partSize}: bytes per S3 part or Azure block; 0: the store's own
   * @throws IllegalArgumentException naming an unknown scheme or a connection of another kind
   */
  public static Store open(URI root, Connection connection, Duration requestTimeout, int partSize) {
    String scheme = root.getScheme() == null ? "file" : root.getScheme();
    try {
      switch (scheme) {
        case "file":
          return new LocalStore(root);
        case "s3":
          return S3Store.open(
              root,
              s3(root, connection),
              S3Store.Tuning.DEFAULT.withRequestTimeout(requestTimeout).withPartSize(partSize));
        case "azfs", "abfs", "abfss", "https", "http":
          return AzureBlobStore.open(
              root,
              azure(root, connection),
              AzureBlobStore.Tuning.DEFAULT
                  .withRequestTimeout(requestTimeout)
                  .withBlockSize(partSize));
        default:
          if (io.copyjob.spec.Connections.HADOOP_SCHEMES.contains(scheme)) {
            return HadoopStore.open(root, hadoop(root, connection), requestTimeout);
          }
          break;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (StoreProvider provider : ServiceLoader.load(StoreProvider.class)) {
      if (provider.scheme().equals(scheme)) {
        return provider.open(root);
      }
    }
    throw new IllegalArgumentException("unsupported store scheme '" + scheme + "' in " + root);
  }

  private static Connection.Azure azure(URI root, Connection connection) {
    if (connection == null) {
      return new Connection.Azure("default", null, null, null, null, null, false);
    }
    if (connection instanceof Connection.Azure azure) {
      return azure;
    }
    throw new IllegalArgumentException(
        "connection '" + connection.name() + "' is not an Azure connection, for " + root);
  }

  private static Connection.S3 s3(URI root, Connection connection) {
    if (connection == null) {
      return new Connection.S3("default", null, null, false, null, null, null, false);
    }
    if (connection instanceof Connection.S3 s3) {
      return s3;
    }
    throw new IllegalArgumentException(
        "connection '" + connection.name() + "' is not an S3 connection, for " + root);
  }

  private static Connection.Hadoop hadoop(URI root, Connection connection) {
    if (connection == null || connection instanceof Connection.Hadoop) {
      return (Connection.Hadoop) connection;
    }
    throw new IllegalArgumentException(
        "connection '" + connection.name() + "' is not a Hadoop connection, for " + root);
  }
}
