package io.copyjob.pipeline;

import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.CircuitBreakerStore;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.store.TempOwner;
import io.copyjob.store.ThrottledStore;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stores a DoFn instance has opened, one per root, shared by its threads and closed in
 * teardown. Partitions of several roots share one control table, so a DoFn may need several.
 */
public final class StoreCache implements AutoCloseable {
  private final Map<String, Store> stores = new ConcurrentHashMap<>();
  private final JobSpec spec;
  private final TempOwner owner;
  private final String breakerScope;

  /**
   * Stores for one run's steps: the DoFn instances of the run in this JVM share what their circuit
   * breakers learn of each server.
   *
   * @param spec the job: its connections reach the stores, its request and byte caps and its
   *     request timeout apply to them
   */
  public StoreCache(JobSpec spec, RunContext run) {
    this(
        spec,
        run.tempOwner(spec.name()),
        "job '" + spec.name() + "' run " + run.runId() + " at " + run.runStart());
  }

  /** Stores for use outside a run (its checks before it starts, a plan): breakers of their own. */
  public StoreCache(JobSpec spec) {
    this(spec, null, UUID.randomUUID().toString());
  }

  /**
   * @param owner the run whose writes these stores make, named in what a killed write leaves; null
   *     outside a run
   */
  private StoreCache(JobSpec spec, TempOwner owner, String breakerScope) {
    this.spec = spec;
    this.owner = owner;
    this.breakerScope = breakerScope;
  }

  /**
   * The store of {@code root}, throttled as the job says, behind its connection's circuit breaker:
   * a dead server fails the files queued for it at once rather than each after its timeouts.
   */
  public Store get(String root) {
    return stores.computeIfAbsent(root, this::open);
  }

  private Store open(String root) {
    Connection connection = spec.connectionFor(root);
    Duration requestTimeout = spec.copy().requestTimeout();
    Store opened =
        Stores.open(URI.create(root), connection, requestTimeout, spec.copy().partSize());
    Store store =
        ThrottledStore.wrap(
            owner == null ? opened : opened.ownedBy(owner),
            spec.copy().maxRequestsPerSecond(),
            spec.copy().maxBytesPerSecond());
    String name =
        connection == null ? "store '" + root + "'" : "connection '" + connection.name() + "'";
    return CircuitBreakerStore.wrap(store, breakerScope, name, requestTimeout);
  }

  /**
   * Checks that every source root the run reads and the sink can be reached, creating a missing
   * sink bucket or container where its connection allows: one clear line for a wrong key, a missing
   * bucket or a missing folder before anything is recorded, rather than a failed partition per
   * worker (or, for a folder, an empty listing taken for a done partition). Then reads each source
   * root's clock.
   *
   * @param sourceRoots source.root and the roots of the partitions the run copies
   * @param runStart the run's start by this machine's clock: no window ends later
   */
  static Map<String, SourceTime> preflight(
      JobSpec spec, Collection<String> sourceRoots, Instant runStart) {
    try (StoreCache stores = new StoreCache(spec)) {
      for (String root : sourceRoots) {
        stores.get(root).prepare(false);
      }
      stores.get(spec.sink().root().toString()).prepare(true);
      return stores.sourceTimes(sourceRoots, runStart);
    } catch (java.io.UncheckedIOException e) {
      throw new JobException(e.getCause().getMessage());
    } catch (IOException | IllegalArgumentException e) {
      throw new JobException(e.getMessage());
    }
  }

  /**
   * Each root's clock, asked now: its windows end at the store's time, or at {@code clientNow} when
   * that is earlier or the store has no clock to ask.
   */
  Map<String, SourceTime> sourceTimes(Collection<String> roots, Instant clientNow)
      throws IOException {
    Map<String, SourceTime> times = new LinkedHashMap<>();
    for (String root : roots) {
      Store store = get(root);
      Instant end =
          store
              .now()
              .map(storeNow -> storeNow.isBefore(clientNow) ? storeNow : clientNow)
              .orElse(clientNow);
      times.put(root, new SourceTime(end.truncatedTo(ChronoUnit.MILLIS), store.timeResolution()));
    }
    return times;
  }

  @Override
  public void close() throws IOException {
    for (Store store : stores.values()) {
      store.close();
    }
    stores.clear();
  }
}
