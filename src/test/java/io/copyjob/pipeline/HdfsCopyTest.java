package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
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
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.store.hadoop.MiniHdfs;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Copies with HDFS (a MiniDFSCluster in the test JVM) at one end, through the real pipeline on the
 * DirectRunner with an H2 control store: HDFS -> Azure (Azurite), S3 (s3proxy) -> HDFS, delta runs
 * over HDFS modification times, and a partition of 10,000 files listed page by page.
 */
public class HdfsCopyTest {
  @ClassRule public static final MiniHdfs HDFS = new MiniHdfs();
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final Connection.Hadoop cluster = MiniHdfs.connection("cluster");
  private String id;
  private final Map<String, byte[]> files = new LinkedHashMap<>();

  @Before
  public void setUp() {
    id = UUID.randomUUID().toString().substring(0, 8);
    Random random = new Random(42);
    for (String key :
        List.of("a/1.csv", "a/deep/2.csv", "apple.csv", "b/3.bin", "b/empty.txt", "f/9.csv")) {
      // One file over a block (1 MiB): its copy reads across two blocks.
      int size = key.equals("b/3.bin") ? MiniHdfs.BLOCK + 70_000 : 1000 + random.nextInt(100_000);
      byte[] data = new byte[key.contains("empty") ? 0 : size];
      random.nextBytes(data);
      files.put(key, data);
    }
  }

