package io.copyjob.store;

import static org.junit.Assume.assumeTrue;

import io.copyjob.spec.Connection;
import java.net.URI;

/**
 * The Azurite that scripts/test starts (scripts/lib/azurite.sh): its Blob endpoint comes in
 * COPYJOB_TEST_AZURITE_BLOB_ENDPOINT. Without it, tests are skipped, unless
 * COPYJOB_REQUIRE_AZURITE=1 (as in CI), when that is a failure.
 */
public final class AzuriteServer {
  private AzuriteServer() {}

  public static URI endpoint() {
    String endpoint = System.getenv("COPYJOB_TEST_AZURITE_BLOB_ENDPOINT");
    if (endpoint == null) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_AZURITE"))) {
        throw new AssertionError(
            "COPYJOB_TEST_AZURITE_BLOB_ENDPOINT is not set; start Azurite with scripts/test");
      }
      assumeTrue("no Azurite configured", false);
    }
    return URI.create(endpoint);
  }

  /**
   * The Queue endpoint of the same Azurite (COPYJOB_TEST_AZURITE_QUEUE_ENDPOINT), skipped or failed
   * as {@link #endpoint} is.
   */
  public static URI queueEndpoint() {
    return other("COPYJOB_TEST_AZURITE_QUEUE_ENDPOINT");
  }

  /** The Table endpoint of the same Azurite (COPYJOB_TEST_AZURITE_TABLE_ENDPOINT). */
  public static URI tableEndpoint() {
    return other("COPYJOB_TEST_AZURITE_TABLE_ENDPOINT");
  }

  private static URI other(String variable) {
    endpoint();
    String endpoint = System.getenv(variable);
    if (endpoint == null) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_AZURITE"))) {
        throw new AssertionError(variable + " is not set; start Azurite with scripts/test");
      }
      assumeTrue("no Azurite queue/table service configured", false);
    }
    return URI.create(endpoint);
  }

  /** A connection with the emulator's account key, taken from the environment. */
  public static Connection.Azure connection(String name, boolean createContainer) {
    return new Connection.Azure(
        name,
        "devstoreaccount1",
        endpoint(),
        "COPYJOB_TEST_AZURE_KEY",
        null,
        null,
        createContainer);
  }
}
