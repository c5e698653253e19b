package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.cli.CopyJob;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
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
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Source keys that a sink may not hold under the same name, copied end to end on the DirectRunner
 * between the real servers (s3proxy, Azurite, local folders): each file lands byte-equal under
 * exactly its own name, or fails with its reason and fails its partition; nothing lands under
 * another name or outside the sink root, and no partition succeeds with a file missing.
 */
public class HostileKeysTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** The first error of partition a on a sink that resolves or refuses '..' segments. */
  private static final String DOT_DOT_REASON =
      "a/../b/x: not copied, the sink cannot keep its name";

  private String id;
  private Connection.S3 aws;

  /** Partition a: hostile keys and one plain file. Partition b: where "a/../b/x" would land. */
  private final Map<String, byte[]> files = new LinkedHashMap<>();

  @Before
  public void setUp() {
    id = UUID.randomUUID().toString().substring(0, 8);
    aws = S3.connection("aws", true);
    for (String key :
        List.of("a/../b/x", "a/./y", "a//z", "a\\w", "a/p/..", "a/x/", "a/m/", "a/ok.txt", "b/x")) {
      byte[] data =
          key.equals("a/m/") ? new byte[0] : ("content of " + key).getBytes(StandardCharsets.UTF_8);
      files.put(key, data);
    }
  }

  /** The S3 source: every file of {@link #files}, "a//z" past s3proxy's HTTP (see there). */
  private String s3Source() throws Exception {
    String root = "s3://src-" + id + "/";
    try (Store s3 = Stores.open(URI.create(root), aws)) {
      s3.prepare(true);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        if (file.getKey().contains("//")) {
          S3.putDirectly("src-" + id, file.getKey(), file.getValue());
        } else {
          put(s3, file.getKey(), file.getValue());
        }
      }
    }
    return root;
  }

  private static void put(Store store, String key, byte[] data) throws Exception {
    store.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
  }

  private JobSpec spec(String source, Connection from, String sink, Connection to) {
    Map<String, Connection> connections = new LinkedHashMap<>();
    connections.put(from.name(), from);
    if (to != null) {
      connections.put(to.name(), to);
    }
    return new JobSpec(
        "keys-" + id,
        new SourceSpec(URI.create(source), List.of("a", "b"), from.name()),
        new SinkSpec(URI.create(sink), to == null ? null : to.name()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 4),
        Mode.FULL,
        DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control") + ";AUTO_SERVER=TRUE",
            null,
            null),
        null,
        connections);
  }

  private Map<String, PartitionResult> results(JobSpec spec, RunRecord run) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      Map<String, PartitionResult> byPrefix = new TreeMap<>();
      for (PartitionRunRecord p : control.partitionRuns(run.runId())) {
        byPrefix.put(p.result().key().prefix(), p.result());
      }
      assertThat(control.partitions(spec.name()))
          .extracting(p -> p.key().prefix() + "=" + p.status())
          .containsExactly("a=" + PartitionStatus.FAILED, "b=" + PartitionStatus.SUCCEEDED);
      return byPrefix;
    }
  }

  private Map<String, byte[]> only(String... keys) {
    Map<String, byte[]> expected = new TreeMap<>();
    for (String key : keys) {
      expected.put(key, files.get(key));
    }
    return expected;
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
  public void s3ToLocal() throws Exception {
    Path outside = tmp.newFolder("out").toPath();
    Path sink = outside.resolve("sink");
    JobSpec spec = spec(s3Source(), aws, sink.toUri().toString(), null);

    RunRecord run = FileCopyPipelineTest.runDirect(spec);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    // A folder holds "a\w" (a backslash is a character of a Linux name); it cannot hold a name
    // with '..', '.' or '' segments or ending in '/', and the zero-byte marker a/m/ is no file.
    assertSameFiles(TestTrees.read(sink), only("a/ok.txt", "a\\w", "b/x"));
    try (Stream<Path> beside = Files.list(outside)) {
      assertThat(beside.map(p -> p.getFileName().toString())).containsExactly("sink");
    }
    Map<String, PartitionResult> results = results(spec, run);
    assertThat(results.get("a").filesCopied()).isEqualTo(2);
    assertThat(results.get("a").filesFailed()).isEqualTo(5);
    assertThat(results.get("a").firstError())
        .isEqualTo(
            DOT_DOT_REASON
                + ": 'a/../b/x' has a '.' or '..' path segment, which the file system resolves"
                + " to another folder");
    assertThat(results.get("b").filesCopied()).isEqualTo(1);
  }

  @Test
  public void s3ToAzure() throws Exception {
    Connection.Azure lake = AzuriteServer.connection("lake", true);
    String sink = "azfs://devstoreaccount1/keys-" + id + "/landing/";
    JobSpec spec = spec(s3Source(), aws, sink, lake);

    RunRecord run = FileCopyPipelineTest.runDirect(spec);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    try (Store azure = Stores.open(URI.create(sink), lake)) {
      // Azure keeps none of the hostile names as given ('\' becomes '/', segments ending in '.'
      // are dropped or resolved, a name ending in '/' is a folder in Data Lake) but "a//z", which
      // s3proxy refuses to the SDK: its read fails (see S3ProxyServer.putDirectly).
      assertSameFiles(readAll(azure), only("a/ok.txt", "b/x"));
    }
    Map<String, PartitionResult> results = results(spec, run);
    assertThat(results.get("a").filesCopied()).isEqualTo(1);
    assertThat(results.get("a").filesFailed()).isEqualTo(6);
    assertThat(results.get("a").firstError())
        .isEqualTo(
            DOT_DOT_REASON
                + ": 'a/../b/x' has a path segment ending in '.' (or a '.' or '..' segment),"
                + " which Azure drops or resolves");
    assertThat(results.get("b").filesCopied()).isEqualTo(1);
  }

  @Test
  public void azureToS3() throws Exception {
    Connection.Azure lake = AzuriteServer.connection("lake", true);
    String source = "azfs://devstoreaccount1/keys-" + id + "/data/";
    try (Store azure = Stores.open(URI.create(source), lake)) {
      azure.prepare(true);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        if (!file.getKey().contains("\\")) { // Azure would hold it as "a/w"
          put(azure, file.getKey(), file.getValue());
        }
      }
    }
    String sink = "s3://dst-" + id + "/copy/";
    JobSpec spec = spec(source, lake, sink, aws);

    RunRecord run = FileCopyPipelineTest.runDirect(spec);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    try (Store s3 = Stores.open(URI.create(sink), aws)) {
      // S3 holds every name as given, "a/x/" with its content too; s3proxy refuses "a//z".
      assertSameFiles(readAll(s3), only("a/../b/x", "a/./y", "a/ok.txt", "a/p/..", "a/x/", "b/x"));
    }
    Map<String, PartitionResult> results = results(spec, run);
    assertThat(results.get("a").filesCopied()).isEqualTo(5);
    assertThat(results.get("a").filesFailed()).isEqualTo(1);
    assertThat(results.get("a").firstError())
        .startsWith("a//z: ")
        .contains("SignatureDoesNotMatch");
    assertThat(results.get("b").filesCopied()).isEqualTo(1);
  }

  @Test
  public void planCountsTheSkippedMarkersAndTheNamesTheSinkCannotHold() throws Exception {
    String source = s3Source();
    Path job = tmp.getRoot().toPath().resolve("job.yaml");
    Files.writeString(
        job,
        String.join(
            "\n",
            "name: plan-" + id,
            "connections:",
            "  aws:",
            "    type: s3",
            "    endpoint: " + S3.endpoint(),
            "    pathStyle: true",
            "    accessKeyIdEnv: COPYJOB_TEST_S3_KEY",
            "    secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET",
            "source:",
            "  root: " + source,
            "  connection: aws",
            "  partitions: [a]",
            "sink:",
            "  root: ./out/",
            ""));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int exit =
        CopyJob.execute(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            "plan",
            job.toString(),
            "--files");

    assertThat(exit).as(err.toString()).isZero();
    List<String> lines = out.toString().lines().collect(Collectors.toList());
    long bytes =
        files.entrySet().stream()
            .filter(f -> f.getKey().startsWith("a"))
            .mapToLong(f -> f.getValue().length)
            .sum();
    assertThat(lines)
        .contains(
            "  "
                + source
                + "a/x/  "
                + files.get("a/x/").length
                + "  (fails: a/x/: not copied,"
                + " the sink cannot keep its name: 'a/x/' ends in '/': a folder cannot hold"
                + " content under that name)",
            "  " + source + "a\\w  " + files.get("a\\w").length,
            String.format(
                "partition 'a' of %s: 7 files, %d B, 5 of them with a name the sink cannot hold",
                source, bytes))
        .last()
        .isEqualTo(
            String.format(
                "plan for job 'plan-%s' (full): 1 partition(s), 7 files, %d B; 5 would fail: the"
                    + " sink cannot hold their names; 1 folder marker(s) skipped",
                id, bytes));
  }
}