  private void fill(Store store, Instant modified) throws Exception {
    store.prepare(true);
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      byte[] data = file.getValue();
      store.put(
          file.getKey(),
          new ByteArrayInputStream(data),
          new FileInfo(file.getKey(), data.length, modified, null));
    }
  }

  private JobSpec spec(String source, Connection from, String sink, Connection to, Mode mode) {
    Map<String, Connection> connections = new LinkedHashMap<>();
    connections.put(from.name(), from);
    if (to != null) {
      connections.put(to.name(), to);
    }
    return new JobSpec(
        "hdfs-" + id,
        new SourceSpec(URI.create(source), List.of("a", "b", "c"), from.name()),
        new SinkSpec(URI.create(sink), to == null ? null : to.name()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 8),
        mode,
        mode == Mode.DELTA ? new DeltaSpec(null, java.time.Duration.ZERO) : DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control") + ";AUTO_SERVER=TRUE",
            null,
            null),
        null,
        connections);
  }

  /** The partitions a to c: everything but f/9.csv. */
  private Map<String, byte[]> copied() {
    Map<String, byte[]> expected = new TreeMap<>(files);
    expected.remove("f/9.csv");
    return expected;
  }

  private static long bytes(Map<String, byte[]> files) {
    return files.values().stream().mapToLong(b -> b.length).sum();
  }

  private static Map<String, byte[]> readAll(Store store) throws Exception {
    Map<String, byte[]> read = new TreeMap<>();
    try (Listing listing = store.list("", true)) {
      while (listing.hasNext()) {
        String key = listing.next().key();
        try (InputStream in = store.open(key)) {
          read.put(key, in.readAllBytes());
        }
      }
    }
    return read;
  }

  private static void assertSameFiles(Map<String, byte[]> actual, Map<String, byte[]> expected) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((key, data) -> assertThat(actual.get(key)).as(key).isEqualTo(data));
  }

  @Test
  public void hdfsToAzureKeepsTheBytes() throws Exception {
    String source = HDFS.root("hdfs", "to-azure-" + id).toString();
    String sink = "azfs://devstoreaccount1/from-hdfs-" + id + "/landing/";
    Connection.Azure lake = AzuriteServer.connection("lake", true);
    try (Store hdfs = Stores.open(URI.create(source), cluster)) {
      fill(hdfs, null);
    }

    RunRecord run = DeltaWindowsTest.run(spec(source, cluster, sink, lake, Mode.FULL), clock());

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals()).isEqualTo(new RunTotals(3, 0, 5, 0, 0, bytes(copied())));
    try (Store azure = Stores.open(URI.create(sink), lake)) {
      assertSameFiles(readAll(azure), copied());
    }
  }

  @Test
  public void s3ToHdfsKeepsTheBytesAndTheModificationTimes() throws Exception {
    Connection.S3 aws = S3.connection("aws", true);
    String source = "s3://to-hdfs-" + id + "/";
    String sink = HDFS.root("hdfs", "from-s3-" + id + "/landing").toString();
    Map<String, Instant> listed = new TreeMap<>();
    try (Store s3 = Stores.open(URI.create(source), aws)) {
      fill(s3, null);
      try (Listing listing = s3.list("", true)) {
        listing.forEachRemaining(f -> listed.put(f.key(), f.lastModified()));
      }
    }

    RunRecord run = DeltaWindowsTest.run(spec(source, aws, sink, cluster, Mode.FULL), clock());

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals()).isEqualTo(new RunTotals(3, 0, 5, 0, 0, bytes(copied())));
    try (Store hdfs = Stores.open(URI.create(sink), cluster)) {
      assertSameFiles(readAll(hdfs), copied());
      for (String key : copied().keySet()) {
        assertThat(hdfs.stat(key).orElseThrow().lastModified()).as(key).isEqualTo(listed.get(key));
      }
    }
    // A second run over the same partitions skips what HDFS holds: same size and MD5.
    try (var control =
        io.copyjob.control.ControlStore.open(
            spec(source, aws, sink, cluster, Mode.FULL).control())) {
      control.resetPartitions("hdfs-" + id, List.of());
    }
    RunRecord again = DeltaWindowsTest.run(spec(source, aws, sink, cluster, Mode.FULL), clock());
    assertThat(again.totals()).isEqualTo(new RunTotals(3, 0, 0, 5, 0, 0));
  }

  /**
   * HDFS -> HDFS: each copy is written in its source's block size and verified by the two file
   * checksums; a rerun skips the identical files by their checksums and copies again one rewritten
   * at the sink with other bytes of the same length.
   */
  @Test
  public void aRerunBetweenHdfsFoldersSkipsIdenticalFilesAndCopiesATamperedOneAgain()
      throws Exception {
    String source = HDFS.root("hdfs", "hh-" + id + "/source").toString();
    String sink = HDFS.root("hdfs", "hh-" + id + "/sink").toString();
    Connection.Hadoop other = MiniHdfs.connection("other", 0);
    JobSpec spec = spec(source, cluster, sink, other, Mode.FULL);
    try (Store hdfs = Stores.open(URI.create(source), cluster)) {
      fill(hdfs, null);
    }

    RunRecord run = DeltaWindowsTest.run(spec, clock());

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(run.totals()).isEqualTo(new RunTotals(3, 0, 5, 0, 0, bytes(copied())));
    byte[] tampered = files.get("b/3.bin").clone();
    tampered[MiniHdfs.BLOCK + 5] ^= 1;
    try (Store from = Stores.open(URI.create(source), cluster);
        Store to = Stores.open(URI.create(sink), cluster)) {
      for (String key : copied().keySet()) {
        assertThat(to.checksum(key)).as(key).isPresent().isEqualTo(from.checksum(key));
      }
      // Rewritten in the same blocks (1 MiB, as its source's): only its checksum differs.
      to.put(
          "b/3.bin",
          new ByteArrayInputStream(tampered),
          new FileInfo("b/3.bin", tampered.length, null, null));
    }
    try (var control = io.copyjob.control.ControlStore.open(spec.control())) {
      control.resetPartitions("hdfs-" + id, List.of());
    }

    RunRecord again = DeltaWindowsTest.run(spec, clock());

    assertThat(again.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(again.totals()).isEqualTo(new RunTotals(3, 0, 1, 4, 0, files.get("b/3.bin").length));
    try (Store to = Stores.open(URI.create(sink), other)) {
      assertSameFiles(readAll(to), copied());
    }
  }

  /**
   * Delta windows end at the NameNode's clock (the time it stamps a scratch file with), not at this
   * machine's, here an hour ahead: a run copies exactly the files stamped in [the end of the last
   * successful window, the NameNode's time at its start).
   */
  @Test
  public void deltaWindowsEndAtTheNameNodesClock() throws Exception {
    String source = HDFS.root("hdfs", "clock-" + id).toString();
    Path sink = tmp.newFolder("sink").toPath();
    JobSpec spec = spec(source, cluster, sink.toUri().toString(), null, Mode.DELTA);
    Clock ahead = Clock.offset(Clock.systemUTC(), java.time.Duration.ofHours(1));
    byte[] data = {1, 2, 3};
    try (Store hdfs = Stores.open(URI.create(source), cluster);
        var control = io.copyjob.control.ControlStore.open(spec.control())) {
      hdfs.prepare(true);
      hdfs.put("a/first.bin", new ByteArrayInputStream(data), new FileInfo("a", 3, null, null));
      Thread.sleep(5); // out of the NameNode's millisecond, where the window ends (exclusive)
      RunRecord one = DeltaWindowsTest.run(spec, ahead);
      assertThat(one.totals().filesCopied()).isEqualTo(1);
      Instant end = windowEnd(control, one, "a");
      assertThat(end).isBefore(one.startedAt().minus(java.time.Duration.ofMinutes(59)));
      // The clock's scratch file is gone (a listing would skip it: ask the file system).
      try (FileSystem fs = FileSystem.newInstance(URI.create(source), new Configuration())) {
        assertThat(fs.listStatus(new org.apache.hadoop.fs.Path(source)))
            .extracting(f -> f.getPath().getName())
            .containsExactly("a");
      }
      try (Listing all = hdfs.list("", true)) {
        assertThat(all.next().key()).isEqualTo("a/first.bin");
        assertThat(all.hasNext()).isFalse();
      }

      Map<String, Instant> stamps = new TreeMap<>();
      stamps.put("a/before.bin", end.minusMillis(1));
      stamps.put("a/at-the-end.bin", end);
      stamps.put("a/now.bin", null); // the NameNode's time as it closes the file
      stamps.put("a/later.bin", Instant.now().plus(java.time.Duration.ofMinutes(30)));
      for (Map.Entry<String, Instant> stamp : stamps.entrySet()) {
        String key = stamp.getKey();
        hdfs.put(key, new ByteArrayInputStream(data), new FileInfo(key, 3, stamp.getValue(), null));
      }
      Thread.sleep(5); // a/now.bin out of the millisecond where the window ends
      RunRecord two = DeltaWindowsTest.run(spec, ahead);

      assertThat(two.status()).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(TestTrees.read(sink))
          .containsOnlyKeys("a/first.bin", "a/at-the-end.bin", "a/now.bin");
      assertThat(two.totals().filesCopied()).isEqualTo(2);
      assertThat(windowEnd(control, two, "a")).isBefore(stamps.get("a/later.bin"));
    }
  }

  private static Instant windowEnd(
      io.copyjob.control.ControlStore control, RunRecord run, String prefix) throws Exception {
    return control.partitionRuns(run.runId()).stream()
        .filter(p -> p.result().key().prefix().equals(prefix))
        .findFirst()
        .orElseThrow()
        .result()
        .windowEnd();
  }

  /**
   * HDFS keeps modification times in milliseconds: a delta run copies the files changed since the
   * last one ended, and nothing it copied before.
   */
  @Test
  public void deltaRunsCopyWhatChangedSinceTheLast() throws Exception {
    String source = HDFS.root("hdfs", "delta-" + id).toString();
    Path sink = tmp.newFolder("sink").toPath();
    JobSpec spec = spec(source, cluster, sink.toUri().toString(), null, Mode.DELTA);
    byte[] first = {1, 2, 3};
    byte[] second = {4, 5, 6, 7};
    try (Store hdfs = Stores.open(URI.create(source), cluster)) {
      hdfs.prepare(true);
      hdfs.put("a/first.bin", new ByteArrayInputStream(first), new FileInfo("a", 3, null, null));
      Thread.sleep(5); // out of the NameNode's millisecond, where the window ends (exclusive)
      RunRecord one = DeltaWindowsTest.run(spec, clock());
      assertThat(one.totals().filesCopied()).isEqualTo(1);

      hdfs.put("a/second.bin", new ByteArrayInputStream(second), new FileInfo("a", 4, null, null));
      // Replaced: a later modification time, the same name.
      hdfs.put("a/first.bin", new ByteArrayInputStream(second), new FileInfo("a", 4, null, null));
      // The window ends (exclusive) at the NameNode's millisecond when the run reads its clock: a
      // file closed in that same millisecond is the next run's.
      Thread.sleep(5);
      RunRecord two = DeltaWindowsTest.run(spec, clock());

      assertThat(two.status()).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(two.totals().filesCopied()).isEqualTo(2);
      assertThat(TestTrees.read(sink)).containsOnlyKeys("a/first.bin", "a/second.bin");
      assertThat(TestTrees.read(sink).get("a/first.bin")).isEqualTo(second);

      RunRecord three = DeltaWindowsTest.run(spec, clock());
      assertThat(three.totals().filesCopied()).isZero();
      assertThat(three.totals().filesSkipped()).isZero();
    }
  }

  /**
   * A partition of 10,000 files is listed as a stream: the NameNode is asked for it in pages of
   * {@code dfs.ls.limit} (100 here), and the files are counted as they pass, none kept.
   */
  @Test
  public void aPartitionOfTenThousandFilesIsListedPageByPage() throws Exception {
    URI root = HDFS.root("hdfs", "many-" + id);
    int count = 10_000;
    Configuration conf = new Configuration();
    ExecutorService writers = Executors.newFixedThreadPool(8);
    try (FileSystem fs = FileSystem.newInstance(root, conf)) {
      List<Future<?>> writes = new java.util.ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int first = t;
        writes.add(
            writers.submit(
                () -> {
                  for (int i = first; i < count; i += 8) {
                    // Empty files: a name each, no block, so that 10,000 take seconds.
                    fs.create(new org.apache.hadoop.fs.Path(root + String.format("p/f%05d", i)))
                        .close();
                  }
                  return null;
                }));
      }
      for (Future<?> write : writes) {
        write.get();
      }
    } finally {
      writers.shutdown();
    }
    long listingsBefore = listingOps();

    long listed = 0;
    try (Store hdfs = Stores.open(root, cluster);
        Listing listing = hdfs.list("p/", true)) {
      while (listing.hasNext()) {
        assertThat(listing.next().key()).startsWith("p/f");
        listed++;
      }
    }

    assertThat(listed).isEqualTo(count);
    assertThat(listingOps() - listingsBefore).isGreaterThanOrEqualTo(count / MiniHdfs.PAGE);
  }

  /**
   * The read calls HDFS clients of this JVM made of a NameNode (Hadoop's per-scheme statistics):
   * each page of a directory's listing is one, as are a file status and an open.
   */
  @SuppressWarnings("deprecation") // its replacement, storage statistics, counts no pages
  private static long listingOps() {
    return FileSystem.getAllStatistics().stream()
        .filter(s -> s.getScheme().equals("hdfs"))
        .mapToLong(FileSystem.Statistics::getReadOps)
        .sum();
  }

  private static Clock clock() {
    return Clock.systemUTC();
  }
}
