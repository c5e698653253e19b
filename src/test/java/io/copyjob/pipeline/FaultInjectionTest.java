package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.FaultProxy;
import io.copyjob.store.FaultProxy.Fault;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

/**
 * Whole runs, S3 -> Azure and Azure -> S3, between the real servers (s3proxy, Azurite) with a
 * {@link FaultProxy} in front of each: 503 SlowDown / ServerBusy answers, connections reset
 * half-way, stalls, and bodies cut short, drawn from seeded random streams or planned at places
 * drawn from them.
 *
 * <ul>
 *   <li>With a few percent of the exchanges with each server broken, every run ends SUCCEEDED with
 *       every file byte-equal at the sink: the retries do their work, and no cut body passes for a
 *       file.
 *   <li>When every read of the source's files is cut short, no file is taken for copied: each fails
 *       after its retries and nothing lands at the sink.
 *   <li>When every exchange fails once the run has begun, the run ends FAILED within a bound, with
 *       every partition failed and none marked done, nothing partial at the sink and the lease
 *       free: the next run starts at once and, the servers healed, copies everything.
 * </ul>
 *
 * <p>Each test runs its two directions at once: most of a faulty run is spent waiting (timeouts,
 * backoffs), so the suite takes about as long as its slower direction. The faults injected, the
 * exchanges, runs and files verified are printed at the end (docs/reliability.md).
 */
