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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

/**
 * A store that stops answering in the middle of a run (the fault proxy holding every connection
 * open and forwarding nothing): the run ends FAILED within a bound, no partition is marked done,
 * the partitions' errors name the connection and the timeout; once the store answers again a rerun
 * completes with a byte-equal sink. Before the stores had timeouts, such a run waited for ever.
 */
public class StalledCloudCopyTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  @Rule public Timeout guard = Timeout.seconds(300);

  /** Short, but not so short that a busy emulator, shared by other tests, looks dead. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

  /**
   * A run whose store stops answering ends within this: its breaker opens after three or four
   * request timeouts, and the run's own steps (starting the pipeline, recording) take the rest.
   */
  private static final Duration FAILS_WITHIN = REQUEST_TIMEOUT.multipliedBy(30);

  private String id;
  private FaultProxy proxy;
  private Connection.S3 aws;
  private Connection.Azure lake;
  private final Map<String, byte[]> files = new TreeMap<>();

  @Before
  public void setUp() throws Exception {
    id = UUID.randomUUID().toString().substring(0, 8);
    proxy = FaultProxy.start(AzuriteServer.endpoint(), FaultProxy.Flavor.AZURE, 3);
    aws = S3.connection("aws", true);
    lake = proxy.through(AzuriteServer.connection("lake", true));
    Random random = new Random(7);
    for (String partition : List.of("a", "b")) {
      for (int i = 0; i < 20; i++) {
        byte[] data = new byte[500 + random.nextInt(20_000)];
        random.nextBytes(data);
        files.put(String.format("%s/%02d.bin", partition, i), data);
      }
    }
  }

  @After
  public void tearDown() {
    if (proxy != null) {
      proxy.close();
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

  private JobSpec spec(String source, Connection from, String sink, Connection to) {
    Map<String, Connection> connections = new LinkedHashMap<>();
    connections.put(from.name(), from);
    connections.put(to.name(), to);
    return new JobSpec(
        "stalled-" + id,
        new SourceSpec(URI.create(source), List.of("a", "b"), from.name()),
        new SinkSpec(URI.create(sink), to.name()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 4, 0, 0, 0, 0, REQUEST_TIMEOUT),
        Mode.FULL,
        DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control") + ";AUTO_SERVER=TRUE",
            null,
            null),
        null,
        connections);
  }

  private static RunRecord run(JobSpec spec) throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return new FileCopyJob(
            spec, options, "direct", "{}", new PrintStream(new ByteArrayOutputStream()), false)
        .run();
  }

  /** Runs the job with the proxied store stalling after {@code exchanges}; checks how it ends. */
  private void runFailsWithinItsBound(JobSpec spec, long exchanges) throws Exception {
    proxy.stallAfter(exchanges);
    long start = System.nanoTime();

    RunRecord failed = run(spec);

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(proxy.injected(FaultProxy.Fault.STALL)).as(failed.error()).isPositive();
    assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
    assertThat(took).isLessThan(FAILS_WITHIN);
    try (ControlStore control = ControlStore.open(spec.control())) {
      List<PartitionState> partitions = control.partitions(spec.name());
      assertThat(partitions).hasSize(2).noneMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
      assertThat(partitions)
          .allSatisfy(
              p ->
                  assertThat(p.error())
                      .contains("connection 'lake'")
                      .contains("copy.requestTimeout"));
    }
  }

  private void rerunCompletes(JobSpec spec, String sink, Connection sinkDirect) throws Exception {
    proxy.heal();
    RunRecord rerun = run(spec);
    assertThat(rerun.status()).as(rerun.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(rerun.totals().filesFailed()).isZero();
    Map<String, byte[]> read = new TreeMap<>();
    try (Store store = Stores.open(URI.create(sink), sinkDirect);
        Listing listing = store.list("", true)) {
      while (listing.hasNext()) {
        String key = listing.next().key();
        try (InputStream in = store.open(key)) {
          read.put(key, in.readAllBytes());
        }
      }
    }
    assertThat(read.keySet()).containsExactlyElementsOf(files.keySet());
    files.forEach((key, data) -> assertThat(read.get(key)).as(key).isEqualTo(data));
  }

  @Test
  public void aSinkThatStallsDuringTheCopyFailsTheRunAndTheRerunCompletes() throws Exception {
    String source = "s3://src-" + id + "/";
    String sink = "azfs://devstoreaccount1/stalled-" + id + "/landing/";
    fill(source, aws);
    JobSpec spec = spec(source, aws, sink, lake);

    // The container's check and the sink listings pass, and a few files are copied.
    runFailsWithinItsBound(spec, 10);

    rerunCompletes(spec, sink, AzuriteServer.connection("lake", false));
  }

  @Test
  public void aSourceThatStallsDuringTheCopyFailsTheRunAndTheRerunCompletes() throws Exception {
    String source = "azfs://devstoreaccount1/stalled-" + id + "/data/";
    String sink = "s3://dst-" + id + "/copy/";
    fill(source, AzuriteServer.connection("lake", true));
    JobSpec spec = spec(source, lake, sink, aws);

    // The container's check and the listings pass, and a few files are read.
    runFailsWithinItsBound(spec, 8);

    rerunCompletes(spec, sink, aws);
  }
}
