package io.copyjob.store.hadoop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.spec.Connection;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.Test;

/**
 * What a user sees when a Hadoop file system cannot be reached: one line naming the connection,
 * never a secret. No cluster: a scheme without its connector, a secret's variable unset, a NameNode
 * address where nothing listens.
 */
public class HadoopConnectionErrorsTest {
  private static final URI GEN1 = URI.create("adl://myaccount.azuredatalakestore.net/data/");

  private static Connection.Hadoop gen1(String secretVariable) {
    return new Connection.Hadoop(
        "gen1",
        Map.of(
            "fs.adl.oauth2.access.token.provider.type", "ClientCredential",
            "fs.adl.oauth2.client.id", "00000000-0000-0000-0000-000000000000",
            "fs.adl.oauth2.refresh.url", "https://login.microsoftonline.com/TENANT/oauth2/token"),
        Map.of("fs.adl.oauth2.credential", secretVariable),
        null,
        null);
  }

  /** hadoop-azure-datalake is not bundled: adl:// says what to add. */
  @Test
  public void adlWithoutItsConnectorSaysWhatToAdd() {
    // Any variable that is set: the secret is read before the file system is looked for.
    assertThatThrownBy(() -> Stores.open(GEN1, gen1("COPYJOB_TEST_S3_SECRET")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(
            "connection 'gen1': no Hadoop file system for adl:// (ADLS Gen1 needs"
                + " org.apache.hadoop:hadoop-azure-datalake 3.4.1")
        .hasMessageNotContaining(System.getenv("COPYJOB_TEST_S3_SECRET"));
  }

  @Test
  public void aSecretsVariableThatIsNotSetIsNamed() {
    assertThatThrownBy(() -> Stores.open(GEN1, gen1("COPYJOB_TEST_UNSET_ADL_SECRET")))
        .hasMessageContaining(
            "connection 'gen1': environment variable COPYJOB_TEST_UNSET_ADL_SECRET is not set");
  }

  /**
   * A NameNode address where nothing listens fails the check before a run in seconds (three
   * connection attempts), not after Hadoop's default of eleven or, for timeouts, forty-six.
   */
  @Test
  public void aNameNodeThatDoesNotAnswerIsOneLineNamingTheConnection() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Connection.Hadoop nn = new Connection.Hadoop("nn", Map.of(), Map.of(), null, null);
    long start = System.nanoTime();
    try (Store store =
        Stores.open(URI.create("hdfs://127.0.0.1:" + port + "/data/"), nn, Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> store.prepare(false))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("connection 'nn': hdfs://127.0.0.1:" + port + "/data/: ")
          .hasMessageContaining("nothing answers (connection refused)")
          .hasMessageNotContaining("wiki.apache.org")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(1));
  }
}
