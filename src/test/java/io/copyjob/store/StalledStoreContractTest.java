package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.copyjob.store.FaultProxy.Fault;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * Every call of the store contract against a server that stops answering (the fault proxy holding
 * the connection open and forwarding nothing) fails within its bound from {@link RequestTimeouts},
 * with one line naming the connection and the timeout. Without those bounds each of these calls
 * waited in the SDKs until the test's own timeout.
 */
public abstract class StalledStoreContractTest {
  /** Guards the whole test: a regression fails here instead of hanging the build. */
  @Rule public Timeout guard = Timeout.seconds(60);

  protected static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);
  protected static final RequestTimeouts TIMEOUTS = new RequestTimeouts(REQUEST_TIMEOUT);

  /** Scheduling on a loaded test machine, on top of the bound. */
  private static final Duration SLACK = Duration.ofSeconds(3);

  protected FaultProxy proxy;
  protected Store store;
  private FileInfo small;

  /** A fault proxy in front of the store's server. */
  protected abstract FaultProxy startProxy() throws Exception;

  /** The store's server, as the fault proxy reaches it. */
  protected abstract URI server();

  /**
   * A store in the test's own bucket or container ({@code name}), reached through {@code endpoint}.
   */
  protected abstract Store open(String name, URI endpoint, Duration requestTimeout)
      throws Exception;

  /** The name of the connection {@link #open} uses. */
  protected abstract String connection();

  /** Bytes above which the store uploads in parts or blocks. */
  protected abstract int partSize();

  @Before
  public void setUp() throws Exception {
    proxy = startProxy();
    String name = "stall-" + UUID.randomUUID().toString().substring(0, 8);
    // The bucket and a file are made directly, with the default timeouts: an emulator that other
    // tests keep busy may take more than a second to answer, which is no part of these tests.
    try (Store direct = open(name, server(), RequestTimeouts.DEFAULT.request())) {
      direct.prepare(true);
      small = put(direct, "small.bin", 1000);
    }
    store = open(name, proxy.endpoint(), REQUEST_TIMEOUT);
    // A store in use before its server stalls: what a store asks once, when first used (S3: the
    // bucket's default encryption), is asked here, so that each test times the stalled call alone.
    try (Listing listing = store.list("", true)) {
      while (listing.hasNext()) {
        listing.next();
      }
    }
  }

  @After
  public void tearDown() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (store != null) {
      store.close();
    }
  }

  private static FileInfo put(Store into, String key, int size) throws Exception {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return into.put(key, new ByteArrayInputStream(data), new FileInfo(key, size, null, null));
  }

  /** Runs {@code call}, which must fail as a timeout of this connection within {@code bound}. */
  private void timesOutWithin(Duration bound, ThrowingCallable call) {
    long start = System.nanoTime();
    Throwable thrown = catchThrowable(call);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(thrown).as("the call's failure").isNotNull();
    if (thrown instanceof UncheckedIOException unchecked) {
      thrown = unchecked.getCause(); // a listing's paging
    }
    assertThat(thrown)
        .hasMessageStartingWith("connection '" + connection() + "': ")
        .hasMessageEndingWith(": timed out (copy.requestTimeout)");
    assertThat(took).isLessThan(bound.plus(SLACK));
  }

  @Test
  public void aListingFails() {
    proxy.stallAll();
    timesOutWithin(
        TIMEOUTS.call(0),
        () -> {
          try (Listing listing = store.list("", true)) {
            while (listing.hasNext()) {
              listing.next();
            }
          }
        });
  }

  @Test
  public void aStatFails() {
    proxy.stallAll();
    timesOutWithin(TIMEOUTS.call(0), () -> store.stat("small.bin"));
  }

  @Test
  public void anOpenFails() {
    proxy.stallAll();
    timesOutWithin(
        TIMEOUTS.call(4 << 20), // a first range of up to 4 MiB is read when opening
        () -> {
          try (InputStream in = store.open("small.bin")) {
            in.readAllBytes();
          }
        });
  }

  @Test
  public void aBodyThatStopsFlowingFailsItsRead() {
    proxy.inject(1, Fault.STALL); // each answer stops half-way through its body
    timesOutWithin(
        TIMEOUTS.call(4 << 20),
        () -> {
          try (InputStream in = store.open("small.bin")) {
            in.readAllBytes();
          }
        });
  }

  @Test
  public void aSmallPutFails() {
    proxy.stallAll();
    timesOutWithin(TIMEOUTS.call(1000), () -> put(store, "put.bin", 1000));
  }

  @Test
  public void aPutInPartsFailsOnAStalledPart() {
    proxy.stallAfter(proxy.exchanges() + 1); // S3: the upload is created; Azure: a block staged
    timesOutWithin(
        // S3: the upload's creation, the stalled part, one attempt to abort the upload
        TIMEOUTS.call(0).plus(TIMEOUTS.call(partSize())).plus(TIMEOUTS.attempt(0)),
        () -> put(store, "large.bin", 2 * partSize() + 1));
  }

  @Test
  public void aDeleteFails() {
    proxy.stallAll();
    timesOutWithin(TIMEOUTS.call(0), () -> store.delete("small.bin"));
  }

  @Test
  public void aServerSideCopyFails() {
    proxy.stallAll();
    timesOutWithin(
        TIMEOUTS.call(small.size()),
        () -> store.serverSideCopy().orElseThrow().copy(store, small, "copy.bin"));
  }
}
