package io.copyjob.pipeline;

import static org.junit.Assume.assumeTrue;

import io.copyjob.spec.JobSpec.ControlSpec;

/**
 * The same runs with a real PostgreSQL control store (started by scripts/test). Skipped when none
 * is configured, unless COPYJOB_REQUIRE_PG=1 (as in CI), when that is a failure.
 */
public class FileCopyPipelinePostgresTest extends FileCopyPipelineTest {
  @Override
  protected ControlSpec controlSpec() {
    String url = System.getenv("COPYJOB_TEST_PG_URL");
    if (url == null) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
        throw new AssertionError(
            "COPYJOB_TEST_PG_URL is not set; start PostgreSQL with scripts/test");
      }
      assumeTrue("no PostgreSQL configured", false);
    }
    return new ControlSpec(url, System.getenv("COPYJOB_TEST_PG_USER"), "COPYJOB_TEST_PG_PASSWORD");
  }
}
