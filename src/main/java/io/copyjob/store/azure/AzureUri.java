package io.copyjob.store.azure;

import java.net.URI;

/**
 * A place in Azure Blob Storage, from any of the forms users already have:
 *
 * <ul>
 *   <li>{@code azfs://account/container/path/} (Beam's);
 *   <li>{@code abfss://container@account.dfs.core.windows.net/path/} (ADLS Gen2, Hadoop's);
 *   <li>{@code https://account.blob.core.windows.net/container/path/};
 *   <li>{@code http://127.0.0.1:10000/devstoreaccount1/container/path/} (the emulator's).
 * </ul>
 *
 * @param endpoint the Blob endpoint the URI names, or null when it names none (azfs)
 * @param path the key prefix below the container, empty or ending in '/'
 */
public record AzureUri(String account, String container, String path, String endpoint) {

  public static AzureUri parse(URI uri) {
    String scheme = uri.getScheme();
    String rawPath = uri.getPath() == null ? "" : uri.getPath();
    switch (scheme) {
      case "azfs":
        {
          String[] parts = split(rawPath, 2, uri);
          return new AzureUri(uri.getAuthority(), parts[0], parts[1], null);
        }
      case "abfs":
      case "abfss":
        {
          String userInfo = uri.getUserInfo();
          String host = uri.getHost();
          if (userInfo == null || host == null || !host.contains(".")) {
            throw invalid(uri);
          }
          String account = host.substring(0, host.indexOf('.'));
          String blobHost = host.replace(".dfs.", ".blob.");
          return new AzureUri(account, userInfo, folder(strip(rawPath)), "https://" + blobHost);
        }
      case "https":
      case "http":
        {
          String host = uri.getHost();
          if (host == null) {
            throw invalid(uri);
          }
          if (namesAccountByHost(uri)) {
            String account = host.substring(0, host.indexOf('.'));
            String[] parts = split(rawPath, 2, uri);
            return new AzureUri(
                account,
                parts[0],
                parts[1],
                scheme + "://" + host.replace(".dfs.", ".blob.") + port(uri));
          }
          // The emulator and other path-style endpoints: /account/container/path
          String[] parts = split(rawPath, 3, uri);
          String account = parts[0];
          String[] rest = split("/" + parts[1] + "/" + parts[2], 2, uri);
          return new AzureUri(
              account, rest[0], rest[1], scheme + "://" + host + port(uri) + "/" + account);
        }
      default:
        throw invalid(uri);
    }
  }

  /**
   * Whether an http(s) URL names its account by its host ({@code ACCOUNT.blob.…}), not by the first
   * segment of its path as an emulator's does.
   */
  public static boolean namesAccountByHost(URI uri) {
    String host = uri.getHost();
    return host != null && (host.contains(".blob.") || host.contains(".dfs."));
  }

  /** The Blob endpoint: the URI's, or the public cloud's for the account. */
  public String endpointOr(String configured) {
    if (configured != null) {
      return configured;
    }
    return endpoint != null ? endpoint : "https://" + account + ".blob.core.windows.net";
  }

  private static String port(URI uri) {
    return uri.getPort() < 0 ? "" : ":" + uri.getPort();
  }

  /** The first {@code n - 1} segments of a path, then the rest as a folder ("" or ending '/'). */
  private static String[] split(String rawPath, int n, URI uri) {
    String path = strip(rawPath);
    String[] parts = path.split("/", n);
    if (parts.length < n - 1 || parts[0].isEmpty()) {
      throw invalid(uri);
    }
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      out[i] = i < parts.length ? parts[i] : "";
    }
    out[n - 1] = folder(out[n - 1]);
    return out;
  }

  private static String strip(String path) {
    return path.startsWith("/") ? path.substring(1) : path;
  }

  private static String folder(String path) {
    return path.isEmpty() || path.endsWith("/") ? path : path + "/";
  }

  private static IllegalArgumentException invalid(URI uri) {
    return new IllegalArgumentException(
        "not an Azure Blob URI (azfs://account/container/path/,"
            + " abfss://container@account.dfs.core.windows.net/path/ or"
            + " https://account.blob.core.windows.net/container/path/): "
            + uri);
  }
}
