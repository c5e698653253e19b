package io.copyjob.tabular;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.tabular.pipeline.TabularJob;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

/**
 * What the tabular tests share: a bucket of their own on s3proxy, a database (or schema) of their
 * own, a job file reading the one into the other, and a run on the DirectRunner.
 */
public abstract class TabularTestBase {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  protected String id;
  protected String bucket;
  protected SinkDatabase sink;
  private Store store;

  /** A fresh, empty database (or schema) for one test. */
  abstract SinkDatabase database();

  static final String ORDERS_DDL =
      "CREATE TABLE \"orders\" (\"id\" INTEGER NOT NULL PRIMARY KEY, \"customer\" BIGINT,"
          + " \"amount\" NUMERIC(12,2), \"ratio\" DOUBLE PRECISION, \"paid\" BOOLEAN, \"day\" DATE,"
          + " \"at\" TIMESTAMP, \"at_tz\" TIMESTAMP WITH TIME ZONE, \"code\" VARCHAR(20),"
          + " \"note\" TEXT, \"uid\" UUID)";

  static final String ORDERS_HEADER = "id,customer,amount,ratio,paid,day,at,at_tz,code,note,uid\n";

  @Before
  public void setUp() throws Exception {
    id = UUID.randomUUID().toString().substring(0, 8);
    bucket = "tab-" + id;
    sink = database();
    store = Stores.open(URI.create("s3://" + bucket + "/"), S3.connection("s3", true));
    store.prepare(true);
  }

  @After
  public void tearDown() throws Exception {
    if (store != null) {
      store.close();
    }
    if (sink != null) {
      sink.drop();
    }
  }

  protected void put(String key, byte[] data) throws Exception {
    store.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
  }

  protected void put(String key, String text) throws Exception {
    put(key, text.getBytes(StandardCharsets.UTF_8));
  }

  protected static byte[] gzip(String text) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }

  /** The text of every file below {@code prefix} of the test's bucket, by key. */
  protected List<String> read(String root, String prefix) throws Exception {
    return read(root, prefix, S3.connection("s3", true));
  }

  /** The text of every file below {@code prefix} of {@code root}, in key order. */
  protected static List<String> read(String root, String prefix, Connection connection)
      throws Exception {
    List<String> texts = new ArrayList<>();
    try (Store at = Stores.open(URI.create(root), connection);
        Listing listing = at.list(prefix, true)) {
      while (listing.hasNext()) {
        try (InputStream in = at.open(listing.next().key())) {
          texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
    return texts;
  }

  /** A job file reading CSV from the test's bucket into the test's database. */
  protected JobSpec job(String rest) {
    return JobSpecParser.parse(jobYaml(rest), tmp.getRoot().toPath(), "job.yaml");
  }

  protected String jobYaml(String rest) {
    return "name: tab-"
        + id
        + "\n"
        + "connections:\n"
        + "  s3: {type: s3, region: us-east-1, endpoint: '"
        + S3.endpoint()
        + "', pathStyle: true, accessKeyIdEnv: COPYJOB_TEST_S3_KEY,"
        + " secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET, createBucket: true}\n"
        + (rest.contains("connection: lake")
            ? "  lake: {type: azure, account: devstoreaccount1, endpoint: '"
                + AzuriteServer.endpoint()
                + "', accountKeyEnv: COPYJOB_TEST_AZURE_KEY, createContainer: true}\n"
            : "")
        + "source: {root: 's3://"
        + bucket
        + "/exports/', connection: s3, format: csv}\n"
        + "sink:\n"
        + sink.yaml()
        + rest
        + "control: {url: 'jdbc:h2:file:"
        + tmp.getRoot().toPath().resolve("control")
        + ";AUTO_SERVER=TRUE'}\n";
  }

  protected static RunRecord run(JobSpec spec, boolean onlyFailed) throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return new TabularJob(
            spec,
            options,
            "direct",
            "{}",
            new PrintStream(new ByteArrayOutputStream()),
            false,
            onlyFailed)
        .run();
  }

  protected static List<PartitionRunRecord> tables(JobSpec spec, RunRecord run) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.partitionRuns(run.runId());
    }
  }
}
