package io.copyjob.monitor;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.control.ControlStore;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.pipeline.CopyMetrics;
import io.copyjob.spec.JobSpec;
import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Shows a running run's progress from the control store's progress table, which its workers write
 * wherever they run ({@link LiveProgress}), so the DirectRunner, Flink {@code [local]} and a
 * cluster show the same: a bar redrawn in place on a terminal, or a plain line every {@code
 * logInterval} otherwise (a CI log, a file).
 */
public final class ProgressReporter implements AutoCloseable {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ProgressReporter.class);
  private static final int BAR_WIDTH = 24;

  private final JobSpec.ControlSpec control;
  private final long runId;
  private final long partitionsTotal;
  private final PrintStream out;
  private final boolean terminal;
  private final boolean tables;
  private final ScheduledExecutorService timer;
  private int lastWidth;
  private boolean failing;

  private ProgressReporter(
      JobSpec.ControlSpec control,
      long runId,
      long partitionsTotal,
      PrintStream out,
      boolean terminal,
      boolean tables) {
    this.control = control;
    this.runId = runId;
    this.partitionsTotal = partitionsTotal;
    this.out = out;
    this.terminal = terminal;
    this.tables = tables;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder().setNameFormat("copyjob-progress").setDaemon(true).build());
  }

  /**
   * Starts reporting the run's progress on {@code out}: read again every second on a terminal
   * (workers write theirs every few seconds), a line every ten seconds otherwise. {@code tables}
   * when the run loads tables: the line counts tables and rows.
   */
  public static ProgressReporter start(
      JobSpec.ControlSpec control,
      long runId,
      long partitionsTotal,
      PrintStream out,
      boolean terminal,
      boolean tables) {
    ProgressReporter reporter =
        new ProgressReporter(control, runId, partitionsTotal, out, terminal, tables);
    long period = terminal ? 1_000 : 10_000;
    reporter.timer.scheduleWithFixedDelay(reporter::report, period, period, TimeUnit.MILLISECONDS);
    return reporter;
  }

  private synchronized void report() {
    LiveProgress live;
    try (ControlStore store = ControlStore.openForLease(control, Duration.ofSeconds(5))) {
      Optional<RunRecord> run = store.run(runId);
      if (run.isEmpty()) {
        return;
      }
      live = LiveProgress.read(store, run.get());
      failing = false;
    } catch (SQLException | RuntimeException e) {
      if (!failing) {
        LOG.debug("Cannot read the run's progress; the bar waits: {}", e.getMessage());
        failing = true;
      }
      return;
    }
    String line =
        tables
            ? renderTables(live.total(), live.recorded(), partitionsTotal, live.elapsed())
            : render(live.total(), live.recorded(), partitionsTotal, live.elapsed());
    if (live.stale() != null) {
      line += " | STALE: last seen " + Units.duration(live.sinceSeen()) + " ago";
    }
    if (terminal) {
      int pad = Math.max(0, lastWidth - line.length());
      out.print("\r" + line + " ".repeat(pad));
      lastWidth = line.length();
    } else {
      out.println("progress: " + line);
    }
    out.flush();
  }

  /** The progress line for the run's figures so far. */
  static String render(
      ProgressRecord p, long partitionsDone, long partitionsTotal, Duration elapsed) {
    long listed = p.filesListed();
    long done = p.filesDone();
    // Bytes move before files end: a run of one large file shows its bytes.
    double fraction =
        p.bytesListed() > 0
            ? Math.min(1, p.bytes() / (double) p.bytesListed())
            : listed == 0 ? 0 : Math.min(1, done / (double) listed);
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    return String.format(
        Locale.ROOT,
        "[%s%s] %3.0f%% | partitions %d/%d | files %d/%d (%d skipped, %d failed) | %s | %s | %s",
        "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled),
        fraction * 100,
        partitionsDone,
        partitionsTotal,
        done,
        listed,
        p.filesSkipped(),
        p.filesFailed(),
        Units.bytes(p.bytes()),
        Units.rate(p.bytes(), elapsed),
        Units.duration(elapsed));
  }

  /** The progress line of a tabular run for its figures so far. */
  static String renderTables(
      ProgressRecord p, long tablesDone, long tablesTotal, Duration elapsed) {
    long listed = p.filesListed();
    long done = p.filesDone();
    double fraction = listed == 0 ? 0 : Math.min(1, done / (double) listed);
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    return String.format(
        Locale.ROOT,
        "[%s%s] %3.0f%% | tables %d/%d | pieces %d/%d | rows %d written | %s read | %s",
        "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled),
        fraction * 100,
        tablesDone,
        tablesTotal,
        done,
        listed,
        p.rows(),
        Units.bytes(p.bytes()),
        Units.duration(elapsed));
  }

  /** The pipeline's counters in copyjob's namespace, attempted values, by name. */
  public static Map<String, Long> counters(PipelineResult result) {
    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(CopyMetrics.NAMESPACE))
                    .build());
    Map<String, Long> values = new HashMap<>();
    for (MetricResult<Long> counter : metrics.getCounters()) {
      values.merge(counter.getName().getName(), counter.getAttempted(), Long::sum);
    }
    return values;
  }

  @Override
  public synchronized void close() {
    timer.shutdownNow();
    if (terminal && lastWidth > 0) {
      report();
      out.println();
      out.flush();
    }
  }
}
