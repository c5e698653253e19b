package io.copyjob.monitor;

import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunTotals;
import io.copyjob.control.TableCounts;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The texts a person reads in the terminal: a run's summary, the history, the partitions. */
public final class RunReport {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  private RunReport() {}

  /** The summary printed at the end of a run. */
  public static String summary(RunRecord run) {
    RunTotals t = run.totals();
    Duration duration = run.duration() == null ? Duration.ZERO : run.duration();
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT, "run %d of job '%s': %s%n", run.runNumber(), run.job(), run.status()));
    s.append(
        String.format(
            Locale.ROOT,
            "  partitions  %d succeeded, %d failed%n",
            t.partitionsSucceeded(),
            t.partitionsFailed()));
    s.append(
        String.format(
            Locale.ROOT,
            "  files       %d copied, %d skipped, %d failed%n",
            t.filesCopied(),
            t.filesSkipped(),
            t.filesFailed()));
    s.append(String.format(Locale.ROOT, "  bytes       %s copied%n", Units.bytes(t.bytesCopied())));
    s.append(String.format(Locale.ROOT, "  duration    %s%n", Units.duration(duration)));
    s.append(
        String.format(
            Locale.ROOT,
            "  throughput  %s, %s%n",
            Units.rate(t.bytesCopied(), duration),
            Units.filesPerSecond(t.filesCopied() + t.filesSkipped(), duration)));
    if (run.error() != null) {
      s.append(String.format(Locale.ROOT, "  error       %s%n", run.error()));
    }
    return s.toString();
  }

  /**
   * Where a run's (or partition's) time went, as its workers reported it: the time spent listing,
   * reading, writing and waiting, summed over its transfers (with many in flight, more than the
   * wall clock), the step that took longest, the peak of transfers in flight, when the first byte
   * came and the throttling answers; empty when no worker reported any. A run whose steps all took
   * less than a millisecond (a few small local files) still gets its lines, the longest step
   * "none".
   */
  public static String timeLines(io.copyjob.control.ProgressRecord p) {
    if (p == null
        || p.longestStep() == null
            && p.throttled() == 0
            && p.filesListed() == 0
            && p.filesDone() == 0) {
      return "";
    }
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "  time        listing %s, reading %s, writing %s, waiting %s (summed over the"
                + " transfers); longest: %s%n",
            Units.duration(Duration.ofMillis(p.listingMillis())),
            Units.duration(Duration.ofMillis(p.readingMillis())),
            Units.duration(Duration.ofMillis(p.writingMillis())),
            Units.duration(Duration.ofMillis(p.waitingMillis())),
            p.longestStep() == null ? "none" : p.longestStep()));
    s.append(
        String.format(
            Locale.ROOT,
            "  transfers   peak %d in flight, first byte %s, %d throttling answers%n",
            p.peakInFlight(),
            p.firstByteMillis() == null
                ? "never"
                : "after " + Units.duration(Duration.ofMillis(p.firstByteMillis())),
            p.throttled()));
    return s.toString();
  }

  /**
   * Where each partition's (table's) time went, one line each: the times its workers reported, the
   * longest step, its first byte, peak transfers in flight and throttling answers.
   */
  public static String timeTable(List<io.copyjob.control.ProgressRecord> partitions) {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "%-30s %-9s %9s %9s %9s %9s  %-8s %10s %5s %9s%n",
            "PARTITION",
            "STATE",
            "LISTING",
            "READING",
            "WRITING",
            "WAITING",
            "LONGEST",
            "1ST BYTE",
            "PEAK",
            "THROTTLED"));
    for (io.copyjob.control.ProgressRecord p : partitions) {
      s.append(
          String.format(
              Locale.ROOT,
              "%-30s %-9s %9s %9s %9s %9s  %-8s %10s %5d %9d%n",
              p.key().prefix().isEmpty() ? "(whole root)" : p.key().prefix(),
              p.state() == null ? "-" : p.state().name(),
              Units.duration(Duration.ofMillis(p.listingMillis())),
              Units.duration(Duration.ofMillis(p.readingMillis())),
              Units.duration(Duration.ofMillis(p.writingMillis())),
              Units.duration(Duration.ofMillis(p.waitingMillis())),
              p.longestStep() == null ? "-" : p.longestStep(),
              p.firstByteMillis() == null
                  ? "-"
                  : Units.duration(Duration.ofMillis(p.firstByteMillis())),
              p.peakInFlight(),
              p.throttled()));
    }
    return s.toString();
  }

  /** The summary, then one line per warning of the run's partitions. */
  public static String summary(RunRecord run, List<String> warnings) {
    return summary(run, warnings, false, null);
  }

  /**
   * The summary of a run, a tabular one's ({@code tables}) with its tables, files and rows, then
   * one line per warning of its partitions (tables), then where the run's failure log ({@link
   * FailureLog}) is, when it wrote one.
   */
  public static String summary(
      RunRecord run, List<String> warnings, boolean tables, Path failureLog) {
    StringBuilder s = new StringBuilder(tables ? tableSummary(run) : summary(run));
    for (String warning : warnings) {
      s.append(String.format(Locale.ROOT, "  warning     %s%n", warning));
    }
    if (failureLog != null) {
      s.append(
          String.format(Locale.ROOT, "  failures    %s (every failed file and why)%n", failureLog));
    }
    return s.toString();
  }

  private static String tableSummary(RunRecord run) {
    RunTotals t = run.totals();
    Duration duration = run.duration() == null ? Duration.ZERO : run.duration();
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT, "run %d of job '%s': %s%n", run.runNumber(), run.job(), run.status()));
    s.append(
        String.format(
            Locale.ROOT,
            "  tables      %d succeeded, %d failed%n",
            t.partitionsSucceeded(),
            t.partitionsFailed()));
    s.append(
        String.format(
            Locale.ROOT,
            "  files       %d loaded, %d already loaded, %d failed%n",
            t.filesCopied(),
            t.filesSkipped(),
            t.filesFailed()));
    s.append(
        String.format(
            Locale.ROOT,
            "  rows        %d read, %d written, %d rejected%n",
            t.rowsRead(),
            t.rowsWritten(),
            t.rowsRejected()));
    s.append(String.format(Locale.ROOT, "  bytes       %s read%n", Units.bytes(t.bytesCopied())));
    s.append(String.format(Locale.ROOT, "  duration    %s%n", Units.duration(duration)));
    s.append(
        String.format(
            Locale.ROOT,
            "  throughput  %d rows/s, %s%n",
            Units.perSecond(t.rowsWritten(), duration),
            Units.rate(t.bytesCopied(), duration)));
    if (run.error() != null) {
      s.append(String.format(Locale.ROOT, "  error       %s%n", run.error()));
    }
    return s.toString();
  }

  /** The runs, newest first, one line each; a tabular job's ({@code tables}) with their rows. */
  public static String history(List<RunRecord> runs, boolean tables) {
    if (!tables) {
      return history(runs);
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "RUN",
          "STATUS",
          "STARTED (UTC)",
          "MODE",
          "DURATION",
          "TABLES OK/FAILED",
          "ROWS READ/WRITTEN/REJECTED",
          "BYTES",
          "ROWS/S",
          "ERROR"
        });
    for (RunRecord run : runs) {
      RunTotals t = run.totals();
      Duration d = run.duration();
      rows.add(
          new String[] {
            Long.toString(run.runNumber()),
            run.status().name(),
            time(run.startedAt()),
            run.mode(),
            Units.duration(d),
            t.partitionsSucceeded() + "/" + t.partitionsFailed(),
            t.rowsRead() + "/" + t.rowsWritten() + "/" + t.rowsRejected(),
            Units.bytes(t.bytesCopied()),
            d == null ? "-" : Long.toString(Units.perSecond(t.rowsWritten(), d)),
            shorten(run.error())
          });
    }
    return table(rows);
  }

  /** One tabular run's tables, as RecordTableResult recorded them. */
  public static String tableRuns(List<PartitionRunRecord> records) {
    // An incremental run's tables show their watermark before and after the run.
    boolean marks =
        records.stream()
            .anyMatch(r -> r.result().table() != null && r.result().table().watermark() != null);
    List<String[]> rows = new ArrayList<>();
    rows.add(
        withMarks(
            marks,
            new String[] {
              "TABLE",
              "RESULT",
              "FILES LOADED/SKIPPED/FAILED",
              "ROWS READ",
              "WRITTEN",
              "REJECTED",
              "BYTES",
              "DURATION",
              "ERROR"
            },
            "WATERMARK BEFORE",
            "WATERMARK AFTER"));
    for (PartitionRunRecord record : records) {
      PartitionResult r = record.result();
      TableCounts t = r.table() == null ? TableCounts.ZERO : r.table();
      rows.add(
          withMarks(
              marks,
              new String[] {
                r.key().prefix(),
                r.succeeded() ? "succeeded" : "failed",
                r.filesCopied() + "/" + r.filesSkipped() + "/" + r.filesFailed(),
                Long.toString(t.rowsRead()),
                Long.toString(t.rowsWritten()),
                Long.toString(t.rowsRejected()),
                Units.bytes(r.bytesCopied()),
                Units.duration(Duration.ofMillis(t.durationMillis())),
                r.succeeded() ? (r.warning() == null ? "" : r.warning()) : r.firstError()
              },
              t.watermark() == null || t.watermark().before() == null
                  ? "-"
                  : t.watermark().before(),
              t.watermark() == null || t.watermark().after() == null
                  ? "-"
                  : t.watermark().after()));
    }
    return table(rows);
  }

  /** The row with the two watermark cells before its last one (the error), when {@code marks}. */
  private static String[] withMarks(boolean marks, String[] row, String before, String after) {
    if (!marks) {
      return row;
    }
    String[] out = java.util.Arrays.copyOf(row, row.length + 2);
    out[row.length - 1] = before;
    out[row.length] = after;
    out[row.length + 1] = row[row.length - 1];
    return out;
  }

  /** The runs, newest first, one line each. */
  public static String history(List<RunRecord> runs) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "RUN",
          "STATUS",
          "STARTED (UTC)",
          "MODE",
          "DURATION",
          "PARTITIONS OK/FAILED",
          "FILES COPIED/SKIPPED/FAILED",
          "BYTES",
          "THROUGHPUT",
          "ERROR"
        });
    for (RunRecord run : runs) {
      RunTotals t = run.totals();
      Duration d = run.duration();
      rows.add(
          new String[] {
            Long.toString(run.runNumber()),
            run.status().name(),
            time(run.startedAt()),
            run.mode(),
            Units.duration(d),
            t.partitionsSucceeded() + "/" + t.partitionsFailed(),
            t.filesCopied() + "/" + t.filesSkipped() + "/" + t.filesFailed(),
            Units.bytes(t.bytesCopied()),
            d == null ? "-" : Units.rate(t.bytesCopied(), d),
            shorten(run.error())
          });
    }
    return table(rows);
  }

  /** The partitions of a job with where each stands. */
  public static String partitions(List<PartitionState> partitions) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "ROOT",
          "PREFIX",
          "STATUS",
          "LAST RUN (UTC)",
          "LAST SUCCESS (UTC)",
          "FILES (LAST RUN)",
          "BYTES COPIED",
          "ERROR"
        });
    for (PartitionState p : partitions) {
      rows.add(
          new String[] {
            p.key().root(),
            quote(p.key().prefix()),
            p.status().name(),
            time(p.lastRunTime()),
            time(p.lastSuccessTime()),
            Long.toString(p.files()),
            Units.bytes(p.bytes()),
            shorten(p.status() == PartitionStatus.SUCCEEDED ? warning(p.error()) : p.error())
          });
    }
    return table(rows);
  }

  /** A run's manifest: each file with its outcome. */
  public static String files(List<io.copyjob.control.FileRecord> files) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"PARTITION", "FILE", "OUTCOME", "SIZE", "SINK KEY", "MD5", "ERROR"});
    for (io.copyjob.control.FileRecord f : files) {
      rows.add(
          new String[] {
            quote(f.prefix()),
            f.sourceKey(),
            f.outcome(),
            f.size() < 0 ? "-" : Long.toString(f.size()),
            f.sinkKey() == null ? "-" : f.sinkKey(),
            f.md5() == null ? "-" : f.md5(),
            f.error() == null ? "" : f.error()
          });
    }
    return table(rows);
  }

  /** One run's partitions, as recorded by RecordPartitionResult. */
  public static String partitionRuns(List<PartitionRunRecord> records) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "PREFIX",
          "RESULT",
          "WINDOW START",
          "WINDOW END",
          "COPIED",
          "SKIPPED",
          "FAILED",
          "BYTES",
          "ERROR"
        });
    for (PartitionRunRecord record : records) {
      PartitionResult r = record.result();
      rows.add(
          new String[] {
            quote(r.key().prefix()),
            r.succeeded() ? "succeeded" : "failed",
            time(r.windowStart()),
            time(r.windowEnd()),
            Long.toString(r.filesCopied()),
            Long.toString(r.filesSkipped()),
            Long.toString(r.filesFailed()),
            Units.bytes(r.bytesCopied()),
            shorten(r.succeeded() ? warning(r.warning()) : r.firstError())
          });
    }
    return table(rows);
  }

  public static String time(Instant instant) {
    return instant == null ? "-" : TIME.format(instant);
  }

  private static String warning(String warning) {
    return warning == null ? null : "warning: " + warning;
  }

  private static String quote(String prefix) {
    return "'" + prefix + "'";
  }

  private static String shorten(String error) {
    if (error == null) {
      return "";
    }
    return error.length() <= 80 ? error : error.substring(0, 77) + "...";
  }

  /** Left-aligned columns two spaces apart; the last column is not padded. */
  static String table(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder s = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      s.append(line.toString().stripTrailing()).append(System.lineSeparator());
    }
    return s.toString();
  }
}
