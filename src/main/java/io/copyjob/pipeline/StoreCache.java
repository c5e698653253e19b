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
  private final JobSpec spec;

  /**
   * @param spec the job: its connections reach the stores, its request and byte caps apply to them
   */
  StoreCache(JobSpec spec) {
    this.spec = spec;
  }

  Store get(String root) {
    return stores.computeIfAbsent(
        root,
        r ->
            ThrottledStore.wrap(
                Stores.open(URI.create(r), spec.connectionFor(r)),
                spec.copy().maxRequestsPerSecond(),
                spec.copy().maxBytesPerSecond()));
  }

  /**
   * Checks that the job's source and sink can be reached, creating a missing sink bucket or
   * container where its connection allows: one clear line for a wrong key or a missing bucket
   * before anything is recorded, rather than a failed partition per worker.
   */
  static void preflight(JobSpec spec) {
    try (StoreCache stores = new StoreCache(spec)) {
      stores.get(spec.source().root().toString()).prepare(false);
      stores.get(spec.sink().root().toString()).prepare(true);
    } catch (java.io.UncheckedIOException e) {
      throw new JobException(e.getCause().getMessage());
    } catch (IOException | IllegalArgumentException e) {
      throw new JobException(e.getMessage());
    }
  }

  @Override
  public void close() throws IOException {
    for (Store store : stores.values()) {
      store.close();
    }
    stores.clear();
  }
}
