package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.monitor.HistoryServer;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code copyjob ui}: the history server over a real H2 control store, after real runs, read as a
 * browser reads it (HTTP).
 */
public class HistoryServerTest {
  /** A partition prefix that is markup: the pages must show it as text. */
  private static final String MARKUP = "<img src=x onerror=alert(1)>";

  @ClassRule public static TemporaryFolder tmp = new TemporaryFolder();

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static JobSpec spec;
  private static HistoryServer server;

  @BeforeClass
  public static void runAJobTwice() throws Exception {
    Path dir = tmp.getRoot().toPath();
    TestTrees.write(dir.resolve("src"), "x/1.bin", 1000);
    TestTrees.write(dir.resolve("src"), MARKUP + "/2.bin", 2000);
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: ui-job",
            "source:",
            "  root: ./src/",
            "  partitions: [x, '" + MARKUP + "']",
            "sink:",
            "  root: ./dst/",
            ""));
    StringWriter out = new StringWriter();
    PrintWriter writer = new PrintWriter(out, true);
    assertThat(CopyJob.execute(writer, writer, "run", jobFile.toString()))
        .as(out.toString())
        .isZero();
    assertThat(CopyJob.execute(writer, writer, "partitions", "reset", jobFile.toString(), "--all"))
        .isZero();
    assertThat(CopyJob.execute(writer, writer, "run", jobFile.toString())).isZero();
    // A job in the same store whose run fails one file, named as markup: a directory stands where
    // the file must go.
    TestTrees.write(dir.resolve("src2"), "bad/ok.bin", 10);
    TestTrees.write(dir.resolve("src2"), "bad/" + MARKUP + ".bin", 10);
    TestTrees.write(dir.resolve("dst2"), "bad/" + MARKUP + ".bin/blocker", 1);
    Path failing = dir.resolve("failing.yaml");
    Files.writeString(
        failing,
        "name: ui-failed\nsource:\n  root: ./src2/\n  partitions: [bad]\nsink:\n  root: ./dst2/\n");
    assertThat(CopyJob.execute(writer, writer, "run", failing.toString()))
        .as(out.toString())
        .isEqualTo(1);
    spec = JobSpecParser.parse(jobFile);
    server = HistoryServer.start(spec.control(), new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterClass
  public static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  public void theJobsPageListsEachJobWithItsLastRun() throws Exception {
    HttpResponse<String> page = get("/");

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body())
        .contains("<a href=\"/jobs/ui-job\">ui-job</a>")
        .contains("<a href=\"/jobs/ui-job/runs/2\">#2</a>")
        .contains("SUCCEEDED")
        .contains("<td>0/2/0</td>"); // the second run skipped both files
  }

  @Test
  public void aJobsPageListsItsRunsAndDrawsTheirThroughput() throws Exception {
    String body = get("/jobs/ui-job").body();

    assertThat(body)
        .contains("/jobs/ui-job/runs/1\">#1</a>")
        .contains("/jobs/ui-job/runs/2\">#2</a>")
        .contains("<td>2/0/0</td>") // run 1 copied both
        .contains("<td>0/2/0</td>")
        .contains("<svg")
        .contains("<title>run 1 SUCCEEDED: ");
  }

  @Test
  public void aRunsPageShowsItsPartitionsAsTextAndTheSettings() throws Exception {
    HttpResponse<String> page = get("/jobs/ui-job/runs/1");

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body())
        .contains("<h2>Partitions</h2>")
        .contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>")
        .doesNotContain(MARKUP)
        .contains("&quot;name&quot; : &quot;ui-job&quot;")
        .doesNotContain("http-equiv=\"refresh\"");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .startsWith("default-src 'none'");
  }

  @Test
  public void aRunsPageListsItsFailedFilesFromTheManifestAsText() throws Exception {
    String body = get("/jobs/ui-failed/runs/1").body();

    assertThat(body)
        .contains("<h2>Failed files</h2>")
        .contains("<td>bad/&lt;img src=x onerror=alert(1)&gt;.bin</td>")
        .contains("Is a directory")
        .doesNotContain(MARKUP)
        .doesNotContain("bad/ok.bin");
    assertThat(get("/jobs/ui-job/runs/1").body()).doesNotContain("Failed files");
  }

  @Test
  public void aRunningRunsPageReloadsItself() throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.startRun(
          "running-job", Instant.now(), "full", "DirectRunner", "{\"name\":\"running-job\"}");
    }

    String body = get("/jobs/running-job/runs/1").body();

    assertThat(body)
        .contains("<meta http-equiv=\"refresh\" content=\"5\">")
        .contains("RUNNING")
        .contains("Running: this page reloads every 5 s, 0 partition(s) or table(s) finished")
        // No point of progress yet: the chart says so and draws nothing.
        .contains("<h2>Throughput over time</h2>")
        .contains("Drawn once a worker has written two progress batches.")
        .doesNotContain("aria-label=\"throughput over time\"");
  }

  /**
   * A running run's page draws its throughput over time from the points its workers' batches wrote:
   * one bar per interval of a single worker, its figures those stored; one point draws none.
   */
  @Test
  public void aRunningRunsPageChartsItsThroughputFromTheStoredPoints() throws Exception {
    String worker = "tm:1:" + MARKUP;
    long runId;
    long single;
    java.util.List<io.copyjob.control.ProgressPoint> points;
    try (ControlStore control = ControlStore.open(spec.control())) {
      runId =
          control.startRun("chart-job", Instant.now(), "full", "flink", "{\"name\":\"chart-job\"}");
      for (long[] t : new long[][] {{1, 1_000}, {3, 5_000}, {7, 105_000}}) {
        control.progress().write(runId, "chart-job", worker, java.util.List.of(), t[0], totals(t));
        Thread.sleep(300); // long beside the writes' own time, whatever the load
      }
      points = control.progress().history(runId);
      single =
          control.startRun("one-point", Instant.now(), "full", "flink", "{\"name\":\"one-point\"}");
      control
          .progress()
          .write(single, "one-point", worker, java.util.List.of(), 0, totals(new long[] {1, 1}));
    }
    assertThat(points)
        .extracting(io.copyjob.control.ProgressPoint::bytes)
        .containsExactly(1_000L, 5_000L, 105_000L);

    String body = get("/jobs/chart-job/runs/1").body();
    String one = get("/jobs/one-point/runs/1").body();

    String chart = body.substring(body.indexOf("<h2>Throughput over time</h2>"));
    assertThat(chart).contains("aria-label=\"throughput over time\"");
    assertThat(chart.split("<rect ", -1)).hasSize(3); // two intervals, two bars
    for (int i = 1; i < points.size(); i++) {
      io.copyjob.control.ProgressPoint a = points.get(i - 1);
      io.copyjob.control.ProgressPoint b = points.get(i);
      java.time.Duration d = java.time.Duration.between(a.at(), b.at());
      assertThat(chart)
          .contains(
              ": "
                  + io.copyjob.monitor.Units.rate(b.bytes() - a.bytes(), d)
                  + ", "
                  + io.copyjob.monitor.Units.filesPerSecond(b.files() - a.files(), d)
                  + "</title>");
    }
    // The largest bar's rate labels the axis; nobody's worker name (it is markup) is shown.
    java.time.Duration last = java.time.Duration.between(points.get(1).at(), points.get(2).at());
    assertThat(chart).contains(">" + io.copyjob.monitor.Units.rate(100_000, last) + "</text>");
    assertThat(body).doesNotContain(MARKUP).doesNotContain("tm:1:");
    assertThat(one)
        .contains("Drawn once a worker has written two progress batches.")
        .doesNotContain("aria-label=\"throughput over time\"");
  }

  /** A worker's totals: files copied and bytes. */
  private static io.copyjob.control.ProgressRecord totals(long[] filesAndBytes) {
    return new io.copyjob.control.ProgressRecord(
        io.copyjob.control.ProgressRecord.RUN,
        null,
        0,
        0,
        filesAndBytes[0],
        0,
        0,
        filesAndBytes[1],
        0,
        0,
        0,
        0,
        0,
        null,
        0,
        0,
        null);
  }

  /**
   * A running run's page and /metrics show what its workers wrote to the progress table, escaped,
   * and where the time went.
   */
  @Test
  public void aRunningRunsProgressFromItsWorkersIsShownEscapedWithWhereTheTimeWent()
      throws Exception {
    String root = spec.source().root().toString();
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.acquireLease("progress-job", "h:1:u", java.time.Duration.ofMinutes(1)))
          .isTrue();
      long runId =
          control.startRun(
              "progress-job", "h:1:u", Instant.now(), "full", "flink", "{\"name\":\"x\"}");
      control
          .progress()
          .write(
              runId,
              "progress-job",
              "tm:2:w",
              java.util.List.of(
                  new io.copyjob.control.ProgressRecord(
                      new io.copyjob.control.PartitionKey(root, MARKUP),
                      io.copyjob.control.ProgressState.COPYING,
                      8,
                      8_000,
                      2,
                      1,
                      0,
                      3_000,
                      0,
                      10,
                      2_500,
                      700,
                      30,
                      120L,
                      3,
                      4,
                      null)));
    }

    String body = get("/jobs/progress-job/runs/1").body();
    String metrics = get("/metrics").body();

    assertThat(body)
        .contains("<h2>Progress</h2>")
        .contains("alive, ")
        .contains("<td>3/8</td>")
        .contains("<h2>Where the time went</h2>")
        .contains("longest step: <b>reading</b>")
        .contains("4 throttling answers")
        .contains("<td>COPYING</td>")
        .doesNotContain(MARKUP);
    assertThat(metrics)
        .contains("copyjob_last_run_files{job=\"progress-job\",outcome=\"copied\"} 2.0")
        .contains("copyjob_last_run_bytes{job=\"progress-job\"} 3000.0")
        .contains("copyjob_running_run_stale{job=\"progress-job\"} 0.0")
        .contains("copyjob_running_run_files_listed{job=\"progress-job\"} 8.0")
        .contains("copyjob_last_run_step_seconds{job=\"progress-job\",step=\"reading\"} 2.5")
        .contains("copyjob_last_run_throttled_answers{job=\"progress-job\"} 4.0");
  }

  @Test
  public void metricsGiveEachJobsRunsInThePrometheusTextFormat() throws Exception {
    HttpResponse<String> metrics = get("/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/plain; version=0.0.4");
    assertThat(metrics.body())
        .contains("# TYPE copyjob_runs gauge")
        .contains("copyjob_runs{job=\"ui-job\",status=\"succeeded\"} 2.0")
        .contains("copyjob_last_run_status{job=\"ui-job\",status=\"succeeded\"} 1.0")
        .contains("copyjob_last_run_status{job=\"ui-job\",status=\"failed\"} 0.0")
        .contains("copyjob_last_run_number{job=\"ui-job\"} 2.0")
        .contains("copyjob_last_run_files{job=\"ui-job\",outcome=\"skipped\"} 2.0")
        .contains("copyjob_last_run_partitions{job=\"ui-job\",outcome=\"succeeded\"} 2.0")
        .contains("copyjob_seconds_since_last_success{job=\"ui-job\"} ")
        .contains("copyjob_last_success_timestamp_seconds{job=\"ui-job\"} ");
  }

  /**
   * A real browser (headless Chromium) renders the pages: the text a person sees, the partition
   * that is markup shown as text and never made an element, no script run.
   */
  @Test
  public void aRealBrowserRendersTheJobsTheRunsAndARunningRun() throws Exception {
    String chromium = Browser.chromium();
    try (ControlStore control = ControlStore.open(spec.control())) {
      long live =
          control.startRun(
              "live-job", Instant.now(), "full", "DirectRunner", "{\"name\":\"live-job\"}");
      for (long[] t : new long[][] {{1, 1_000}, {2, 9_000}}) {
        control.progress().write(live, "live-job", "w", java.util.List.of(), t[0], totals(t));
        Thread.sleep(60);
      }
    }
    String base = "http://127.0.0.1:" + server.port();

    String jobs = Browser.dumpDom(chromium, base + "/", tmp.newFolder().toPath());
    String run = Browser.dumpDom(chromium, base + "/jobs/ui-job/runs/1", tmp.newFolder().toPath());
    String live =
        Browser.dumpDom(chromium, base + "/jobs/live-job/runs/1", tmp.newFolder().toPath());

    assertThat(jobs)
        .contains(">ui-job</a>")
        .contains(">SUCCEEDED</span>")
        .contains(">RUNNING</span>");
    assertThat(run)
        .contains("<h2>Partitions</h2>")
        .contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>")
        .doesNotContain("<img");
    assertThat(live)
        .contains("Running: this page reloads every 5 s")
        .contains("<h2>Throughput over time</h2>")
        .contains("aria-label=\"throughput over time\"")
        .contains("<rect ");
  }

  @Test
  public void unknownPagesAndWritesAreRefused() throws Exception {
    assertThat(get("/jobs/nope").statusCode()).isEqualTo(404);
    assertThat(get("/jobs/ui-job/runs/9").body()).contains("job &#39;ui-job&#39; has no run 9");
    assertThat(get("/jobs/ui-job/runs/x").statusCode()).isEqualTo(404);
    HttpResponse<String> post =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }
}
