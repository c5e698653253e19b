package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.store.ThrottledStore;
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
  private final JobSpec.CopySpec copy;

  /**
   * @param copy the job's copy settings: their request and byte caps apply to every store
   */
  StoreCache(JobSpec.CopySpec copy) {
    this.copy = copy;
  }

  Store get(String root) {
    return stores.computeIfAbsent(
        root,
        r ->
            ThrottledStore.wrap(
                Stores.open(URI.create(r)), copy.maxRequestsPerSecond(), copy.maxBytesPerSecond()));
  }

  @Override
  public void close() throws IOException {
    for (Store store : stores.values()) {
      store.close();
    }
    stores.clear();
  }
}
