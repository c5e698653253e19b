package io.copyjob.pipeline;

import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.CircuitBreakerStore;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.store.ThrottledStore;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stores a DoFn instance has opened, one per root, shared by its threads and closed in
 * teardown. Partitions of several roots share one control table, so a DoFn may need several.
 */
final class StoreCache implements AutoCloseable {
  private final Map<String, Store> stores = new ConcurrentHashMap<>();
  private final JobSpec spec;
  private final String breakerScope;

  /**
   * Stores for one run's steps: the DoFn instances of the run in this JVM share what their circuit
   * breakers learn of each server.
   *
   * @param spec the job: its connections reach the stores, its request and byte caps and its
   *     request timeout apply to them
   */
  StoreCache(JobSpec spec, RunContext run) {
    this(spec, "job '" + spec.name() + "' run " + run.runId() + " at " + run.runStart());
  }

  /** Stores for use outside a run (its checks before it starts, a plan): breakers of their own. */
  StoreCache(JobSpec spec) {
    this(spec, UUID.randomUUID().toString());
  }

  private StoreCache(JobSpec spec, String breakerScope) {
    this.spec = spec;
    this.breakerScope = breakerScope;
  }

  /**
   * The store of {@code root}, throttled as the job says, behind its connection's circuit breaker:
   * a dead server fails the files queued for it at once rather than each after its timeouts.
   */
  Store get(String root) {
    return stores.computeIfAbsent(root, this::open);
  }

  private Store open(String root) {
    Connection connection = spec.connectionFor(root);
    Duration requestTimeout = spec.copy().requestTimeout();
    Store store =
        ThrottledStore.wrap(
            Stores.open(URI.create(root), connection, requestTimeout),
            spec.copy().maxRequestsPerSecond(),
            spec.copy().maxBytesPerSecond());
    String name =
        connection == null ? "store '" + root + "'" : "connection '" + connection.name() + "'";
    return CircuitBreakerStore.wrap(store, breakerScope, name, requestTimeout);
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
