package io.copyjob.store;

import java.net.URI;

/** Opens the store a root URI names. */
public final class Stores {
  private Stores() {}

  /** Opens the store for {@code root}; throws IllegalArgumentException naming an unknown scheme. */
  public static Store open(URI root) {
    String scheme = root.getScheme() == null ? "file" : root.getScheme();
    switch (scheme) {
      case "file":
        return new LocalStore(root);
      default:
        throw new IllegalArgumentException("unsupported store scheme '" + scheme + "' in " + root);
    }
  }
}
