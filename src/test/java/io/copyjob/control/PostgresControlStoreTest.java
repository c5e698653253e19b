package io.copyjob.control;

import static org.junit.Assert.fail;

import io.copyjob.spec.JobSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import org.junit.After;
import org.junit.Assume;
import org.junit.BeforeClass;

/**
 * The contract on a real PostgreSQL, in a schema of its own per test (dropped afterwards), so runs
 * never see each other's rows. Reads COPYJOB_TEST_PG_URL, COPYJOB_TEST_PG_USER and
 * COPYJOB_TEST_PG_PASSWORD ({@code scripts/lib/postgres.sh} starts a server and sets them); skipped
 * when the URL is unset, unless COPYJOB_REQUIRE_PG=1.
 */
public class PostgresControlStoreTest extends ControlStoreContractTest {
  private static final String URL = System.getenv("COPYJOB_TEST_PG_URL");
  private static final String USER = System.getenv("COPYJOB_TEST_PG_USER");
  private static final String PASSWORD_ENV = "COPYJOB_TEST_PG_PASSWORD";

  private String schema;

  @BeforeClass
  public static void needsPostgres() {
    if (URL == null || URL.isBlank()) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
        fail(
            "COPYJOB_REQUIRE_PG=1 but COPYJOB_TEST_PG_URL is not set:"
                + " run `source scripts/lib/postgres.sh && pg_ensure` first");
      }
      Assume.assumeTrue("COPYJOB_TEST_PG_URL not set: PostgreSQL tests skipped", false);
    }
  }

  @Override
  protected ControlStore openStore() throws Exception {
    return ControlStore.open(new JobSpec.ControlSpec(schemaUrl(), USER, PASSWORD_ENV));
  }

  @Override
  protected Connection connect() throws Exception {
    return DriverManager.getConnection(schemaUrl(), USER, System.getenv(PASSWORD_ENV));
  }

  /** The URL with this test's schema, made on first use (from the superclass's @Before). */
  private String schemaUrl() throws Exception {
    if (schema == null) {
      schema = "copyjob_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
      try (Connection c = DriverManager.getConnection(URL, USER, System.getenv(PASSWORD_ENV));
          Statement st = c.createStatement()) {
        st.execute("CREATE SCHEMA " + schema);
      }
    }
    return URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  @After
  public void dropSchema() throws Exception {
    if (schema != null) {
      try (Connection c = DriverManager.getConnection(URL, USER, System.getenv(PASSWORD_ENV));
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }
}
