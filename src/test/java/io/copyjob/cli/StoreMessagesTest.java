package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.store.AzuriteServer;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a user reads when a store cannot be used, against the real servers: one line on stderr that
 * names the connection and what is wrong, exit code 1, nothing else printed (no SDK log line), no
 * secret.
 */
public class StoreMessagesTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private String id;

  @Before
  public void setUp() throws Exception {
    id = UUID.randomUUID().toString().substring(0, 8);
    Path in = tmp.getRoot().toPath().resolve("in");
    Files.createDirectories(in);
    Files.writeString(in.resolve("x.txt"), "x");
  }

  /** A job copying the folder in/ to {@code sink} through the connection {@code lines}. */
  private Path job(String sink, String... connection) throws Exception {
    return job(
        List.of("source:", "  root: ./in/", "sink:", "  root: " + sink, "  connection: c"),
        connection);
  }

  /** A job file: its connections' lines, then {@code body}'s (source, sink and the rest). */
  private Path job(List<String> body, String[]... connections) throws Exception {
    List<String> lines = new ArrayList<>(List.of("name: messages-" + id, "connections:"));
    for (String[] connection : connections) {
      lines.addAll(List.of(connection));
    }
    lines.addAll(body);
    lines.add("");
    Path file = tmp.getRoot().toPath().resolve("job.yaml");
    Files.writeString(file, String.join("\n", lines));
    return file;
  }

  private static String[] s3(URI endpoint, String secretEnv) {
    return s3("c", endpoint, secretEnv);
  }

  private static String[] s3(String name, URI endpoint, String secretEnv) {
    return new String[] {
      "  " + name + ":",
      "    type: s3",
      "    endpoint: " + endpoint,
      "    pathStyle: true",
      "    accessKeyIdEnv: COPYJOB_TEST_S3_KEY",
      "    secretAccessKeyEnv: " + secretEnv,
      "    createBucket: true"
    };
  }

  private static String[] azure(URI endpoint, String credential) {
    return azure("c", endpoint, credential);
  }

  private static String[] azure(String name, URI endpoint, String credential) {
    return new String[] {
      "  " + name + ":",
      "    type: azure",
      "    account: devstoreaccount1",
      "    endpoint: " + endpoint,
      "    " + credential,
      "    createContainer: true"
    };
  }

  /** Runs the command; {exit code, stdout, stderr: copyjob's and whatever else wrote there}. */
  private static String[] copyjob(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ByteArrayOutputStream stray = new ByteArrayOutputStream();
    PrintStream realErr = System.err;
    System.setErr(new PrintStream(stray, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    } finally {
      System.setErr(realErr);
    }
    return new String[] {
      Integer.toString(exit), out.toString(), stray.toString(StandardCharsets.UTF_8) + err
    };
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  public void aWrongS3SecretSaysItDoesNotMatchTheKeyId() throws Exception {
    Path job = job("s3://b-" + id + "/", s3(S3.endpoint(), "COPYJOB_TEST_S3_WRONG_SECRET"));

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: connection 'c': bucket 'b-"
                + id
                + "': access denied (SignatureDoesNotMatch: the secret access key does not match"
                + " the access key id); check its credentials"
                + System.lineSeparator())
        .doesNotContain(System.getenv("COPYJOB_TEST_S3_WRONG_SECRET"));
  }

  @Test
  public void nothingListeningAtTheS3EndpointNamesItsAddress() throws Exception {
    int port = freePort();
    Path job =
        job(
            "s3://b-" + id + "/",
            s3(URI.create("http://127.0.0.1:" + port), "COPYJOB_TEST_S3_SECRET"));

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: connection 'c': bucket 'b-"
                + id
                + "': nothing answers at 127.0.0.1:"
                + port
                + " (connection refused)"
                + System.lineSeparator());
  }

  @Test
  public void nothingListeningAtTheAzureEndpointNamesItsAddress() throws Exception {
    int port = freePort();
    Path job =
        job(
            "azfs://devstoreaccount1/c-" + id + "/",
            azure(
                URI.create("http://127.0.0.1:" + port + "/devstoreaccount1"),
                "accountKeyEnv: COPYJOB_TEST_AZURE_KEY"));

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: connection 'c': container 'c-"
                + id
                + "': nothing answers at 127.0.0.1:"
                + port
                + " (connection refused)"
                + System.lineSeparator());
  }

  /**
   * A plan whose source does not answer says so as a run does, at once: each listing had waited out
   * the Azure SDK's tries first (2 min 15 s against a refused port).
   */
  @Test(timeout = 60_000)
  public void aPlanOfASourceThatDoesNotAnswerSaysSoAtOnce() throws Exception {
    int port = freePort();
    Path job =
        job(
            List.of(
                "source:",
                "  root: azfs://devstoreaccount1/c-" + id + "/",
                "  connection: c",
                "  partitions: [a, b]",
                "sink:",
                "  root: ./out/"),
            azure(
                URI.create("http://127.0.0.1:" + port + "/devstoreaccount1"),
                "accountKeyEnv: COPYJOB_TEST_AZURE_KEY"));

    String[] result = copyjob("plan", job.toString());

    assertThat(result[0]).isEqualTo("1");
    for (String prefix : List.of("a", "b")) {
      assertThat(result[1])
          .contains(
              "partition '"
                  + prefix
                  + "' of azfs://devstoreaccount1/c-"
                  + id
                  + "/: 0 files, 0 B  (listing failed: connection 'c': container 'c-"
                  + id
                  + "': nothing answers at 127.0.0.1:"
                  + port
                  + " (connection refused))");
    }
  }

  /** The SDK used to log an error line of its own, and copyjob's named no connection. */
  @Test
  public void anInvalidAzureConnectionStringNamesTheConnectionAndTheVariable() throws Exception {
    // Any variable that holds no connection string will do: this one holds the S3 key id.
    Path job =
        job(
            "azfs://devstoreaccount1/c-" + id + "/",
            azure(AzuriteServer.endpoint(), "connectionStringEnv: COPYJOB_TEST_S3_KEY"));

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: connection 'c': the connection string in COPYJOB_TEST_S3_KEY cannot be"
                + " used: Invalid connection string."
                + System.lineSeparator())
        .doesNotContain(System.getenv("COPYJOB_TEST_S3_KEY"));
  }

  @Test
  public void anAzureAccountKeyThatIsNoBase64NamesTheConnectionAndTheVariable() throws Exception {
    // The S3 test secret has '-' in it, which no base64 holds.
    Path job =
        job(
            "azfs://devstoreaccount1/c-" + id + "/",
            azure(AzuriteServer.endpoint(), "accountKeyEnv: COPYJOB_TEST_S3_SECRET"));

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .startsWith(
            "copyjob: connection 'c': the account key in COPYJOB_TEST_S3_SECRET cannot be used: ")
        .hasLineCount(1)
        .doesNotContain(System.getenv("COPYJOB_TEST_S3_SECRET"));
  }

  /**
   * s3proxy refuses a key with "//" from the AWS SDK with a signature error although the
   * credentials are right: the file's reason names the key and why, not the credentials.
   */
  @Test
  public void aKeyTheServerRefusesIsNotBlamedOnTheCredentials() throws Exception {
    String bucket = "src-" + id;
    try (Store source = Stores.open(URI.create("s3://" + bucket + "/"), S3.connection("s", true))) {
      source.prepare(true);
    }
    S3.putDirectly(bucket, "a//z", "z".getBytes(StandardCharsets.UTF_8));
    Path job =
        job(
            List.of(
                "source:",
                "  root: s3://" + bucket + "/",
                "  connection: c",
                "sink:",
                "  root: azfs://devstoreaccount1/dst-" + id + "/",
                "  connection: lake"),
            s3(S3.endpoint(), "COPYJOB_TEST_S3_SECRET"),
            azure("lake", AzuriteServer.endpoint(), "accountKeyEnv: COPYJOB_TEST_AZURE_KEY"));

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .contains(
            "connection 'c': reading s3://"
                + bucket
                + "/a//z: the server refused the key 'a//z' (SignatureDoesNotMatch) though it"
                + " takes this connection's credentials for the bucket: the AWS SDK sends '//' in a"
                + " key as '/%2F', which S3 takes and some S3-compatible servers (s3proxy) refuse")
        .doesNotContain("check its credentials")
        .hasLineCount(1);
  }
}
