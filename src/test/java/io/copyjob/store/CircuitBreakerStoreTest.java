package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.copyjob.spec.Connection;
import io.copyjob.store.CircuitBreakerStore.Breaker;
import io.copyjob.store.FaultProxy.Fault;
import io.copyjob.store.s3.S3Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

/**
 * The circuit breaker: against s3proxy behind the fault proxy, it opens on a server that stopped
 * answering and never on a few percent of faults; on a local store whose calls fail as told and a
 * clock the test moves, it opens exactly when its rule says.
 */
public class CircuitBreakerStoreTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public Timeout guard = Timeout.seconds(90);
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static final RequestTimeouts TIMEOUTS = new RequestTimeouts(TIMEOUT);
  private static final String NOT_TRIED =
      "connection 'flaky' has not answered since \\d\\d:\\d\\d:\\d\\d UTC \\(.+;"
          + " copy.requestTimeout 1s\\); not tried";

  private FaultProxy proxy;
  private Store store;
  private ExecutorService threads;

  @Before
  public void setUp() throws Exception {
    proxy = FaultProxy.start(S3.endpoint(), FaultProxy.Flavor.S3, 5);
    Connection.S3 proxied = S3.connection("flaky", true, proxy.endpoint());
    store =
        CircuitBreakerStore.wrap(
            S3Store.open(
                URI.create("s3://breaker-" + UUID.randomUUID().toString().substring(0, 8) + "/"),
                proxied,
                S3Store.Tuning.DEFAULT.withRequestTimeout(TIMEOUT)),
            UUID.randomUUID().toString(),
            "connection 'flaky'",
            TIMEOUT);
    store.prepare(true);
    threads = Executors.newFixedThreadPool(8);
  }

  @After
  public void tearDown() throws Exception {
    threads.shutdownNow();
    proxy.close();
    store.close();
  }

  private FileInfo put(Store into, String key, int size) throws IOException {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return into.put(key, new ByteArrayInputStream(data), new FileInfo(key, size, null, null));
  }

  @Test
  public void aServerThatStopsAnsweringFailsTheCallsQueuedForItAtOnce() throws Exception {
    put(store, "x.bin", 100);
    proxy.stallAll();
    long start = System.nanoTime();

    // Eight threads with calls to make, as transfers with files queued behind them.
    List<Future<List<Throwable>>> workers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      workers.add(
          threads.submit(
              () -> {
                List<Throwable> failures = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                  failures.add(catchThrowable(() -> store.stat("x.bin")));
                }
                return failures;
              }));
    }
    List<Throwable> failures = new ArrayList<>();
    for (Future<List<Throwable>> worker : workers) {
      failures.addAll(worker.get());
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    // 400 calls, each of which alone would take a call's bound (3 s): all failed, nearly all
    // without being tried, and the whole lot took about as long as the first few.
    assertThat(failures).hasSize(400).doesNotContainNull();
    long notTried = failures.stream().filter(f -> f instanceof StoreDownException).count();
    assertThat(notTried).isGreaterThan(350);
    assertThat(failures)
        .filteredOn(f -> f instanceof StoreDownException)
        .allSatisfy(f -> assertThat(f.getMessage()).matches(NOT_TRIED));
    assertThat(failures)
        .filteredOn(f -> !(f instanceof StoreDownException))
        .allSatisfy(f -> assertThat(f).hasMessageEndingWith("timed out (copy.requestTimeout)"));
    assertThat(took).isLessThan(TIMEOUTS.call(0).multipliedBy(3).plusSeconds(3));

    proxy.heal(); // one call per request timeout is let through; its answer closes the breaker
    Thread.sleep(TIMEOUT.toMillis());
    assertThat(store.stat("x.bin")).isPresent();
    assertThat(store.stat("x.bin")).isPresent();
  }

  @Test
  public void aServerThatIsGoneOpensItAsWell() throws Exception {
    put(store, "x.bin", 100);
    proxy.close(); // nothing listens any more: every connection is refused
    long start = System.nanoTime();

    List<Future<List<Throwable>>> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      workers.add(
          threads.submit(
              () -> {
                List<Throwable> failures = new ArrayList<>();
                for (int i = 0; i < 25; i++) {
                  failures.add(catchThrowable(() -> store.stat("x.bin")));
                }
                return failures;
              }));
    }
    List<Throwable> failures = new ArrayList<>();
    for (Future<List<Throwable>> worker : workers) {
      failures.addAll(worker.get());
    }

    assertThat(failures).hasSize(100).doesNotContainNull();
    assertThat(failures.stream().filter(f -> f instanceof StoreDownException).count())
        .isGreaterThan(80);
    assertThat(failures)
        .filteredOn(f -> !(f instanceof StoreDownException))
        .allSatisfy(
            f ->
                assertThat(f.getMessage())
                    .matches(
                        ".*: (nothing answers at 127.0.0.1:\\d+ \\(connection refused\\)"
                            + "|timed out \\(copy.requestTimeout\\))"));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isLessThan(TIMEOUTS.call(0).multipliedBy(3).plusSeconds(3));
  }

  @Test
  public void aFewPercentOfFaultsNeverOpenIt() throws Exception {
    proxy
        .inject(0.05, Fault.values())
        .atLeast(3, 0, 200, Fault.values()) // 200 puts at least: twelve faults whatever the timing
        .stallFor(TIMEOUT);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int worker = t;
      workers.add(
          threads.submit(
              () -> {
                for (int i = 0; i < 25; i++) {
                  String key = "f" + worker + "-" + i;
                  int size = 1000 + i;
                  Throwable failure =
                      catchThrowable(
                          () -> {
                            put(store, key, size);
                            try (InputStream in = store.open(key)) {
                              in.readAllBytes();
                            }
                            store.stat(key);
                          });
                  if (failure != null) {
                    failures.add(failure);
                  }
                }
              }));
    }
    for (Future<?> worker : workers) {
      worker.get();
    }

    // Each key's put, read and stat, less the calls a failure skipped.
    assertThat(proxy.exchanges()).isGreaterThanOrEqualTo(600 - 2L * failures.size());
    assertThat(
            proxy.injected(Fault.BUSY)
                + proxy.injected(Fault.RESET)
                + proxy.injected(Fault.STALL)
                + proxy.injected(Fault.TRUNCATE))
        .isGreaterThan(10);
    // Some calls may fail on their own faults (a body cut after its headers is not retried by
    // the SDK), but none is refused by the breaker.
    assertThat(failures).noneMatch(f -> f instanceof StoreDownException);
    assertThat(failures.size()).isLessThan(20);
  }

  /** A local store whose calls fail, when told, as a server that does not answer. */
  private static final class Silent extends ForwardingStore {
    volatile boolean silent;
    final AtomicInteger calls = new AtomicInteger();

    Silent(Store inner) {
      super(inner);
    }

    @Override
    public Optional<FileInfo> stat(String key) throws IOException {
      calls.incrementAndGet();
      if (silent) {
        throw new SocketTimeoutException("Read timed out");
      }
      return inner.stat(key);
    }
  }

  /** A clock that moves only when told. */
  private static final class TestClock extends Clock {
    Instant now = Instant.parse("2024-05-01T12:03:05Z");

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  public void itOpensAfterThreeCallsWithoutAnswerOverMoreThanTwoRequestTimeouts() throws Exception {
    Silent silent = new Silent(new LocalStore(tmp.getRoot().toURI()));
    TestClock clock = new TestClock();
    Store breaker =
        new CircuitBreakerStore(silent, new Breaker("connection 'lake'", TIMEOUT, clock));
    silent.silent = true;

    for (int i = 0; i < 5; i++) { // five failures within two request timeouts: still asking
      assertThatThrownBy(() -> breaker.stat("k")).isInstanceOf(SocketTimeoutException.class);
      clock.advance(Duration.ofMillis(400));
    }
    assertThat(silent.calls).hasValue(5);
    clock.advance(Duration.ofMillis(100)); // 2.1 s since the first call began
    assertThatThrownBy(() -> breaker.stat("k")).isInstanceOf(SocketTimeoutException.class);

    assertThatThrownBy(() -> breaker.stat("k"))
        .isInstanceOf(StoreDownException.class)
        .hasMessage(
            "connection 'lake' has not answered since 12:03:05 UTC (2.1 s;"
                + " copy.requestTimeout 1s); not tried");
    assertThat(silent.calls).hasValue(6);

    // Once a request timeout has passed since it opened, one call goes through to find out: a
    // failure keeps it open, an answer closes it.
    clock.advance(Duration.ofMinutes(3));
    assertThatThrownBy(() -> breaker.stat("k")).isInstanceOf(SocketTimeoutException.class);
    assertThatThrownBy(() -> breaker.stat("k"))
        .isInstanceOf(StoreDownException.class)
        .hasMessageContaining("since 12:03:05 UTC (3m02s;");
    silent.silent = false;
    clock.advance(TIMEOUT);
    assertThat(breaker.stat("k")).isEmpty();
    assertThat(breaker.stat("k")).isEmpty();
    assertThat(silent.calls).hasValue(9);
  }

  @Test
  public void anyAnswerStartsTheCountAgainAndSlowCallsCountForNothing() throws Exception {
    Silent silent = new Silent(new LocalStore(tmp.getRoot().toURI()));
    TestClock clock = new TestClock();
    Store breaker =
        new CircuitBreakerStore(silent, new Breaker("connection 'lake'", TIMEOUT, clock));

    for (int round = 0; round < 10; round++) {
      silent.silent = true;
      for (int i = 0; i < 2; i++) {
        assertThatThrownBy(() -> breaker.stat("k")).isInstanceOf(SocketTimeoutException.class);
        clock.advance(Duration.ofSeconds(5));
      }
      silent.silent = false;
      // An error answer is an answer: the server is up.
      assertThatThrownBy(() -> breaker.open("missing")).isInstanceOf(IOException.class);
    }
    // A put slower than many request timeouts, while nothing else is asked.
    byte[] data = new byte[100];
    InputStream slow =
        new ByteArrayInputStream(data) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            clock.advance(Duration.ofMinutes(1));
            return super.read(b, off, len);
          }
        };
    breaker.put("slow.bin", slow, new FileInfo("slow.bin", data.length, null, null));
    assertThat(breaker.stat("slow.bin")).isPresent();
  }

  @Test
  public void aSourceThatFailsDuringAPutIsTheSourcesFailureNotTheSinks() throws Exception {
    Silent silent = new Silent(new LocalStore(tmp.getRoot().toURI()));
    TestClock clock = new TestClock();
    Store breaker =
        new CircuitBreakerStore(silent, new Breaker("connection 'lake'", TIMEOUT, clock));
    IOException sourceTimeout =
        new IOException(
            "connection 'aws': reading s3://b/k: timed out (copy.requestTimeout)",
            new SocketTimeoutException("Read timed out"));
    InputStream failing =
        new InputStream() {
          @Override
          public int read() throws IOException {
            clock.advance(TIMEOUT);
            throw sourceTimeout;
          }
        };

    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> breaker.put("k", failing, new FileInfo("k", 10, null, null)))
          .isSameAs(sourceTimeout);
    }
    assertThat(breaker.stat("k")).isEmpty(); // still asked: nothing was counted against it
  }
}
