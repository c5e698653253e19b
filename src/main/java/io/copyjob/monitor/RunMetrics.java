package io.copyjob.monitor;

import io.copyjob.control.ControlStore;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The control store's runs as Prometheus metrics, read at each scrape ({@code /metrics} of {@code
 * copyjob ui}): every metric has a {@code job} label. A running run's counts are those of its
 * partitions or tables finished so far (its own row is written at its end); {@code
 * copyjob_seconds_since_last_success} is what an alert is written on.
 */
public final class RunMetrics {
  /** The metrics' names, for the README and the tests. */
  public static final List<String> NAMES =
      List.of(
          "copyjob_runs",
          "copyjob_last_run_status",
          "copyjob_last_run_number",
          "copyjob_last_run_start_timestamp_seconds",
          "copyjob_last_run_duration_seconds",
          "copyjob_last_run_partitions",
          "copyjob_last_run_files",
          "copyjob_last_run_bytes",
          "copyjob_last_run_rows",
          "copyjob_last_success_timestamp_seconds",
          "copyjob_seconds_since_last_success");

  private RunMetrics() {}

  /** The content type of {@link #text}. */
  public static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** The metrics in the Prometheus text format, read from {@code store} now. */
  public static byte[] text(ControlStore store, Instant now) throws SQLException, IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, read(store, now), EscapingScheme.DEFAULT);
    return out.toByteArray();
  }

  /**
   * One job's metrics in the Prometheus text format, as {@link Pushgateway} pushes them: without
   * {@code copyjob_seconds_since_last_success}, whose pushed value would stand still.
   */
  static byte[] textForJob(ControlStore store, Instant now, String job)
      throws SQLException, IOException {
    List<MetricSnapshot> kept = new ArrayList<>();
    for (MetricSnapshot metric : read(store, now)) {
      if (metric.getMetadata().getName().equals("copyjob_seconds_since_last_success")) {
        continue;
      }
      GaugeSnapshot gauge = (GaugeSnapshot) metric;
      List<GaugeDataPointSnapshot> points =
          gauge.getDataPoints().stream().filter(p -> job.equals(p.getLabels().get("job"))).toList();
      if (!points.isEmpty()) {
        kept.add(new GaugeSnapshot(gauge.getMetadata(), points));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create()
        .write(out, new MetricSnapshots(kept), EscapingScheme.DEFAULT);
    return out.toByteArray();
  }

  static MetricSnapshots read(ControlStore store, Instant now) throws SQLException {
    Gauges g = new Gauges();
    store
        .runCounts()
        .forEach(
            (job, counts) -> {
              for (RunStatus status : RunStatus.values()) {
                g.add(
                    "copyjob_runs",
                    "Runs recorded in the control store, by status",
                    counts.getOrDefault(status, 0L),
                    "job",
                    job,
                    "status",
                    lower(status));
              }
            });
    for (RunRecord run : store.lastRuns(HistoryServer.JOBS)) {
      String job = run.job();
      for (RunStatus status : RunStatus.values()) {
        g.add(
            "copyjob_last_run_status",
            "1 for the status of the job's last run, 0 for the others",
            run.status() == status ? 1 : 0,
            "job",
            job,
            "status",
            lower(status));
      }
      g.add(
          "copyjob_last_run_number",
          "The number of the job's last run",
          run.runNumber(),
          "job",
          job);
      g.add(
          "copyjob_last_run_start_timestamp_seconds",
          "When the job's last run started (Unix time)",
          seconds(run.startedAt()),
          "job",
          job);
      Duration duration =
          run.endedAt() != null
              ? Duration.between(run.startedAt(), run.endedAt())
              : Duration.between(run.startedAt(), now);
      g.add(
          "copyjob_last_run_duration_seconds",
          "How long the job's last run took, or has taken so far",
          duration.toMillis() / 1000.0,
          "job",
          job);
      // A running run's own row is written at its end: what its workers reported so far, on any
      // runner, with the partitions recorded as recorded.
      RunTotals t = run.totals();
      LiveProgress live = LiveProgress.read(store, run);
      if (run.status() == RunStatus.RUNNING) {
        ProgressRecord p = live.total();
        t =
            new RunTotals(
                live.recorded() - live.failed(),
                live.failed(),
                p.filesCopied(),
                p.filesSkipped(),
                p.filesFailed(),
                p.bytes(),
                0,
                p.rows(),
                0);
        g.add(
            "copyjob_running_run_stale",
            "1 when the job's running run is taken for dead (no live lease, or no heartbeat from"
                + " its workers for 30 s), else 0",
            live.stale() == null ? 0 : 1,
            "job",
            job);
        g.add(
            "copyjob_running_run_seconds_since_seen",
            "Seconds since the job's running run was last seen alive",
            live.sinceSeen().toMillis() / 1000.0,
            "job",
            job);
        g.add(
            "copyjob_running_run_files_listed",
            "Files listed so far by the job's running run",
            p.filesListed(),
            "job",
            job);
      }
      ProgressRecord time = live.total();
      String[] steps = {"listing", "reading", "writing", "waiting"};
      long[] millis = {
        time.listingMillis(), time.readingMillis(), time.writingMillis(), time.waitingMillis()
      };
      for (int i = 0; i < steps.length; i++) {
        g.add(
            "copyjob_last_run_step_seconds",
            i == 0 ? "Time the job's last run spent in each step, summed over its transfers" : null,
            millis[i] / 1000.0,
            "job",
            job,
            "step",
            steps[i]);
      }
      g.add(
          "copyjob_last_run_throttled_answers",
          "Throttling answers (HTTP 503 SlowDown / ServerBusy) the stores gave the job's last run",
          time.throttled(),
          "job",
          job);
      g.add(
          "copyjob_last_run_partitions",
          "Partitions (tables) of the job's last run, by outcome; so far while it runs",
          t.partitionsSucceeded(),
          "job",
          job,
          "outcome",
          "succeeded");
      g.add(
          "copyjob_last_run_partitions",
          null,
          t.partitionsFailed(),
          "job",
          job,
          "outcome",
          "failed");
      g.add(
          "copyjob_last_run_files",
          "Files of the job's last run, by outcome; so far while it runs",
          t.filesCopied(),
          "job",
          job,
          "outcome",
          "copied");
      g.add("copyjob_last_run_files", null, t.filesSkipped(), "job", job, "outcome", "skipped");
      g.add("copyjob_last_run_files", null, t.filesFailed(), "job", job, "outcome", "failed");
      g.add(
          "copyjob_last_run_bytes",
          "Bytes copied (read, for tables) by the job's last run; so far while it runs",
          t.bytesCopied(),
          "job",
          job);
      g.add(
          "copyjob_last_run_rows",
          "Rows of the job's last run (tabular jobs), by outcome; so far while it runs",
          t.rowsRead(),
          "job",
          job,
          "outcome",
          "read");
      g.add("copyjob_last_run_rows", null, t.rowsWritten(), "job", job, "outcome", "written");
      g.add("copyjob_last_run_rows", null, t.rowsRejected(), "job", job, "outcome", "rejected");
    }
    store
        .lastSuccesses()
        .forEach(
            (job, at) -> {
              g.add(
                  "copyjob_last_success_timestamp_seconds",
                  "When the job's last successful run ended (Unix time)",
                  seconds(at),
                  "job",
                  job);
              g.add(
                  "copyjob_seconds_since_last_success",
                  "Seconds since the job's last successful run ended",
                  Math.max(0, Duration.between(at, now).toMillis() / 1000.0),
                  "job",
                  job);
            });
    return g.snapshots();
  }

  private static double seconds(Instant at) {
    return at.toEpochMilli() / 1000.0;
  }

  private static String lower(RunStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }

  /** Gauges gathered by name, in the order first added. */
  private static final class Gauges {
    private final Map<String, GaugeSnapshot.Builder> byName = new LinkedHashMap<>();

    void add(String name, String help, double value, String... labels) {
      GaugeSnapshot.Builder gauge =
          byName.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help));
      gauge.dataPoint(
          GaugeDataPointSnapshot.builder().labels(Labels.of(labels)).value(value).build());
    }

    MetricSnapshots snapshots() {
      List<MetricSnapshot> all = new ArrayList<>();
      byName.values().forEach(b -> all.add(b.build()));
      return new MetricSnapshots(all);
    }
  }
}
