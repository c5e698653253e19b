package io.copyjob.pipeline;

import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stores a DoFn instance has opened, one per root, shared by its threads and closed in
 * teardown. Partitions of several roots share one control table, so a DoFn may need several.
 */
final class StoreCache implements AutoCloseable {
  private final Map<String, Store> stores = new ConcurrentHashMap<>();

  Store get(String root) {
    return stores.computeIfAbsent(root, r -> Stores.open(URI.create(r)));
  }

  @Override
  public void close() throws IOException {
    for (Store store : stores.values()) {
      store.close();
    }
    stores.clear();
  }
}
