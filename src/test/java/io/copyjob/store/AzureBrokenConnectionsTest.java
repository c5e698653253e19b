package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.spec.Connection;
import io.copyjob.store.FaultProxy.Fault;
import io.copyjob.store.azure.AzureBlobStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.assertj.core.api.ThrowingConsumer;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * Azure calls whose first try meets a fault (Azurite behind the fault proxy) are tried again within
 * the call's bound, however short the request timeout: a retry after a quick fault fits in the
 * call, as {@link RequestTimeouts} promises. Before, the SDK waited its own 4 s before the second
 * try, longer than a whole call may take at a request timeout of a second, so one ServerBusy
 * answer, reset or stall failed the call.
 */
public class AzureBrokenConnectionsTest {
  @Rule public Timeout guard = Timeout.seconds(60);

  private static final RequestTimeouts TIMEOUTS = new RequestTimeouts(Duration.ofSeconds(2));

  private FaultProxy proxy;
  private Store store;

  @Before
  public void setUp() throws Exception {
    String container = "flaky-" + UUID.randomUUID().toString().substring(0, 8);
    Connection.Azure direct = AzuriteServer.connection("flaky-lake", true);
    // The container and a file are made directly, with the default timeouts: an emulator that
    // other tests keep busy may take more than a second to answer, which is no part of this test.
    try (Store made =
        AzureBlobStore.open(
            URI.create("azfs://devstoreaccount1/" + container + "/"),
            direct,
            AzureBlobStore.Tuning.DEFAULT)) {
      made.prepare(true);
      byte[] data = new byte[1000];
      new Random(1).nextBytes(data);
      made.put("k/1", new ByteArrayInputStream(data), new FileInfo("k/1", 1000, null, null));
    }
    proxy =
        FaultProxy.start(AzuriteServer.endpoint(), FaultProxy.Flavor.AZURE, 3)
            .stallFor(Duration.ofSeconds(30));
    store =
        AzureBlobStore.open(
            URI.create("azfs://devstoreaccount1/" + container + "/"),
            proxy.through(direct),
            AzureBlobStore.Tuning.DEFAULT.withRequestTimeout(TIMEOUTS.request()));
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

  /** Runs {@code call} with its first exchange broken by each fault: it completes in its bound. */
  private void eachFaultOnceIsRetried(Duration bound, ThrowingConsumer<Fault> call) {
    for (Fault fault : List.of(Fault.BUSY, Fault.RESET, Fault.STALL)) {
      proxy.faultAt(proxy.exchanges() + 1, fault);
      long start = System.nanoTime();

      call.accept(fault);

      assertThat(Duration.ofNanos(System.nanoTime() - start)).as(fault.name()).isLessThan(bound);
      assertThat(proxy.injected(fault)).as(fault.name()).isEqualTo(1);
    }
  }

  @Test
  public void aListing() {
    eachFaultOnceIsRetried(
        TIMEOUTS.call(0),
        fault -> {
          List<String> keys = new ArrayList<>();
          try (Listing listing = store.list("", true)) {
            listing.forEachRemaining(file -> keys.add(file.key()));
          }
          assertThat(keys).containsExactly("k/1");
        });
  }

  @Test
  public void aStat() {
    eachFaultOnceIsRetried(
        TIMEOUTS.call(0),
        fault -> assertThat(store.stat("k/1")).map(FileInfo::size).hasValue(1000L));
  }

  @Test
  public void aPut() {
    byte[] data = new byte[50_000];
    new Random(2).nextBytes(data);
    eachFaultOnceIsRetried(
        TIMEOUTS.call(data.length),
        fault -> {
          store.put(
              "put/" + fault,
              new ByteArrayInputStream(data),
              new FileInfo("x", data.length, null, null));
          try (InputStream in = store.open("put/" + fault)) {
            assertThat(in.readAllBytes()).isEqualTo(data);
          }
        });
  }
}
