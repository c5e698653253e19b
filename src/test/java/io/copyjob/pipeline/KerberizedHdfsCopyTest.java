package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.store.hadoop.MiniHdfs;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.ExternalResource;
import org.junit.rules.RuleChain;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.TestRule;

/**
 * A {@code hadoop} connection with {@code kerberosPrincipal} and {@code kerberosKeytab} against a
 * kerberized HDFS: a KDC (Hadoop's MiniKdc) and a MiniDFSCluster whose NameNode and DataNode log in
 * from keytabs, with block access tokens and SASL on data transfer, as Hadoop's own
 * SaslDataTransferTestCase configures them (non-privileged ports allowed for testing).
 *
 * <p>Hadoop's security mode and login user are JVM-wide: the outermost rule puts them back as they
 * were (simple authentication, no login user) so that the other HDFS tests of this JVM still run.
 */
public class KerberizedHdfsCopyTest {
  private static final TemporaryFolder KDC_DIR = new TemporaryFolder();
  private static MiniKdc kdc;
  private static File serviceKeytab;
  private static File userKeytab;
  private static File otherKeytab;
  private static File goneKeytab;

  /** Starts the KDC and writes the keytabs of the cluster's services and of two users. */
  private static final ExternalResource KDC =
      new ExternalResource() {
        @Override
        protected void before() throws Throwable {
          kdc = new MiniKdc(MiniKdc.createConf(), KDC_DIR.newFolder("kdc"));
          kdc.start();
          serviceKeytab = new File(KDC_DIR.getRoot(), "hdfs.keytab");
          kdc.createPrincipal(serviceKeytab, "hdfs/localhost", "HTTP/localhost");
          userKeytab = new File(KDC_DIR.getRoot(), "etl.keytab");
          kdc.createPrincipal(userKeytab, "etl");
          otherKeytab = new File(KDC_DIR.getRoot(), "other.keytab");
          kdc.createPrincipal(otherKeytab, "other");
          // A keytab of a principal the KDC then forgets (MiniKdc has no call for it: its Kerby).
          goneKeytab = new File(KDC_DIR.getRoot(), "gone.keytab");
          kdc.createPrincipal(goneKeytab, "gone");
          java.lang.reflect.Field server = MiniKdc.class.getDeclaredField("simpleKdc");
          server.setAccessible(true);
          ((org.apache.kerby.kerberos.kerb.server.SimpleKdcServer) server.get(kdc))
              .deletePrincipal(principal("gone"));
        }

        @Override
        protected void after() {
          if (kdc != null) {
            kdc.stop();
          }
        }
      };

  /** Leaves Hadoop's JVM-wide security as the tests before this one had it. */
  private static final ExternalResource RESTORE_UGI =
      new ExternalResource() {
        @Override
        protected void after() {
          UserGroupInformation.reset();
          UserGroupInformation.setConfiguration(new Configuration());
          System.clearProperty("java.security.krb5.conf");
        }
      };

  private static final MiniHdfs HDFS = new MiniHdfs(KerberizedHdfsCopyTest::secure);

  @ClassRule
  public static final TestRule CHAIN =
      RuleChain.outerRule(RESTORE_UGI).around(KDC_DIR).around(KDC).around(HDFS);

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** A folder of etl's own: the root belongs to the cluster's service principal. */
  @BeforeClass
  public static void etlsFolder() throws Exception {
    org.apache.hadoop.fs.FileSystem fs = HDFS.cluster().getFileSystem();
    org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path("/etl");
    fs.mkdirs(folder);
    fs.setOwner(folder, "etl", "etl");
  }

  private static String principal(String name) {
    return name + "@" + kdc.getRealm();
  }

  private static void secure(Configuration conf) {
    conf.set("hadoop.security.authentication", "kerberos");
    for (String service : List.of("namenode", "datanode")) {
      conf.set("dfs." + service + ".kerberos.principal", principal("hdfs/localhost"));
      conf.set("dfs." + service + ".keytab.file", serviceKeytab.getAbsolutePath());
    }
    conf.set("dfs.web.authentication.kerberos.principal", principal("HTTP/localhost"));
    conf.set("dfs.web.authentication.kerberos.keytab", serviceKeytab.getAbsolutePath());
    conf.setBoolean("dfs.block.access.token.enable", true);
    conf.set("dfs.data.transfer.protection", "authentication");
    conf.set("dfs.http.policy", "HTTP_ONLY");
    // A secure DataNode wants privileged ports or HTTPS; neither is needed to test the client.
    conf.setBoolean("ignore.secure.ports.for.testing", true);
    UserGroupInformation.setConfiguration(conf);
  }