public class FaultInjectionTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  @Rule public Timeout guard = Timeout.seconds(240);

  /** Short, so that stalls cost little; not so short that a busy shared emulator looks dead. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

  /**
   * A run whose server breaks ends within this: its circuit breaker opens after a few request
   * timeouts without an answer, and the run's own steps (starting the pipeline, recording) take the
   * rest.
   */
  private static final Duration FAILS_WITHIN = REQUEST_TIMEOUT.multipliedBy(30);

  /**
   * The share of exchanges broken at random in the runs that must succeed, besides the faults
   * planned for each kind's floor: some 9% in all, as the draws alone at 5% gave before.
   */
  private static final double FEW = 0.02;

  /**
   * Each kind of fault, in each direction's run with few faults, at least this often: half of it
   * planned at each end among its exchanges {@value #PLANNED_AFTER} + 1 to {@value #PLANNED_WITHIN}
   * ({@link FaultProxy#atLeast}).
   */
  private static final int EACH_KIND_AT_LEAST = 4;

  /**
   * Fewer exchanges than any run with few faults makes with either server, whatever the timing: it
   * reads each of its 73 or 74 files that are not empty at least once, and writes all 81 or 82.
   */
  private static final long PLANNED_WITHIN = 70;

  /**
   * The first exchanges, the checks before the run and the partitions' listings, are left to the
   * draws: a listing page stalled on a slow server may time out with its retry (one request timeout
   * is left to it), and that would fail its partition.
   */
  private static final long PLANNED_AFTER = 10;

  /** What the runs of this class met and did, for the figures in docs/reliability.md. */
  private static final Map<Fault, Long> INJECTED = new EnumMap<>(Fault.class);

  private static final List<String> RUN_FIGURES = Collections.synchronizedList(new ArrayList<>());
  private static final AtomicLong EXCHANGES = new AtomicLong();
  private static final AtomicLong RUNS = new AtomicLong();
  private static final AtomicLong FILES_VERIFIED = new AtomicLong();

  private final String id = UUID.randomUUID().toString().substring(0, 8);
  private final List<FaultProxy> proxies = Collections.synchronizedList(new ArrayList<>());

  @After
  public void tearDown() {
    proxies.forEach(FaultProxy::close);
  }

  @AfterClass
  public static void figures() {
    RUN_FIGURES.forEach(System.out::println);
    System.out.println(
        "FaultInjectionTest: "
            + RUNS
            + " runs, "
            + FILES_VERIFIED
            + " files verified byte for byte at their sinks, faults injected "
            + INJECTED
            + " in "
            + EXCHANGES
            + " exchanges through the fault proxies");
  }

  /** One direction of copy: its source, filled with its files, and a sink of its own. */
  private record Copy(
      String name,
      String tag,
      String source,
      Connection from,
      String sink,
      Connection to,
      int partSize,
      Map<String, byte[]> files) {}

  /**
   * S3 -> Azure: {@code small} small files and {@code large} of 3 to 4 MiB, written in 1 MiB
   * blocks.
   */
  private Copy s3ToAzure(String what, int small, int large) throws Exception {
    Map<String, byte[]> files = files(small, large, 3 << 20);
    Connection.S3 aws = S3.connection("aws", true);
    String source = "s3://src-" + what + "-" + id + "/";
    fill(source, aws, files);
    String sink = "azfs://devstoreaccount1/" + what + "-" + id + "/";
    return new Copy(
        "S3 -> Azure",
        "s3-azure",
        source,
        aws,
        sink,
        AzuriteServer.connection("lake", true),
        1 << 20,
        files);
  }

  /**
   * Azure -> S3: {@code small} small files and {@code large} of 10 to 11 MiB, read in 4 MiB ranges
   * and written in 5 MiB parts (S3's least).
   */
  private Copy azureToS3(String what, int small, int large) throws Exception {
    Map<String, byte[]> files = files(small, large, 10 << 20);
    Connection.Azure lake = AzuriteServer.connection("lake", true);
    String source = "azfs://devstoreaccount1/src-" + what + "-" + id + "/data/";
    fill(source, lake, files);
    String sink = "s3://" + what + "-" + id + "/";
    return new Copy(
        "Azure -> S3", "azure-s3", source, lake, sink, S3.connection("aws", true), 5 << 20, files);
  }

  /**
   * Small files (a tenth of them empty) in four partitions, and a few larger than the part size, so
   * that they are written in parts (S3) or blocks (Azure) and read in ranges (Azure).
   */
  private static Map<String, byte[]> files(int small, int large, int largeSize) {
    Map<String, byte[]> files = new TreeMap<>();
    Random random = new Random(42);
    for (int i = 0; i < small; i++) {
      byte[] data = new byte[i % 10 == 0 ? 0 : 1 + random.nextInt(i % 7 == 0 ? 300_000 : 20_000)];
      random.nextBytes(data);
      files.put(String.format("%s/%03d.bin", "abcd".charAt(i % 4), i), data);
    }
    for (int i = 0; i < large; i++) {
      byte[] data = new byte[largeSize + random.nextInt(1 << 20)];
      random.nextBytes(data);
      files.put(String.format("%s/large-%d.bin", "abcd".charAt(i % 4), i), data);
    }
    return files;
  }

  private static void fill(String root, Connection connection, Map<String, byte[]> files)
      throws Exception {
    try (Store store = Stores.open(URI.create(root), connection)) {
      store.prepare(true);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        byte[] data = file.getValue();
        store.put(
            file.getKey(),
            new ByteArrayInputStream(data),
            new FileInfo(file.getKey(), data.length, null, null));
      }
    }
  }

  /** Runs both directions at once; a failure of either fails the test, naming its direction. */
  private static void both(Direction first, Direction second) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<?> one = threads.submit(() -> first.run());
      Future<?> other = threads.submit(() -> second.run());
      for (Future<?> run : List.of(one, other)) {
        try {
          run.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Error error) {
            throw error;
          }
          throw (Exception) e.getCause();
        }
      }
    } finally {
      threads.shutdownNow();
    }
  }

  /** One direction's part of a test. */
  private interface Direction {
    Void run() throws Exception;
  }

  /**
   * A fault proxy in front of {@code direct}'s server, passing everything until told otherwise. A
   * stall it draws outlasts the client's patience: the client's timeout ends it, as in life.
   */
  private FaultProxy proxy(Connection direct, long seed) throws Exception {
    FaultProxy proxy =
        direct instanceof Connection.S3
            ? FaultProxy.start(S3.endpoint(), FaultProxy.Flavor.S3, seed)
            : FaultProxy.start(AzuriteServer.endpoint(), FaultProxy.Flavor.AZURE, seed);
    proxy.stallFor(REQUEST_TIMEOUT.multipliedBy(4));
    proxies.add(proxy);
    return proxy;
  }

  /** The connection {@code direct}, through {@code proxy}; {@code direct} itself for null. */
  private static Connection through(Connection direct, FaultProxy proxy) {
    if (proxy == null) {
      return direct;
    }
    return proxy.through(direct);
  }

  /** The job copying {@code copy}, through the proxies given (null: straight to the server). */
  private JobSpec spec(Copy copy, String job, FaultProxy atSource, FaultProxy atSink) {
    Connection from = through(copy.from(), atSource);
    Connection to = through(copy.to(), atSink);
    Map<String, Connection> connections = new LinkedHashMap<>();
    connections.put(from.name(), from);
    connections.put(to.name(), to);
    return new JobSpec(
        job + "-" + copy.tag() + "-" + id,
        new SourceSpec(URI.create(copy.source()), List.of("a", "b", "c", "d"), from.name()),
        new SinkSpec(URI.create(copy.sink()), to.name()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 8, 0, 0, 0, 0, REQUEST_TIMEOUT)
            .withPartSize(copy.partSize()),
        Mode.FULL,
        DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:"
                + tmp.getRoot().toPath().resolve(job + "-" + copy.tag())
                + ";AUTO_SERVER=TRUE",
            null,
            null),
        null,
        connections);
  }

  /**
   * Runs the job on the direct runner. Six threads rather than its three: a bundle waits for its
   * slowest copy, and a copy held by a stall or a retry's backoff should not hold the files queued
   * behind it for long.
   */
  private static RunRecord run(JobSpec spec) throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    options.as(DirectOptions.class).setTargetParallelism(6);
    RunRecord run =
        new FileCopyJob(
                spec, options, "direct", "{}", new PrintStream(new ByteArrayOutputStream()), false)
            .run();
    RUNS.incrementAndGet();
    return run;
  }

  private static Map<String, byte[]> readAll(String root, Connection connection) throws Exception {
    Map<String, byte[]> read = new TreeMap<>();
    try (Store store = Stores.open(URI.create(root), connection);
        Listing listing = store.list("", true)) {
      while (listing.hasNext()) {
        String key = listing.next().key();
        try (InputStream in = store.open(key)) {
          read.put(key, in.readAllBytes());
        }
      }
    }
    return read;
  }

  /** Every file at the sink, byte for byte, and no other. */
  private static void assertSinkHoldsEveryFile(Copy copy) throws Exception {
    Map<String, byte[]> read = readAll(copy.sink(), copy.to());
    assertThat(read.keySet()).as(copy.name()).containsExactlyElementsOf(copy.files().keySet());
    copy.files()
        .forEach(
            (key, data) -> assertThat(read.get(key)).as(copy.name() + ": " + key).isEqualTo(data));
    FILES_VERIFIED.addAndGet(copy.files().size());
  }

  /**
   * Whatever the run's outcome: every file at the sink is byte-equal to its source (nothing partial
   * or cut short was kept), and every partition marked SUCCEEDED has all its files there.
   */
  private static void assertNothingWrongKept(Copy copy, JobSpec spec) throws Exception {
    Map<String, byte[]> read = readAll(copy.sink(), copy.to());
    assertThat(copy.files().keySet()).as(copy.name()).containsAll(read.keySet());
    read.forEach(
        (key, data) ->
            assertThat(data).as(copy.name() + ": " + key).isEqualTo(copy.files().get(key)));
    try (ControlStore control = ControlStore.open(spec.control())) {
      for (PartitionState partition : control.partitions(spec.name())) {
        if (partition.status() == PartitionStatus.SUCCEEDED) {
          String prefix = partition.key().prefix();
          copy.files().keySet().stream()
              .filter(key -> key.startsWith(prefix))
              .forEach(
                  key ->
                      assertThat(read).as(copy.name() + ": partition " + prefix).containsKey(key));
        }
      }
    }
  }

  /**
   * The faults {@code proxies} injected, by kind, counted into the class's figures with the
   * exchanges they saw.
   */
  private static Map<Fault, Long> count(List<FaultProxy> proxies) {
    EXCHANGES.addAndGet(proxies.stream().mapToLong(FaultProxy::exchanges).sum());
    Map<Fault, Long> counts = new EnumMap<>(Fault.class);
    for (Fault fault : Fault.values()) {
      long n = proxies.stream().mapToLong(p -> p.injected(fault)).sum();
      counts.put(fault, n);
      synchronized (INJECTED) {
        INJECTED.merge(fault, n, Long::sum);
      }
    }
    return counts;
  }

  /**
   * Copies with a few percent of the exchanges with each server broken, every kind of fault among
   * them at least {@value #EACH_KIND_AT_LEAST} times: the run succeeds with every file byte-equal
   * at the sink, the files larger than a part written in parts or blocks.
   */
  private Void copiesThroughFewFaults(Copy copy) throws Exception {
    // The draws alone met each kind often enough only when the run's exchanges (their number
    // varies with the retries) reached far enough into the seeded stream: plan each kind's floor.
    FaultProxy atSource =
        proxy(copy.from(), 21)
            .inject(FEW, Fault.values())
            .atLeast(EACH_KIND_AT_LEAST / 2, PLANNED_AFTER, PLANNED_WITHIN, Fault.values());
    FaultProxy atSink =
        proxy(copy.to(), 52)
            .inject(FEW, Fault.values())
            .atLeast(EACH_KIND_AT_LEAST / 2, PLANNED_AFTER, PLANNED_WITHIN, Fault.values());
    List<FaultProxy> broken = List.of(atSource, atSink);
    JobSpec spec = spec(copy, "faults", atSource, atSink);

    RunRecord run = run(spec);

    broken.forEach(FaultProxy::heal);
    Map<Fault, Long> injected = count(broken);
    String what =
        String.format(
            "%s: faults %s in %d exchanges: %s",
            copy.name(), injected, atSource.exchanges() + atSink.exchanges(), run.error());
    assertThat(run.status()).as(what).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals().filesFailed()).as(what).isZero();
    // A file written before its answer was lost may be found at the sink by a retry.
    assertThat(run.totals().filesCopied() + run.totals().filesSkipped())
        .as(what)
        .isEqualTo(copy.files().size());
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitions(spec.name()))
          .as(what)
          .extracting(PartitionState::status)
          .containsOnly(PartitionStatus.SUCCEEDED);
      assertThat(control.lease(spec.name())).as(what).isEmpty();
    }
    // Truncated bodies among the faults: the byte-equal sink shows that none was taken for a file.
    assertSinkHoldsEveryFile(copy);
    assertThat(injected)
        .as(what)
        .allSatisfy((fault, n) -> assertThat(n).isGreaterThanOrEqualTo(EACH_KIND_AT_LEAST));
    for (FaultProxy proxy : broken) {
      assertThat(Fault.values())
          .as(what + ": each end's")
          .allSatisfy(
              fault ->
                  assertThat(proxy.injected(fault)).isGreaterThanOrEqualTo(EACH_KIND_AT_LEAST / 2));
    }
    String partWrite = copy.to() instanceof Connection.S3 ? "partNumber=" : "blockid=";
    assertThat(atSink.requests())
        .as(what + ": parts or blocks written")
        .anyMatch(line -> line.startsWith("PUT ") && line.contains(partWrite));
    RUN_FIGURES.add(
        String.format(
            "%s with few faults: %d + %d exchanges, faults %s, %d files byte-equal",
            copy.name(), atSource.exchanges(), atSink.exchanges(), injected, copy.files().size()));
    return null;
  }

  @Test
  public void throughFewFaultsEveryRunSucceedsWithEveryFileByteEqual() throws Exception {
    both(
        () -> copiesThroughFewFaults(s3ToAzure("few", 80, 2)),
        () -> copiesThroughFewFaults(azureToS3("few", 80, 1)));
  }

  /**
   * Runs {@code spec} with its servers broken by {@code broken}, then heals them: the run ended
   * FAILED within a bound, each partition failed with its reason and none was marked done, nothing
   * partial or cut short is at the sink, and the lease is free.
   */
  private static void failsCleanly(Copy copy, JobSpec spec, List<FaultProxy> broken)
      throws Exception {
    long start = System.nanoTime();

    RunRecord failed = run(spec);

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    broken.forEach(FaultProxy::heal);
    Map<Fault, Long> injected = count(broken);
    String what = copy.name() + ": faults " + injected + ": " + failed.error();
    assertThat(failed.status()).as(what).isEqualTo(RunStatus.FAILED);
    assertThat(took).as(what).isLessThan(FAILS_WITHIN);
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitions(spec.name()))
          .as(what)
          .hasSize(4)
          .allSatisfy(
              p -> {
                assertThat(p.status()).isEqualTo(PartitionStatus.FAILED);
                assertThat(p.error()).isNotBlank();
              });
      assertThat(control.lease(spec.name())).as(what).isEmpty();
    }
    assertNothingWrongKept(copy, spec);
    RUN_FIGURES.add(
        String.format(
            "%s, %s: FAILED in %.1f s, %d exchanges, faults %s",
            copy.name(),
            spec.name(),
            took.toMillis() / 1000.0,
            broken.stream().mapToLong(FaultProxy::exchanges).sum(),
            injected));
  }

  /**
   * Every exchange with the {@code broken} servers fails once the run has begun (after {@code
   * exchanges} with each, the checks before the run): the run fails cleanly ({@link
   * #failsCleanly}), and the next run takes the lease at once and, the servers healed, copies
   * everything.
   */
  private static Void everyExchangeFailing(
      Copy copy, JobSpec spec, List<FaultProxy> broken, long exchanges) throws Exception {
    broken.forEach(proxy -> proxy.injectAfter(exchanges, 1, Fault.values()));

    failsCleanly(copy, spec, broken);

    RunRecord next = run(spec);
    assertThat(next.status()).as(copy.name() + ": " + next.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertSinkHoldsEveryFile(copy);
    return null;
  }

  /**
   * S3 -> Azure with every Put Blob, block and stat of the sink failing (after its container was
   * looked for and made); Azure -> S3 with its listings failing too, and the copies of what was
   * listed before (after the source's container was looked for and its clock read, and the sink's
   * bucket made).
   */
  @Test
  public void everyExchangeFailingFailsCleanlyAndTheNextRunCopiesEverything() throws Exception {
    both(
        () -> {
          Copy copy = s3ToAzure("broken", 20, 1);
          FaultProxy sink = proxy(copy.to(), 7);
          return everyExchangeFailing(copy, spec(copy, "broken", null, sink), List.of(sink), 2);
        },
        () -> {
          Copy copy = azureToS3("broken", 20, 1);
          FaultProxy source = proxy(copy.from(), 8);
          FaultProxy sink = proxy(copy.to(), 9);
          return everyExchangeFailing(
              copy, spec(copy, "broken", source, sink), List.of(source, sink), 2);
        });
  }

  /** Whether {@code requestLine} reads a file's content (a GET of a file, not of a listing). */
  private static boolean readsAFile(String requestLine) {
    String target = requestLine.split(" ")[1];
    int query = target.indexOf('?');
    return requestLine.startsWith("GET ")
        && (query < 0 ? target : target.substring(0, query)).endsWith(".bin");
  }

  /**
   * Every read of the source's files cut short by a clean close of the connection (so the client
   * sees the end of a stream, not an error, unless it counts): each file fails after its retries,
   * none is written at the sink, and no partition is marked done.
   */
  private Void everyReadCutShort(Copy copy) throws Exception {
    FaultProxy cutting = proxy(copy.from(), 11).only(FaultInjectionTest::readsAFile);
    cutting.inject(1, Fault.TRUNCATE);

    failsCleanly(copy, spec(copy, "cut", cutting, null), List.of(cutting));

    // Each of them was tried, and cut, more than once.
    assertThat(cutting.injected(Fault.TRUNCATE))
        .as(copy.name())
        .isGreaterThan(2L * copy.files().size());
    return null;
  }

  @Test
  public void readsCutShortAreNeverTakenForFiles() throws Exception {
    both(
        () -> everyReadCutShort(s3ToAzure("cut", 12, 1)),
        () -> everyReadCutShort(azureToS3("cut", 12, 1)));
  }
}
