package io.copyjob.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.copyjob.control.ControlStore;
import io.copyjob.control.FileRecord;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.control.TableCounts;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code copyjob ui}: a small read-only web server over a control store, the run history as ADF's
 * Monitor tab shows it. Pages: every job with its last run ({@code /}); a job's runs with their
 * throughput drawn ({@code /jobs/JOB}); one run with its partitions or tables, its error and the
 * settings it ran with ({@code /jobs/JOB/runs/N}), refreshing itself while the run goes on.
 *
 * <p>Each request opens the store, reads and closes it: the server holds no connection between
 * requests, never writes, and shows what another process records as it records it. Every value from
 * the store is HTML-escaped (a partition prefix or file name is data, never markup); the store
 * keeps no secret (job files name secrets by their variables), so none can be shown.
 */
public final class HistoryServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How many runs a job's page lists, and how many jobs the first page lists. */
  static final int RUNS = 100;

  static final int JOBS = 500;

  /** How often a running run's page reloads itself. */
  static final int REFRESH_SECONDS = 5;

  /** Failed files shown on a run's page; the history command lists them all. */
  static final int FAILED_FILES = 200;

  private final JobSpec.ControlSpec control;
  private final HttpServer server;
  private final ExecutorService executor;

  private HistoryServer(JobSpec.ControlSpec control, HttpServer server, ExecutorService executor) {
    this.control = control;
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts serving {@code control}'s history on {@code address} (port 0: any free port).
   *
   * @throws IOException when the address cannot be bound (one line naming it)
   */
  public static HistoryServer start(JobSpec.ControlSpec control, InetSocketAddress address)
      throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new IOException(
          "cannot listen on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
    // A few threads: a slow store (a remote database) does not hold up every page.
    ExecutorService executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "copyjob-ui");
              t.setDaemon(true);
              return t;
            });
    HistoryServer history = new HistoryServer(control, server, executor);
    server.createContext("/", history::handle);
    server.setExecutor(executor);
    server.start();
    return history;
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, page("Not allowed", "<p>This server only shows the history.</p>"));
        return;
      }
      if (exchange.getRequestURI().getRawPath().equals("/metrics")) {
        metrics(exchange);
        return;
      }
      Page page;
      try {
        page = route(exchange.getRequestURI().getRawPath());
      } catch (SQLException e) {
        LOG.warn("Could not read the control store: {}", e.getMessage());
        page =
            new Page(
                503,
                page(
                    "Control store unavailable",
                    "<p class=\"error\">" + esc(e.getMessage()) + "</p>"));
      } catch (RuntimeException e) {
        LOG.warn("Could not render {}", exchange.getRequestURI().getRawPath(), e);
        page = new Page(500, page("Error", "<p class=\"error\">" + esc(e.toString()) + "</p>"));
      }
      send(exchange, page.status(), page.html());
    }
  }

  /** {@code /metrics}: the runs as Prometheus metrics ({@link RunMetrics}), read now. */
  private void metrics(HttpExchange exchange) throws IOException {
    byte[] body;
    int status = 200;
    String type = RunMetrics.contentType();
    try (ControlStore store = ControlStore.openExisting(control)) {
      body = RunMetrics.text(store, Instant.now());
    } catch (SQLException e) {
      LOG.warn("Could not read the control store: {}", e.getMessage());
      // A failed scrape: Prometheus marks the target down (up == 0), which is what an alert wants.
      status = 503;
      type = "text/plain; charset=utf-8";
      body =
          ("control store unavailable: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
    }
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private record Page(int status, String html) {}

  private Page route(String rawPath) throws SQLException {
    List<String> parts = new ArrayList<>();
    for (String part : rawPath.split("/")) {
      if (!part.isEmpty()) {
        parts.add(URLDecoder.decode(part, StandardCharsets.UTF_8));
      }
    }
    if (parts.isEmpty()) {
      return new Page(200, jobsPage());
    }
    if (parts.get(0).equals("jobs") && parts.size() == 2) {
      return jobPage(parts.get(1));
    }
    if (parts.get(0).equals("jobs") && parts.size() == 4 && parts.get(2).equals("runs")) {
      try {
        return runPage(parts.get(1), Long.parseLong(parts.get(3)));
      } catch (NumberFormatException e) {
        return notFound("no run '" + parts.get(3) + "'");
      }
    }
    return notFound("no page " + rawPath);
  }

  private Page notFound(String what) {
    return new Page(
        404, page("Not found", "<p>" + esc(what) + "</p><p><a href=\"/\">Jobs</a></p>"));
  }

  private String jobsPage() throws SQLException {
    List<RunRecord> last;
    try (ControlStore store = ControlStore.openExisting(control)) {
      last = new ArrayList<>(store.lastRuns(JOBS));
    }
    last.sort(Comparator.comparing(RunRecord::job));
    StringBuilder body = new StringBuilder();
    if (last.isEmpty()) {
      body.append("<p>No runs recorded yet.</p>");
    } else {
      body.append(
          "<table><tr><th>Job</th><th>Last run</th><th>Status</th><th>Started (UTC)</th>"
              + "<th>Duration</th><th>Files copied/skipped/failed</th><th>Rows written</th>"
              + "<th>Bytes</th><th>Error</th></tr>");
      for (RunRecord run : last) {
        RunTotals t = run.totals();
        body.append("<tr><td>")
            .append(link(jobHref(run.job()), run.job()))
            .append("</td><td>")
            .append(link(runHref(run.job(), run.runNumber()), "#" + run.runNumber()))
            .append("</td><td>")
            .append(status(run.status()))
            .append("</td><td>")
            .append(esc(RunReport.time(run.startedAt())))
            .append("</td><td>")
            .append(esc(Units.duration(run.duration())))
            .append("</td><td>")
            .append(t.filesCopied() + "/" + t.filesSkipped() + "/" + t.filesFailed())
            .append("</td><td>")
            .append(t.rowsWritten())
            .append("</td><td>")
            .append(esc(Units.bytes(t.bytesCopied())))
            .append("</td><td class=\"error\">")
            .append(esc(shorten(run.error())))
            .append("</td></tr>");
      }
      body.append("</table>");
    }
    return page("copyjob: jobs", body.toString());
  }

  private Page jobPage(String job) throws SQLException {
    List<RunRecord> runs;
    try (ControlStore store = ControlStore.openExisting(control)) {
      runs = store.history(job, RUNS);
    }
    if (runs.isEmpty()) {
      return notFound("job '" + job + "' has no runs");
    }
    boolean tabular = runs.stream().anyMatch(HistoryServer::tabular);
    StringBuilder body = new StringBuilder();
    body.append("<p><a href=\"/\">All jobs</a></p>");
    body.append(throughputChart(runs, tabular));
    body.append("<table><tr><th>Run</th><th>Status</th><th>Started (UTC)</th><th>Mode</th>")
        .append("<th>Runner</th><th>Duration</th>")
        .append(tabular ? "<th>Tables ok/failed</th>" : "<th>Partitions ok/failed</th>")
        .append("<th>Files copied/skipped/failed</th>")
        .append(tabular ? "<th>Rows read/written/rejected</th>" : "")
        .append("<th>Bytes</th><th>Throughput</th><th>Error</th></tr>");
    for (RunRecord run : runs) {
      RunTotals t = run.totals();
      Duration d = run.duration();
      body.append("<tr><td>")
          .append(link(runHref(job, run.runNumber()), "#" + run.runNumber()))
          .append("</td><td>")
          .append(status(run.status()))
          .append("</td><td>")
          .append(esc(RunReport.time(run.startedAt())))
          .append("</td><td>")
          .append(esc(run.mode()))
          .append("</td><td>")
          .append(esc(run.runner()))
          .append("</td><td>")
          .append(esc(Units.duration(d)))
          .append("</td><td>")
          .append(t.partitionsSucceeded() + "/" + t.partitionsFailed())
          .append("</td><td>")
          .append(t.filesCopied() + "/" + t.filesSkipped() + "/" + t.filesFailed())
          .append("</td>");
      if (tabular) {
        body.append("<td>")
            .append(t.rowsRead() + "/" + t.rowsWritten() + "/" + t.rowsRejected())
            .append("</td>");
      }
      body.append("<td>")
          .append(esc(Units.bytes(t.bytesCopied())))
          .append("</td><td>")
          .append(esc(throughput(run, tabular)))
          .append("</td><td class=\"error\">")
          .append(esc(shorten(run.error())))
          .append("</td></tr>");
    }
    body.append("</table>");
    return new Page(200, page("copyjob: job " + job, body.toString()));
  }

  private Page runPage(String job, long number) throws SQLException {
    RunRecord run;
    List<PartitionRunRecord> parts;
    List<PartitionState> partitions;
    List<FileRecord> failedFiles;
    LiveProgress live;
    List<io.copyjob.control.ProgressPoint> history;
    List<io.copyjob.control.RoundRecord> rounds;
    try (ControlStore store = ControlStore.openExisting(control)) {
      Optional<RunRecord> found = store.run(job, number);
      if (found.isEmpty()) {
        return notFound("job '" + job + "' has no run " + number);
      }
      run = found.get();
      parts = store.partitionRuns(run.runId());
      failedFiles = store.files(run.runId(), true);
      rounds = store.rounds(run.runId());
      partitions = run.status() == RunStatus.RUNNING ? store.partitions(job) : List.of();
      live = liveProgress(store, run);
      history = run.status() == RunStatus.RUNNING ? history(store, run) : List.of();
    }
    boolean tabular = tabular(run);
    boolean running = run.status() == RunStatus.RUNNING;
    RunTotals t = run.totals();
    StringBuilder body = new StringBuilder();
    body.append("<p><a href=\"/\">All jobs</a> · ")
        .append(link(jobHref(job), "job " + job))
        .append("</p><table class=\"summary\">");
    row(body, "Status", status(run.status()));
    row(body, "Started (UTC)", esc(RunReport.time(run.startedAt())));
    row(body, "Ended (UTC)", esc(RunReport.time(run.endedAt())));
    row(body, "Duration", esc(Units.duration(run.duration())));
    row(body, "Mode", esc(run.mode()));
    row(body, "Runner", esc(run.runner()));
    row(
        body,
        tabular ? "Tables ok/failed" : "Partitions ok/failed",
        t.partitionsSucceeded() + "/" + t.partitionsFailed());
    row(
        body,
        "Files copied/skipped/failed",
        t.filesCopied() + "/" + t.filesSkipped() + "/" + t.filesFailed());
    if (tabular) {
      row(
          body,
          "Rows read/written/rejected",
          t.rowsRead() + "/" + t.rowsWritten() + "/" + t.rowsRejected());
    }
    row(body, "Bytes", esc(Units.bytes(t.bytesCopied())));
    row(body, "Throughput", esc(throughput(run, tabular)));
    if (run.error() != null) {
      row(body, "Error", "<span class=\"error\">" + esc(run.error()) + "</span>");
    }
    body.append("</table>");
    if (running) {
      body.append("<p>Running: this page reloads every ")
          .append(REFRESH_SECONDS)
          .append(" s, ")
          .append(parts.size())
          .append(" partition(s) or table(s) finished so far.</p>");
      if (live != null) {
        body.append(progressSection(live));
      }
      body.append(LiveChart.chart(history, tabular));
    }
    if (live != null && !live.partitions().isEmpty()) {
      body.append(timeSection(live));
    }
    body.append(tabular ? "<h2>Tables</h2>" : "<h2>Partitions</h2>");
    body.append(tabular ? tablesTable(parts) : partitionsTable(parts));
    if (!rounds.isEmpty()) {
      body.append("<h2>Rounds</h2><p>")
          .append(esc(RoundReport.line(rounds).strip()))
          .append("</p>")
          .append(roundsTable(RoundReport.newest(rounds)));
    }
    if (running && !partitions.isEmpty()) {
      body.append("<h2>Where each partition stands</h2><table><tr><th>Prefix</th><th>Status</th>")
          .append("<th>Last run (UTC)</th><th>Last success (UTC)</th><th>Error</th></tr>");
      for (PartitionState p : partitions) {
        body.append("<tr><td>")
            .append(esc(p.key().prefix()))
            .append("</td><td>")
            .append(esc(p.status().name()))
            .append("</td><td>")
            .append(esc(RunReport.time(p.lastRunTime())))
            .append("</td><td>")
            .append(esc(RunReport.time(p.lastSuccessTime())))
            .append("</td><td class=\"error\">")
            .append(esc(shorten(p.error())))
            .append("</td></tr>");
      }
      body.append("</table>");
    }
    if (!failedFiles.isEmpty()) {
      body.append(failedFilesTable(failedFiles, job, number));
    }
    body.append("<h2>Settings</h2><pre>").append(esc(pretty(run.settings()))).append("</pre>");
    String html = page("copyjob: " + job + " run " + number, body.toString());
    if (running) {
      html =
          html.replace(
              "<head>", "<head><meta http-equiv=\"refresh\" content=\"" + REFRESH_SECONDS + "\">");
    }
    return new Page(200, html);
  }

  /** The run's failed files from its manifest, the first {@value #FAILED_FILES} of them. */
  private static String failedFilesTable(List<FileRecord> failed, String job, long number) {
    StringBuilder s = new StringBuilder("<h2>Failed files</h2>");
    if (failed.size() > FAILED_FILES) {
      s.append("<p>The first ")
          .append(FAILED_FILES)
          .append(" of ")
          .append(failed.size())
          .append("; all of them: <code>copyjob history JOB.yaml --run ")
          .append(number)
          .append(" --files --failed</code> (job ")
          .append(esc(job))
          .append(").</p>");
    }
    s.append("<table><tr><th>Partition</th><th>File</th><th>Size</th><th>Error</th></tr>");
    for (FileRecord f : failed.subList(0, Math.min(FAILED_FILES, failed.size()))) {
      s.append("<tr><td>")
          .append(esc(f.prefix()))
          .append("</td><td>")
          .append(esc(f.sourceKey()))
          .append("</td><td>")
          .append(f.size() < 0 ? "" : esc(Units.bytes(f.size())))
          .append("</td><td class=\"error\">")
          .append(esc(shorten(f.error())))
          .append("</td></tr>");
    }
    return s.append("</table>").toString();
  }

  /** The run's progress, or null for a store made before progress rows (or one that fails). */
  private static LiveProgress liveProgress(ControlStore store, RunRecord run) {
    try {
      return LiveProgress.read(store, run);
    } catch (SQLException | RuntimeException e) {
      LOG.debug("No progress for run {}: {}", run.runId(), e.getMessage());
      return null;
    }
  }

  /** The run's history of totals, empty for a store made before it (or one that fails). */
  private static List<io.copyjob.control.ProgressPoint> history(ControlStore store, RunRecord run) {
    try {
      return store.progress().history(run.runId());
    } catch (SQLException | RuntimeException e) {
      LOG.debug("No progress history for run {}: {}", run.runId(), e.getMessage());
      return List.of();
    }
  }

  /** A running run's progress as its workers reported it: stale or not, each partition so far. */
  private static String progressSection(LiveProgress live) {
    ProgressRecord t = live.total();
    StringBuilder s = new StringBuilder("<h2>Progress</h2><table class=\"summary\">");
    row(
        s,
        "Seen",
        (live.stale() == null ? "alive, " : "<span class=\"error\">STALE</span>, ")
            + esc(Units.duration(live.sinceSeen()))
            + " ago"
            + (live.stale() == null ? "" : ": " + esc(live.stale())));
    row(s, "Files done/listed", t.filesDone() + "/" + t.filesListed());
    row(s, "Bytes so far", esc(Units.bytes(t.bytes()) + " of " + Units.bytes(t.bytesListed())));
    row(s, "Rate", esc(Units.rate(t.bytes(), live.elapsed())));
    s.append("</table><table><tr><th>Prefix</th><th>State</th><th>Files done/listed</th>")
        .append("<th>Bytes</th><th>Reported (s ago)</th></tr>");
    for (ProgressRecord p : live.partitions()) {
      s.append("<tr><td>")
          .append(esc(p.key().prefix()))
          .append("</td><td>")
          .append(esc(p.state().name()))
          .append("</td><td>")
          .append(p.filesDone())
          .append("/")
          .append(p.filesListed())
          .append("</td><td>")
          .append(esc(Units.bytes(p.bytes())))
          .append("</td><td>")
          .append(
              p.heartbeat() == null
                  ? "-"
                  : esc(
                      Units.duration(java.time.Duration.between(p.heartbeat(), live.now()).abs())))
          .append("</td></tr>");
    }
    return s.append("</table>").toString();
  }

  /** Where the run's time went, per partition, and the longest step. */
  private static String timeSection(LiveProgress live) {
    ProgressRecord t = live.total();
    StringBuilder s = new StringBuilder("<h2>Where the time went</h2><p>");
    s.append("Summed over the transfers; longest step: <b>")
        .append(esc(t.longestStep() == null ? "none" : t.longestStep()))
        .append("</b>; peak ")
        .append(t.peakInFlight())
        .append(" transfers in flight; first byte ")
        .append(
            esc(
                t.firstByteMillis() == null
                    ? "never"
                    : "after " + Units.duration(java.time.Duration.ofMillis(t.firstByteMillis()))))
        .append("; ")
        .append(t.throttled())
        .append(" throttling answers.</p>");
    s.append("<table><tr><th>Prefix</th><th>Listing</th><th>Reading</th><th>Writing</th>")
        .append("<th>Waiting</th><th>Longest</th><th>Peak in flight</th><th>Throttled</th></tr>");
    for (ProgressRecord p : live.partitions()) {
      s.append("<tr><td>").append(esc(p.key().prefix())).append("</td>");
      for (long ms :
          new long[] {p.listingMillis(), p.readingMillis(), p.writingMillis(), p.waitingMillis()}) {
        s.append("<td>")
            .append(esc(Units.duration(java.time.Duration.ofMillis(ms))))
            .append("</td>");
      }
      s.append("<td>")
          .append(esc(p.longestStep() == null ? "-" : p.longestStep()))
          .append("</td><td>")
          .append(p.peakInFlight())
          .append("</td><td>")
          .append(p.throttled())
          .append("</td></tr>");
    }
    return s.append("</table>").toString();
  }

  private static String roundsTable(List<io.copyjob.control.RoundRecord> rounds) {
    StringBuilder s =
        new StringBuilder(
            "<table><tr><th>Round</th><th>Prefix</th><th>Status</th><th>Window start</th>"
                + "<th>Window end</th><th>Copied</th><th>Skipped</th><th>Failed</th><th>Bytes</th>"
                + "<th>Error</th></tr>");
    for (io.copyjob.control.RoundRecord r : rounds) {
      s.append("<tr><td>")
          .append(r.round())
          .append("</td><td>")
          .append(esc(r.key().prefix()))
          .append("</td><td>")
          .append(esc(r.status().name()))
          .append("</td><td>")
          .append(esc(RunReport.time(r.windowStart())))
          .append("</td><td>")
          .append(esc(RunReport.time(r.windowEnd())))
          .append("</td><td>")
          .append(r.filesCopied())
          .append("</td><td>")
          .append(r.filesSkipped())
          .append("</td><td>")
          .append(r.filesFailed())
          .append("</td><td>")
          .append(esc(Units.bytes(r.bytesCopied())))
          .append("</td><td class=\"error\">")
          .append(esc(r.error()))
          .append("</td></tr>");
    }
    return s.append("</table>").toString();
  }

  private static String partitionsTable(List<PartitionRunRecord> parts) {
    StringBuilder s =
        new StringBuilder(
            "<table><tr><th>Prefix</th><th>Result</th><th>Window start</th><th>Window end</th>"
                + "<th>Copied</th><th>Skipped</th><th>Failed</th><th>Bytes</th><th>Error or"
                + " warning</th></tr>");
    for (PartitionRunRecord record : parts) {
      PartitionResult r = record.result();
      s.append("<tr><td>")
          .append(esc(r.key().prefix()))
          .append("</td><td>")
          .append(r.succeeded() ? "succeeded" : "<span class=\"error\">failed</span>")
          .append("</td><td>")
          .append(esc(RunReport.time(r.windowStart())))
          .append("</td><td>")
          .append(esc(RunReport.time(r.windowEnd())))
          .append("</td><td>")
          .append(r.filesCopied())
          .append("</td><td>")
          .append(r.filesSkipped())
          .append("</td><td>")
          .append(r.filesFailed())
          .append("</td><td>")
          .append(esc(Units.bytes(r.bytesCopied())))
          .append("</td><td class=\"error\">")
          .append(esc(r.succeeded() ? r.warning() : r.firstError()))
          .append("</td></tr>");
    }
    return s.append("</table>").toString();
  }

  private static String tablesTable(List<PartitionRunRecord> parts) {
    StringBuilder s =
        new StringBuilder(
            "<table><tr><th>Table</th><th>Result</th><th>Files loaded/skipped/failed</th>"
                + "<th>Rows read</th><th>Written</th><th>Rejected</th><th>Bytes</th>"
                + "<th>Duration</th><th>Rows/s</th><th>Watermark before</th>"
                + "<th>Watermark after</th><th>Error or warning</th></tr>");
    for (PartitionRunRecord record : parts) {
      PartitionResult r = record.result();
      TableCounts t = r.table() == null ? TableCounts.ZERO : r.table();
      Duration d = Duration.ofMillis(t.durationMillis());
      s.append("<tr><td>")
          .append(esc(r.key().prefix()))
          .append("</td><td>")
          .append(r.succeeded() ? "succeeded" : "<span class=\"error\">failed</span>")
          .append("</td><td>")
          .append(r.filesCopied() + "/" + r.filesSkipped() + "/" + r.filesFailed())
          .append("</td><td>")
          .append(t.rowsRead())
          .append("</td><td>")
          .append(t.rowsWritten())
          .append("</td><td>")
          .append(t.rowsRejected())
          .append("</td><td>")
          .append(esc(Units.bytes(r.bytesCopied())))
          .append("</td><td>")
          .append(esc(Units.duration(d)))
          .append("</td><td>")
          .append(d.isZero() ? "-" : Units.perSecond(t.rowsWritten(), d))
          .append("</td><td>")
          .append(esc(t.watermark() == null ? null : t.watermark().before()))
          .append("</td><td>")
          .append(esc(t.watermark() == null ? null : t.watermark().after()))
          .append("</td><td class=\"error\">")
          .append(esc(r.succeeded() ? r.warning() : r.firstError()))
          .append("</td></tr>");
    }
    return s.append("</table>").toString();
  }

  /**
   * The throughput of the job's finished runs, oldest left, as an SVG bar chart drawn on the server
   * (bytes/s for files, rows/s for tables): no script, no external resource.
   */
  static String throughputChart(List<RunRecord> newestFirst, boolean tabular) {
    List<RunRecord> runs = new ArrayList<>();
    for (RunRecord run : newestFirst) {
      if (run.duration() != null && !run.duration().isZero()) {
        runs.add(0, run);
      }
    }
    if (runs.isEmpty()) {
      return "";
    }
    List<BarChart.Bar> bars = new ArrayList<>();
    for (RunRecord run : runs) {
      long r = rate(run, tabular);
      bars.add(
          new BarChart.Bar(
              r,
              run.status() == RunStatus.SUCCEEDED ? "#3a7" : "#c44",
              "run "
                  + run.runNumber()
                  + " "
                  + run.status()
                  + ": "
                  + (tabular ? r + " rows/s" : Units.bytes(r) + "/s"),
              runs.size() <= 30 ? String.valueOf(run.runNumber()) : null,
              0));
    }
    return BarChart.svg(
        bars,
        "throughput per run",
        max -> tabular ? max + " rows/s" : Units.bytes(max) + "/s",
        (tabular ? "Rows written per second" : "Bytes copied per second")
            + ", per run (green: succeeded)");
  }

  private static long rate(RunRecord run, boolean tabular) {
    Duration d = run.duration();
    if (d == null || d.isZero()) {
      return 0;
    }
    RunTotals t = run.totals();
    return Units.perSecond(tabular ? t.rowsWritten() : t.bytesCopied(), d);
  }

  private static String throughput(RunRecord run, boolean tabular) {
    Duration d = run.duration();
    if (d == null) {
      return "-";
    }
    return tabular
        ? Units.perSecond(run.totals().rowsWritten(), d) + " rows/s"
        : Units.rate(run.totals().bytesCopied(), d);
  }

  /** Whether the run is of a tabular job: its settings name tables. */
  static boolean tabular(RunRecord run) {
    if (run.settings() == null) {
      return false;
    }
    try {
      return JSON.readTree(run.settings()).has("tables");
    } catch (IOException e) {
      return false;
    }
  }

  private static String pretty(String settings) {
    if (settings == null) {
      return "";
    }
    try {
      JsonNode tree = JSON.readTree(settings);
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
    } catch (IOException e) {
      return settings;
    }
  }

  private static void row(StringBuilder body, String name, String html) {
    body.append("<tr><th>").append(esc(name)).append("</th><td>").append(html).append("</td></tr>");
  }

  private static String status(RunStatus status) {
    String css =
        switch (status) {
          case SUCCEEDED -> "ok";
          case RUNNING -> "running";
          case SKIPPED, STOPPED -> "skipped";
          default -> "error";
        };
    return "<span class=\"" + css + "\">" + status.name() + "</span>";
  }

  static String jobHref(String job) {
    return "/jobs/" + segment(job);
  }

  static String runHref(String job, long number) {
    return jobHref(job) + "/runs/" + number;
  }

  /** A path segment: every character but unreserved ones percent-encoded ({@code %20}, not +). */
  private static String segment(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String link(String href, String text) {
    return "<a href=\"" + esc(href) + "\">" + esc(text) + "</a>";
  }

  private static String shorten(String text) {
    if (text == null) {
      return "";
    }
    return text.length() <= 120 ? text : text.substring(0, 117) + "...";
  }

  /** Text as HTML: markup characters and quotes escaped; null is empty. */
  static String esc(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder s = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> s.append("&lt;");
        case '>' -> s.append("&gt;");
        case '&' -> s.append("&amp;");
        case '"' -> s.append("&quot;");
        case '\'' -> s.append("&#39;");
        default -> s.append(c);
      }
    }
    return s.toString();
  }

  private static String page(String title, String body) {
    return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
        + esc(title)
        + "</title><style>"
        + "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
        + "table{border-collapse:collapse;margin:.5em 0}"
        + "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
        + "th{background:#f3f3f3}td{white-space:nowrap}.ok{color:#176}.running{color:#146}.skipped{color:#777}"
        + ".error{color:#a22;white-space:normal}"
        + "pre{background:#f7f7f7;padding:.5em;overflow:auto}"
        + "</style></head><body><h1>"
        + esc(title)
        + "</h1>"
        + body
        + "<footer><small>copyjob · generated "
        + esc(RunReport.time(Instant.now()))
        + " UTC</small></footer></body></html>";
  }

  private static void send(HttpExchange exchange, int status, String html) throws IOException {
    byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange
        .getResponseHeaders()
        .set(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
