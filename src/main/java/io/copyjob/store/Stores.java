package io.copyjob.store;

import java.net.URI;
import java.util.ServiceLoader;

/** Opens the store a root URI names. */
public final class Stores {
  private Stores() {}

  /** Opens the store for {@code root}; throws IllegalArgumentException naming an unknown scheme. */
  public static Store open(URI root) {
    String scheme = root.getScheme() == null ? "file" : root.getScheme();
    if (scheme.equals("file")) {
      return new LocalStore(root);
    }
    for (StoreProvider provider : ServiceLoader.load(StoreProvider.class)) {
      if (provider.scheme().equals(scheme)) {
        return provider.open(root);
      }
    }
    throw new IllegalArgumentException("unsupported store scheme '" + scheme + "' in " + root);
  }
}
