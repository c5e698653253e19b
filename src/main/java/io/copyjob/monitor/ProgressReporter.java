package io.copyjob.monitor;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.copyjob.pipeline.CopyMetrics;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Shows a running pipeline's progress from its Beam metrics: a bar redrawn in place on a terminal,
 * or a plain line every {@code logInterval} otherwise (a CI log, a file).
 */
public final class ProgressReporter implements AutoCloseable {
  private static final int BAR_WIDTH = 24;

  private final PipelineResult result;
  private final long partitionsTotal;
  private final PrintStream out;
  private final boolean terminal;
  private final boolean tables;
  private final Instant started = Instant.now();
  private final ScheduledExecutorService timer;
  private int lastWidth;

  private ProgressReporter(
      PipelineResult result,
      long partitionsTotal,
      PrintStream out,
      boolean terminal,
      boolean tables) {
    this.result = result;
    this.partitionsTotal = partitionsTotal;
    this.out = out;
    this.terminal = terminal;
    this.tables = tables;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder().setNameFormat("copyjob-progress").setDaemon(true).build());
  }

  /**
   * Starts reporting on {@code out}: redrawn every half second on a terminal, a line every ten
   * seconds otherwise.
   */
  public static ProgressReporter start(
      PipelineResult result, long partitionsTotal, PrintStream out, boolean terminal) {
    return start(result, partitionsTotal, out, terminal, false);
  }

  /**
   * As above; {@code tables} when the run loads tables: the line counts tables and rows, the files
   * being the pieces they are read in.
   */
  public static ProgressReporter start(
      PipelineResult result,
      long partitionsTotal,
      PrintStream out,
      boolean terminal,
      boolean tables) {
    ProgressReporter reporter =
        new ProgressReporter(result, partitionsTotal, out, terminal, tables);
    long period = terminal ? 500 : 10_000;
    reporter.timer.scheduleAtFixedRate(reporter::report, period, period, TimeUnit.MILLISECONDS);
    return reporter;
  }

  private synchronized void report() {
    try {
      String line =
          tables
              ? renderTables(counters(result), partitionsTotal, elapsed())
              : render(counters(result), partitionsTotal, elapsed());
      if (terminal) {
        int pad = Math.max(0, lastWidth - line.length());
        out.print("\r" + line + " ".repeat(pad));
        lastWidth = line.length();
      } else {
        out.println("progress: " + line);
      }
      out.flush();
    } catch (RuntimeException e) {
      // Some runners answer metrics only at the end; progress is then shown by the summary alone.
    }
  }

  private Duration elapsed() {
    return Duration.between(started, Instant.now());
  }

  /** The progress line for the given counter values. */
  static String render(Map<String, Long> c, long partitionsTotal, Duration elapsed) {
    long partitionsDone = c.getOrDefault(CopyMetrics.PARTITIONS_RECORDED, 0L);
    long listed = c.getOrDefault(CopyMetrics.FILES_LISTED, 0L);
    long copied = c.getOrDefault(CopyMetrics.FILES_COPIED, 0L);
    long skipped = c.getOrDefault(CopyMetrics.FILES_SKIPPED, 0L);
    long failed = c.getOrDefault(CopyMetrics.FILES_FAILED, 0L);
    long bytes = c.getOrDefault(CopyMetrics.BYTES_COPIED, 0L);
    long done = copied + skipped + failed;
    double fraction = listed == 0 ? 0 : Math.min(1, done / (double) listed);
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
        skipped,
        failed,
        Units.bytes(bytes),
        Units.rate(bytes, elapsed),
        Units.duration(elapsed));
  }

  /** The progress line of a tabular run for the given counter values. */
  static String renderTables(Map<String, Long> c, long tablesTotal, Duration elapsed) {
    long tablesDone = c.getOrDefault(CopyMetrics.PARTITIONS_RECORDED, 0L);
    long listed = c.getOrDefault(CopyMetrics.FILES_LISTED, 0L);
    long done =
        c.getOrDefault(CopyMetrics.FILES_COPIED, 0L)
            + c.getOrDefault(CopyMetrics.FILES_SKIPPED, 0L)
            + c.getOrDefault(CopyMetrics.FILES_FAILED, 0L);
    long rows = c.getOrDefault(CopyMetrics.ROWS_WRITTEN, 0L);
    long rejected = c.getOrDefault(CopyMetrics.ROWS_REJECTED, 0L);
    long bytes = c.getOrDefault(CopyMetrics.BYTES_COPIED, 0L);
    double fraction = listed == 0 ? 0 : Math.min(1, done / (double) listed);
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    return String.format(
        Locale.ROOT,
        "[%s%s] %3.0f%% | tables %d/%d | files %d/%d | rows %d written, %d rejected | %s read | %s",
        "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled),
        fraction * 100,
        tablesDone,
        tablesTotal,
        done,
        listed,
        rows,
        rejected,
        Units.bytes(bytes),
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
