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

  /**
   * {@code run --pushgateway}: a real Pushgateway holds the job's last run after each run (a push
   * replaces the one before), and a real Prometheus scraping the gateway returns it. A gateway that
   * is down costs a warning, not the run.
   */
  @Test
  public void runsPushTheirMetricsToAPushgatewayThatPrometheusScrapes() throws Exception {
    String prometheus = prometheus();
    String pushgateway = binary("prometheus-pushgateway", "COPYJOB_REQUIRE_PUSHGATEWAY");
    Path dir = tmp.getRoot().toPath();
    TestTrees.write(dir.resolve("src"), "a/1.bin", 1500);
    TestTrees.write(dir.resolve("src"), "a/2.bin", 2500);
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        "name: pushed\nsource:\n  root: ./src/\n  partitions: [a]\nsink:\n  root: ./dst/\n"
            + "mode: delta\n");
    int gatewayPort = freePort();
    Process gateway =
        new ProcessBuilder(pushgateway, "--web.listen-address=127.0.0.1:" + gatewayPort)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("pushgateway.log").toFile())
            .start();
    Process scraper = null;
    try {
      String url = "http://127.0.0.1:" + gatewayPort;
      awaitListening(url + "/-/ready", dir.resolve("pushgateway.log"));
      StringWriter out = new StringWriter();
      PrintWriter writer = new PrintWriter(out, true);
      assertThat(CopyJob.execute(writer, writer, "run", jobFile.toString(), "--pushgateway=" + url))
          .as(out.toString())
          .isZero();
      assertThat(out.toString()).doesNotContain("not pushed");
      String pushed = get(url + "/metrics");
      assertThat(pushed)
          .contains("copyjob_last_run_status{instance=\"\",job=\"pushed\",status=\"succeeded\"} 1")
          .contains("copyjob_last_run_files{instance=\"\",job=\"pushed\",outcome=\"copied\"} 2")
          .doesNotContain("copyjob_seconds_since_last_success");

      // The next run replaces the group: its own counts, not a sum.
      TestTrees.write(dir.resolve("src"), "a/3.bin", 700);
      // A delta window ends a kernel tick (10 ms) before its run starts, where a file's time may
      // lag the clock: a file written later is the next run's, so this one must be older.
      Thread.sleep(20);
      assertThat(CopyJob.execute(writer, writer, "run", jobFile.toString(), "--pushgateway=" + url))
          .as(out.toString())
          .isZero();
      assertThat(get(url + "/metrics"))
          .contains("copyjob_last_run_number{instance=\"\",job=\"pushed\"} 2")
          .contains("copyjob_last_run_files{instance=\"\",job=\"pushed\",outcome=\"copied\"} 1")
          .contains("copyjob_last_run_bytes{instance=\"\",job=\"pushed\"} 700");

      int port = freePort();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
              + "scrape_configs:\n"
              + "  - job_name: pushgateway\n"
              + "    honor_labels: true\n"
              + "    static_configs: [{targets: ['127.0.0.1:"
              + gatewayPort
              + "']}]\n");
      scraper =
          new ProcessBuilder(
                  prometheus,
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.resolve("tsdb"),
                  "--web.listen-address=127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      assertThat(query(port, "copyjob_last_run_status{job=\"pushed\",status=\"succeeded\"}", dir))
          .isEqualTo("1");
      assertThat(query(port, "copyjob_runs{job=\"pushed\",status=\"succeeded\"}", dir))
          .isEqualTo("2");
    } finally {
      stop(scraper);
      stop(gateway);
    }

    // The gateway is gone now: the run still succeeds and is recorded, with one warning.
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        CopyJob.execute(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            "run",
            jobFile.toString(),
            "--pushgateway=http://127.0.0.1:" + gatewayPort);
    assertThat(exit).as(out + "\n" + err).isZero();
    assertThat(err.toString())
        .contains("copyjob: warning: the metrics of job 'pushed' were not pushed")
        .contains("127.0.0.1:" + gatewayPort);
    // A URL that is not one is refused before the run, naming the option.
    err = new StringWriter();
    exit =
        CopyJob.execute(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            "run",
            jobFile.toString(),
            "--pushgateway=ftp://example");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("--pushgateway: must be an http:// or https:// URL");
  }

  private String get(String url) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url).isEqualTo(200);
    return response.body();
  }

  private void awaitListening(String url, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError(url + " did not answer within 30 s; log: " + Files.readString(log));
  }

  private static void stop(Process p) throws InterruptedException {
    if (p == null) {
      return;
    }
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
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
    return binary("prometheus", "COPYJOB_REQUIRE_PROMETHEUS");
  }

  /** The Debian package's binary on PATH; skipped without it, unless {@code require}=1 (CI). */
  private static String binary(String name, String require) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(d, name);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    if ("1".equals(System.getenv(require))) {
      throw new AssertionError(name + " is not on PATH (apt-get install " + name + ")");
    }
    Assume.assumeTrue(name + " is not on PATH", false);
    return null;
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
