package io.copyjob.control;

import java.net.URI;

/**
 * Roots named by a bucket or container name in a control table's root column (the seed's
 * "BucketName"), and the name of a root. The name takes the place of what names a bucket in the
 * job's source root: the authority of {@code s3://bucket/}, the container of {@code
 * azfs://account/container/}, the last folder of a {@code file:} or {@code hdfs:} root.
 */
public final class RootNames {
  private RootNames() {}

  /**
   * The root URI (ending in '/') a root column's value names, next to {@code sourceRoot}: a URI as
   * it is, a name as above, or, beside a {@code file:} or {@code hdfs:} root, an absolute path on
   * the same file system ({@code /data/other}). A bucket or container name cannot start with '/'.
   *
   * @throws IllegalArgumentException for a value that names no root, saying why
   */
  public static String resolve(String sourceRoot, String value) {
    if (value.contains("://") || value.startsWith("file:")) {
      return value.endsWith("/") ? value : value + "/";
    }
    URI root = URI.create(sourceRoot);
    String scheme = root.getScheme();
    if (value.isBlank()) {
      throw new IllegalArgumentException(
          "root: empty; give a URI or a bucket, container or folder name");
    }
    if (value.startsWith("/")) {
      if (scheme.equals("file") || scheme.equals("hdfs")) {
        String path = value.endsWith("/") ? value : value + "/";
        try {
          return new URI(
                  scheme, root.getAuthority() == null ? "" : root.getAuthority(), path, null, null)
              .toString();
        } catch (java.net.URISyntaxException e) {
          throw new IllegalArgumentException("root '" + value + "': " + e.getMessage(), e);
        }
      }
      throw new IllegalArgumentException(
          "root '"
              + value
              + "': a bucket or container name cannot start with '/'; give the name alone or a URI ("
              + scheme
              + "://...)");
    }
    if (scheme.equals("s3") || scheme.equals("gs")) {
      return scheme + "://" + value + "/";
    }
    String path = root.getRawPath();
    if (scheme.equals("azfs")) {
      return scheme + "://" + root.getRawAuthority() + "/" + value + "/";
    }
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String parent = trimmed.substring(0, trimmed.lastIndexOf('/') + 1);
    String authority = root.getRawAuthority() == null ? "" : root.getRawAuthority();
    return scheme + "://" + authority + parent + value + "/";
  }

  /** The bucket, container or folder name of a root. */
  public static String name(String root) {
    URI uri = URI.create(root);
    String scheme = uri.getScheme();
    if (scheme.equals("s3") || scheme.equals("gs")) {
      return uri.getAuthority();
    }
    String path = uri.getPath();
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    if (scheme.equals("azfs")) {
      return trimmed.substring(1).split("/", 2)[0];
    }
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }
}
