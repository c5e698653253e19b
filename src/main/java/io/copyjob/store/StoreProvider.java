package io.copyjob.store;

import java.net.URI;

/**
 * Opens stores of one URI scheme; found through {@link java.util.ServiceLoader}, so that a store
 * can be added without the engine knowing it.
 */
public interface StoreProvider {
  /** The URI scheme this provider opens, e.g. {@code hdfs}. */
  String scheme();

  Store open(URI root);
}
