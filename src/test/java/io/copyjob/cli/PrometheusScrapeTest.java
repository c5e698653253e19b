package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.copyjob.monitor.HistoryServer;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpecParser;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A real Prometheus (the Debian package's binary) scrapes {@code copyjob ui}'s {@code /metrics}
 * after a real run, and a query through its HTTP API returns the job's last status and counts.
 * Without the binary the test is skipped, unless COPYJOB_REQUIRE_PROMETHEUS=1 (as in CI).
 */
public class PrometheusScrapeTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  public void prometheusScrapesTheLastRunsStatusAndCounts() throws Exception {
    String binary = prometheus();
    Path dir = tmp.getRoot().toPath();
    TestTrees.write(dir.resolve("src"), "a/1.bin", 1500);
    TestTrees.write(dir.resolve("src"), "a/2.bin", 2500);
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        "name: scraped\nsource:\n  root: ./src/\n  partitions: [a]\nsink:\n  root: ./dst/\n");
    StringWriter out = new StringWriter();
    PrintWriter writer = new PrintWriter(out, true);
    assertThat(CopyJob.execute(writer, writer, "run", jobFile.toString()))
        .as(out.toString())
        .isZero();

    try (HistoryServer ui =
        HistoryServer.start(
            JobSpecParser.parse(jobFile).control(), new InetSocketAddress("127.0.0.1", 0))) {
      int port = freePort();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
              + "scrape_configs:\n"
              + "  - job_name: copyjob\n"
              + "    static_configs: [{targets: ['127.0.0.1:"
              + ui.port()
              + "']}]\n");
      Process prometheus =
          new ProcessBuilder(
                  binary,
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.resolve("tsdb"),
                  "--web.listen-address=127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      try {
        // honor_labels is off: the exposed "job" label becomes exported_job.
        String status =
            query(
                port,
                "copyjob_last_run_status{exported_job=\"scraped\",status=\"succeeded\"}",
                dir);
        assertThat(status).isEqualTo("1");
        assertThat(
                query(
                    port,
                    "copyjob_last_run_files{exported_job=\"scraped\",outcome=\"copied\"}",
                    dir))
            .isEqualTo("2");
        assertThat(query(port, "copyjob_last_run_bytes{exported_job=\"scraped\"}", dir))
            .isEqualTo("4000");
        assertThat(
                Double.parseDouble(
                    query(
                        port, "copyjob_seconds_since_last_success{exported_job=\"scraped\"}", dir)))
            .isBetween(0.0, 600.0);
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly();
        }
      }
    }
  }

  /** The query's single value, once Prometheus has scraped it (within a minute). */
  private String query(int port, String promql, Path dir) throws Exception {
    URI uri =
        URI.create(
            "http://127.0.0.1:"
                + port
                + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> response =
            http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        last = response.body();
        JsonNode result = new ObjectMapper().readTree(last).path("data").path("result");
        if (result.size() == 1) {
          return result.get(0).path("value").get(1).asText();
        }
      } catch (java.io.IOException e) {
        last = e.toString(); // not listening yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "Prometheus gave no value for "
            + promql
            + " within 60 s; last answer: "
            + last
            + "; its log: "
            + Files.readString(dir.resolve("prometheus.log")));
  }

  private static String prometheus() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(d, "prometheus");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    if ("1".equals(System.getenv("COPYJOB_REQUIRE_PROMETHEUS"))) {
      throw new AssertionError("prometheus is not on PATH (apt-get install prometheus)");
    }
    Assume.assumeTrue("prometheus is not on PATH", false);
    return null;
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
