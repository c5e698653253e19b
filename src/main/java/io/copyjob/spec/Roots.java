package io.copyjob.spec;

import io.copyjob.store.azure.AzureUri;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns the {@code root} a job file writes into the normalised URI every store is opened with. */
final class Roots {
  /** The schemes copyjob has a store for (directly or through Beam's and Hadoop's file systems). */
  static final List<String> SCHEMES =
      java.util.stream.Stream.concat(
              java.util.stream.Stream.of("file", "s3", "azfs", "abfss", "https", "http"),
              Connections.HADOOP_SCHEMES.stream())
          .toList();

  // Two or more letters: a one-letter "scheme" is a Windows drive (C:\data), i.e. a path.
  private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):");

  private Roots() {}

  /**
   * The root as an absolute URI ending in '/': a URI of a known scheme is normalised; a plain path
   * (absolute, relative to {@code baseDir}, or starting with {@code ~/}) becomes a {@code file:}
   * URI. Throws IllegalArgumentException with a reason fit for a one-line message.
   */
  static URI resolve(String text, Path baseDir) {
    Matcher scheme = SCHEME.matcher(text);
    if (scheme.find()) {
      return uri(text, scheme.group(1).toLowerCase(Locale.ROOT));
    }
    try {
      return directory(baseDir.resolve(expandHome(text)).normalize());
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("not a valid path (" + e.getReason() + ")");
    }
  }

  /**
   * True when one root is the other or lies below it, so a copy would read what it writes. Local
   * folders are compared where they really are (a symbolic link on the way followed, for the part
   * that exists); an Azure container is the same whether named {@code azfs://ACCOUNT/CONTAINER/},
   * {@code abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/} or {@code
   * https://ACCOUNT.blob.core.windows.net/CONTAINER/}. Other roots of different schemes or
   * authorities never overlap (we cannot tell that two endpoints name the same storage).
   */
  static boolean overlap(URI a, URI b) {
    URI x = canonical(a);
    URI y = canonical(b);
    return x.getScheme().equalsIgnoreCase(y.getScheme())
        && String.valueOf(x.getRawAuthority()).equalsIgnoreCase(String.valueOf(y.getRawAuthority()))
        && (x.getRawPath().startsWith(y.getRawPath()) || y.getRawPath().startsWith(x.getRawPath()));
  }

  /**
   * The one form of a root that {@link #overlap} compares: an Azure container as {@code
   * azure://ACCOUNT/CONTAINER/PATH/} from any form {@link AzureUri} reads, except an emulator's
   * path-style URL (its account's endpoint is the connection's, not known here).
   */
  private static URI canonical(URI root) {
    String scheme = root.getScheme().toLowerCase(Locale.ROOT);
    try {
      if (scheme.equals("file")) {
        return directory(realPath(Path.of(root)));
      }
      boolean azure =
          scheme.equals("azfs")
              || scheme.startsWith("abfs")
              || (scheme.startsWith("http") && AzureUri.namesAccountByHost(root));
      if (!azure) {
        return root;
      }
      AzureUri at = AzureUri.parse(root);
      return new URI("azure", at.account(), "/" + at.container() + "/" + at.path(), null);
    } catch (RuntimeException | URISyntaxException e) {
      return root; // not a form we can take apart: compared as written
    }
  }

  /** Where a folder really is: its deepest existing ancestor's real path, then the rest. */
  private static Path realPath(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !java.nio.file.Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return absolute;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
    } catch (java.io.IOException e) {
      return absolute;
    }
  }

  // The shell expands ~ but Java does not; a user who writes ~/data means their home.
  private static String expandHome(String text) {
    if (text.equals("~") || text.startsWith("~/")) {
      return System.getProperty("user.home") + text.substring(1);
    }
    return text;
  }

  private static URI uri(String text, String scheme) {
    if (!SCHEMES.contains(scheme)) {
      throw new IllegalArgumentException(
          "unsupported scheme '"
              + scheme
              + ":'; use "
              + String.join(":, ", SCHEMES)
              + ": or a path");
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URI (" + e.getReason() + ")");
    }
    if (uri.isOpaque() || uri.getRawPath() == null) {
      throw new IllegalArgumentException("must be " + scheme + "://…/, got '" + text + "'");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      // A query on a storage URL is usually a SAS token: a secret, which a job file never holds.
      throw new IllegalArgumentException("must not have a query (?…) or fragment (#…)");
    }
    if (scheme.equals("file")) {
      if (uri.getRawAuthority() != null && !uri.getRawAuthority().equals("localhost")) {
        // file://data/src names host "data"; the writer almost always meant /data/src.
        throw new IllegalArgumentException(
            "file: URI names host '"
                + uri.getRawAuthority()
                + "'; write a local folder with three slashes, e.g. file:///data/src/");
      }
      return directory(Path.of(URI.create("file://" + uri.getRawPath())).normalize());
    }
    if (uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty()) {
      throw new IllegalArgumentException(
          "must name a bucket, account or host, e.g. " + scheme + "://NAME/path/");
    }
    String path = uri.normalize().getRawPath();
    return URI.create(scheme + "://" + uri.getRawAuthority() + withSlash(path));
  }

  private static URI directory(Path absolute) {
    // Path.toUri() ends in '/' only when the folder already exists; a root is always a folder.
    return URI.create(withSlash(absolute.toUri().toString()));
  }

  private static String withSlash(String path) {
    return path.endsWith("/") ? path : path + "/";
  }
}
