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
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

/**
 * Whole runs, S3 -> Azure and Azure -> S3, between the real servers (s3proxy, Azurite) with a
 * {@link FaultProxy} in front of each: 503 SlowDown / ServerBusy answers, connections reset
 * half-way, stalls, and bodies cut short, drawn from a seeded random stream.
 *
 * <ul>
 *   <li>At 5% of the exchanges with each server broken, every run ends SUCCEEDED with every file
 *       byte-equal at the sink: the retries do their work, and no cut body passes for a file.
 *   <li>When every read of the source's files is cut short, no file is taken for copied: each fails
 *       after its retries and nothing lands at the sink.
 *   <li>When every exchange fails once the run has begun, the run ends FAILED within a bound, with
 *       no partition marked done, nothing partial at the sink and the lease free: the next run
 *       starts at once and, the servers healed, copies everything.
 * </ul>
 *
 * <p>The faults injected, runs and files verified are printed at the end (docs/reliability.md).
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

  /** The share of exchanges broken in the runs that must succeed. */
  private static final double FEW = 0.05;

  /** Each kind of fault, in each direction's run at 5%, at least this often. */
  private static final long EACH_KIND_AT_LEAST = 4;

  /** What the runs of this class met and did, for the figures in docs/reliability.md. */
  private static final Map<Fault, Long> INJECTED = new EnumMap<>(Fault.class);

  private static final List<String> RUN_FIGURES = new ArrayList<>();
  private static final AtomicLong EXCHANGES = new AtomicLong();
  private static final AtomicLong RUNS = new AtomicLong();
  private static final AtomicLong FILES_VERIFIED = new AtomicLong();

  private String id;
  private Connection.S3 aws;
  private Connection.Azure lake;
  private final List<FaultProxy> proxies = new ArrayList<>();
  private final Map<String, byte[]> files = new TreeMap<>();

  @Before
  public void setUp() {
    id = UUID.randomUUID().toString().substring(0, 8);
    aws = S3.connection("aws", true);
    lake = AzuriteServer.connection("lake", true);
  }

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

  /**
   * Small files (a tenth of them empty) in four partitions, and a few larger than the part size, so
   * that they are written in parts (S3) or blocks (Azure) and read in ranges (Azure).
   */
  private void makeFiles(int small, int large, int largeSize) {
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
  }

  private void fill(String root, Connection connection) throws Exception {
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
    if (direct instanceof Connection.S3 s3) {
      return new Connection.S3(
          s3.name(),
          s3.region(),
          proxy.endpoint(),
          true,
          s3.accessKeyIdEnv(),
          s3.secretAccessKeyEnv(),
          null,
          true);
    }
    Connection.Azure azure = (Connection.Azure) direct;
    return new Connection.Azure(
        azure.name(), azure.account(), proxy.endpoint(), azure.accountKeyEnv(), null, null, true);
  }

  private JobSpec spec(
      String name, String source, Connection from, String sink, Connection to, int partSize) {
    Map<String, Connection> connections = new LinkedHashMap<>();
    connections.put(from.name(), from);
    connections.put(to.name(), to);
    return new JobSpec(
        name,
        new SourceSpec(URI.create(source), List.of("a", "b", "c", "d"), from.name()),
        new SinkSpec(URI.create(sink), to.name()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 8, 0, 0, 0, 0, REQUEST_TIMEOUT)
            .withPartSize(partSize),
        Mode.FULL,
        DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control") + ";AUTO_SERVER=TRUE",
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
  private void assertSinkHoldsEveryFile(String sink, Connection to) throws Exception {
    Map<String, byte[]> read = readAll(sink, to);
    assertThat(read.keySet()).containsExactlyElementsOf(files.keySet());
    files.forEach((key, data) -> assertThat(read.get(key)).as(key).isEqualTo(data));
    FILES_VERIFIED.addAndGet(files.size());
  }

  /**
   * Whatever the run's outcome: every file at the sink is byte-equal to its source (nothing partial
   * or cut short was kept), and every partition marked SUCCEEDED has all its files there.
   */
  private void assertNothingWrongKept(JobSpec spec, String sink, Connection to) throws Exception {
    Map<String, byte[]> read = readAll(sink, to);
    assertThat(files.keySet()).containsAll(read.keySet());
    read.forEach((key, data) -> assertThat(data).as(key).isEqualTo(files.get(key)));
    try (ControlStore control = ControlStore.open(spec.control())) {
      for (PartitionState partition : control.partitions(spec.name())) {
        if (partition.status() == PartitionStatus.SUCCEEDED) {
          String prefix = partition.key().prefix();
          files.keySet().stream()
              .filter(key -> key.startsWith(prefix))
              .forEach(key -> assertThat(read).as("partition " + prefix).containsKey(key));
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
   * Copies the source to a new sink with a few percent of the exchanges with each server broken,
   * every kind of fault among them: the run succeeds with every file byte-equal at the sink.
   *
   * @return the faults injected, by kind
   */
  private Map<Fault, Long> copiesThroughFewFaults(
      String source, Connection from, String sink, Connection to, int partSize) throws Exception {
    // Seeds whose first 90 draws hold at least two faults of each kind: a run makes more exchanges
    // than that with each server, so that every kind is met at both ends.
    List<FaultProxy> broken =
        List.of(
            proxy(from, 21).inject(FEW, Fault.values()), proxy(to, 52).inject(FEW, Fault.values()));
    JobSpec spec =
        spec(
            "faults-" + id,
            source,
            through(from, broken.get(0)),
            sink,
            through(to, broken.get(1)),
            partSize);

    RunRecord run = run(spec);

    broken.forEach(FaultProxy::heal);
    Map<Fault, Long> injected = count(broken);
    String what =
        "faults "
            + injected
            + " in "
            + (broken.get(0).exchanges() + broken.get(1).exchanges())
            + " exchanges: "
            + run.error();
    assertThat(run.status()).as(what).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals().filesFailed()).as(what).isZero();
    // A file written before its answer was lost may be found at the sink by a retry.
    assertThat(run.totals().filesCopied() + run.totals().filesSkipped())
        .as(what)
        .isEqualTo(files.size());
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.partitions(spec.name()))
          .extracting(PartitionState::status)
          .containsOnly(PartitionStatus.SUCCEEDED);
      assertThat(control.lease(spec.name())).isEmpty();
    }
    assertSinkHoldsEveryFile(sink, to);
    synchronized (RUN_FIGURES) {
      RUN_FIGURES.add(
          String.format(
              "%s -> %s at 5%%: %d + %d exchanges, faults %s, %d files byte-equal",
              from instanceof Connection.S3 ? "S3" : "Azure",
              to instanceof Connection.S3 ? "S3" : "Azure",
              broken.get(0).exchanges(),
              broken.get(1).exchanges(),
              injected,
              files.size()));
    }
    for (FaultProxy proxy : broken) {
      assertThat(Fault.values())
          .as("each end's faults " + injected)
          .anySatisfy(fault -> assertThat(proxy.injected(fault)).isPositive());
    }
    return injected;
  }

  @Test
  public void s3ToAzureThroughFewFaultsSucceedsWithEveryFileByteEqual() throws Exception {
    makeFiles(80, 2, 3 << 20); // 1 MiB blocks: 4 blocks each
    String source = "s3://src-" + id + "/";
    fill(source, aws);

    Map<Fault, Long> injected =
        copiesThroughFewFaults(
            source, aws, "azfs://devstoreaccount1/faults-" + id + "/", lake, 1 << 20);

    // Truncated bodies among them: the byte-equal sink shows that none was taken for a file.
    assertThat(injected)
        .allSatisfy((fault, n) -> assertThat(n).isGreaterThanOrEqualTo(EACH_KIND_AT_LEAST));
  }

  @Test
  public void azureToS3ThroughFewFaultsSucceedsWithEveryFileByteEqual() throws Exception {
    makeFiles(80, 1, 10 << 20); // 5 MiB parts (S3's least): 3 parts, and 3 ranges read, each
    String source = "azfs://devstoreaccount1/faults-" + id + "/data/";
    fill(source, lake);

    Map<Fault, Long> injected =
        copiesThroughFewFaults(source, lake, "s3://dst-" + id + "/", aws, 5 << 20);

    assertThat(injected)
        .allSatisfy((fault, n) -> assertThat(n).isGreaterThanOrEqualTo(EACH_KIND_AT_LEAST));
  }

  /**
   * A run whose every exchange with the {@code broken} servers fails once it has begun (after
   * {@code exchanges}, the checks before the run, with each) fails cleanly ({@link #failsCleanly});
   * the next run copies everything.
   */
  private void everyExchangeFailing(
      String source,
      Connection from,
      FaultProxy atSource,
      String sink,
      Connection to,
      FaultProxy atSink,
      int partSize,
      long exchanges)
      throws Exception {
    JobSpec spec =
        spec("broken-" + id, source, through(from, atSource), sink, through(to, atSink), partSize);
    List<FaultProxy> broken = new ArrayList<>();
    for (FaultProxy proxy : new FaultProxy[] {atSource, atSink}) {
      if (proxy != null) {
        broken.add(proxy.injectAfter(exchanges, 1, Fault.values()));
      }
    }

    failsCleanly(spec, to, broken);
    nextRunCopiesEverything(spec, to);
  }

  /**
   * Runs {@code spec} with its servers broken by {@code broken}, then heals them: the run ended
   * FAILED within a bound, each partition failed with its reason and none was marked done, nothing
   * partial or cut short is at the sink, and the lease is free.
   */
  private void failsCleanly(JobSpec spec, Connection to, List<FaultProxy> broken) throws Exception {
    long start = System.nanoTime();

    RunRecord failed = run(spec);

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    broken.forEach(FaultProxy::heal);
    String what = count(broken) + ": " + failed.error();
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
      assertThat(control.lease(spec.name())).isEmpty();
    }
    assertNothingWrongKept(spec, spec.sink().root().toString(), to);
  }

  /** The next run takes the lease at once and, the servers healed, copies everything. */
  private void nextRunCopiesEverything(JobSpec spec, Connection to) throws Exception {
    RunRecord next = run(spec);

    assertThat(next.status()).as(next.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertSinkHoldsEveryFile(spec.sink().root().toString(), to);
  }

  /** The copies fail: every Put Blob, block and stat of the sink. */
  @Test
  public void s3ToAzureWithEveryExchangeOfTheSinkFailingFailsCleanly() throws Exception {
    makeFiles(20, 1, 3 << 20);
    String source = "s3://src-" + id + "/";
    fill(source, aws);
    String sink = "azfs://devstoreaccount1/broken-" + id + "/";

    // The sink's container is looked for, and made.
    everyExchangeFailing(source, aws, null, sink, lake, proxy(lake, 7), 1 << 20, 2);
  }

  /** The listings fail, and the copies of what was listed before. */
  @Test
  public void azureToS3WithEveryExchangeOfBothFailingFailsCleanly() throws Exception {
    makeFiles(20, 1, 10 << 20);
    String source = "azfs://devstoreaccount1/broken-" + id + "/data/";
    fill(source, lake);
    String sink = "s3://broken-" + id + "/";

    // The source's container is looked for and its clock read; the sink's bucket made.
    everyExchangeFailing(source, lake, proxy(lake, 8), sink, aws, proxy(aws, 9), 5 << 20, 2);
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
  private void everyReadCutShort(
      String source, Connection from, String sink, Connection to, int partSize) throws Exception {
    FaultProxy cutting = proxy(from, 11).only(FaultInjectionTest::readsAFile);
    cutting.inject(1, Fault.TRUNCATE);
    JobSpec spec = spec("cut-" + id, source, through(from, cutting), sink, to, partSize);

    failsCleanly(spec, to, List.of(cutting));

    // Each of them was tried, and cut, more than once.
    assertThat(cutting.injected(Fault.TRUNCATE)).isGreaterThan(2L * files.size());
  }

  @Test
  public void s3ReadsCutShortAreNeverTakenForFiles() throws Exception {
    makeFiles(12, 1, 3 << 20);
    String source = "s3://src-" + id + "/";
    fill(source, aws);

    everyReadCutShort(source, aws, "azfs://devstoreaccount1/cut-" + id + "/", lake, 1 << 20);
  }

  @Test
  public void azureReadsCutShortAreNeverTakenForFiles() throws Exception {
    makeFiles(12, 1, 10 << 20);
    String source = "azfs://devstoreaccount1/cut-" + id + "/data/";
    fill(source, lake);

    everyReadCutShort(source, lake, "s3://cut-" + id + "/", aws, 5 << 20);
  }
}