  /** A job file's connection to the cluster: the server's principal and SASL on data transfer. */
  private static Connection.Hadoop connection(String name, String user, File keytab) {
    Map<String, String> conf = new java.util.HashMap<>(MiniHdfs.connection(name).conf());
    conf.put("dfs.namenode.kerberos.principal", principal("hdfs/localhost"));
    conf.put("dfs.data.transfer.protection", "authentication");
    return new Connection.Hadoop(name, conf, Map.of(), principal(user), keytab.getAbsolutePath());
  }

  private final String id = UUID.randomUUID().toString().substring(0, 8);

  private JobSpec spec(String source, Connection from, String sink, Connection to) {
    Map<String, Connection> connections = new LinkedHashMap<>();
    if (from != null) {
      connections.put(from.name(), from);
    }
    if (to != null) {
      connections.put(to.name(), to);
    }
    return new JobSpec(
        "kerberos-" + id,
        new SourceSpec(URI.create(source), List.of("a", "b"), from == null ? null : from.name()),
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

  private static Map<String, byte[]> files() {
    Random random = new Random(7);
    Map<String, byte[]> files = new TreeMap<>();
    for (String key : List.of("a/1.csv", "a/deep/2.csv", "b/3.bin")) {
      // b/3.bin spans two blocks: its copy reads from the DataNode twice, each with a block token.
      byte[] data = new byte[key.equals("b/3.bin") ? MiniHdfs.BLOCK + 5_000 : 20_000];
      random.nextBytes(data);
      files.put(key, data);
    }
    return files;
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
  public void copiesFromAndToAKerberizedClusterWithAKeytab() throws Exception {
    Connection.Hadoop cluster = connection("cluster", "etl", userKeytab);
    Map<String, byte[]> files = files();
    String source = HDFS.root("hdfs", "etl/from-" + id).toString();
    try (Store hdfs = Stores.open(URI.create(source), cluster)) {
      hdfs.prepare(true);
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        byte[] data = file.getValue();
        hdfs.put(
            file.getKey(),
            new ByteArrayInputStream(data),
            new FileInfo(file.getKey(), data.length, null, null));
      }
    }
    Path local = tmp.newFolder("local").toPath();

    RunRecord out =
        DeltaWindowsTest.run(spec(source, cluster, local.toUri().toString(), null), clock());

    assertThat(out.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(out.totals().filesCopied()).isEqualTo(3);
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      assertThat(Files.readAllBytes(local.resolve(file.getKey())))
          .as(file.getKey())
          .isEqualTo(file.getValue());
    }

    String sink = HDFS.root("hdfs", "etl/to-" + id).toString();
    RunRecord in =
        DeltaWindowsTest.run(spec(local.toUri().toString(), null, sink, cluster), clock());

    assertThat(in.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(in.totals().filesCopied()).isEqualTo(3);
    try (Store hdfs = Stores.open(URI.create(sink), cluster)) {
      assertSameFiles(readAll(hdfs), files);
    }
  }

  @Test
  public void aKeytabOfAnotherPrincipalIsOneLineNamingTheConnection() {
    Connection.Hadoop wrong = connection("cluster", "etl", otherKeytab);
    URI root = HDFS.root("hdfs", "wrong-" + id);
    assertThatThrownBy(() -> Stores.open(root, wrong))
        .isInstanceOf(UncheckedIOException.class)
        .cause()
        .hasMessage(
            "connection 'cluster': keytab "
                + otherKeytab.getAbsolutePath()
                + " holds no key for "
                + principal("etl")
                + " (a keytab of another principal, or not a keytab)");
  }

  /** A principal the KDC does not know, with a keytab that has its key: the KDC refuses it. */
  @Test
  public void aPrincipalTheKdcDoesNotKnowIsOneLineNamingTheConnection() throws Exception {
    Connection.Hadoop unknown = connection("cluster", "gone", goneKeytab);
    URI root = HDFS.root("hdfs", "unknown-" + id);
    assertThatThrownBy(() -> Stores.open(root, unknown))
        .isInstanceOf(UncheckedIOException.class)
        .cause()
        .hasMessageStartingWith(
            "connection 'cluster': Kerberos login of "
                + principal("gone")
                + " from "
                + goneKeytab.getAbsolutePath()
                + " failed: Client not found in Kerberos database (6)");
  }

  private static Clock clock() {
    return Clock.systemUTC();
  }
}
