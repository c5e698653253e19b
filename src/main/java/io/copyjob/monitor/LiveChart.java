package io.copyjob.monitor;

import io.copyjob.control.ProgressPoint;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A running run's throughput over time, drawn on the server as the job page's chart is: bars of
 * bytes/s (rows/s for tables) from the points of totals its workers' progress batches wrote. Every
 * viewer sees the same chart, since it is drawn from the store alone.
 */
final class LiveChart {
  private LiveChart() {}

  /** At most this many bars: the chart's width holds them. */
  static final int MAX_BARS = 60;

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  /**
   * One bar: the workers' rates summed over the time from {@code start} for {@code length}, each
   * worker's rate its growth over the time between its points that end in the bar.
   */
  record Bar(Instant start, Duration length, double files, double bytes, double rows) {}

  /**
   * The bars of the points: each worker's growth between two of its points counted in the bar its
   * later point falls in. A bar is about as long as the workers' median interval between points (or
   * the span over {@link #MAX_BARS}), so a worker's batch lands in about one bar, and a single
   * worker writing at a steady pace gets one bar per interval, its rate over that interval. Empty
   * with fewer than two points of one worker.
   */
  static List<Bar> bars(List<ProgressPoint> points) {
    Map<String, ProgressPoint> last = new HashMap<>();
    List<ProgressPoint[]> steps = new ArrayList<>();
    List<ProgressPoint> sorted = new ArrayList<>(points);
    sorted.sort(java.util.Comparator.comparing(ProgressPoint::at));
    for (ProgressPoint p : sorted) {
      ProgressPoint before = last.put(p.worker(), p);
      if (before != null && p.at().isAfter(before.at())) {
        steps.add(new ProgressPoint[] {before, p});
      }
    }
    if (steps.isEmpty()) {
      return List.of();
    }
    // Steps are in the order of their ends, the later point of each.
    Instant start = steps.get(0)[0].at();
    Instant firstEnd = steps.get(0)[1].at();
    Instant lastEnd = steps.get(steps.size() - 1)[1].at();
    List<Long> intervals = new ArrayList<>();
    for (ProgressPoint[] s : steps) {
      start = s[0].at().isBefore(start) ? s[0].at() : start;
      intervals.add(Duration.between(s[0].at(), s[1].at()).toMillis());
    }
    intervals.sort(null);
    long median = Math.max(1, intervals.get((intervals.size() - 1) / 2));
    long ends = Duration.between(firstEnd, lastEnd).toMillis();
    // One bar per median interval between the first and the last end (at most MAX_BARS), each
    // centred on the ends it takes: batches written a little apart share a bar, and no bar falls
    // between two of a steady worker's batches, which would draw a false drop to zero.
    int count = (int) Math.min(MAX_BARS, ends / median + 1);
    double width = count > 1 ? (double) ends / (count - 1) : median;
    // Per bar and worker: growth in files, bytes, rows, and the milliseconds it took.
    List<Map<String, long[]>> growth = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      growth.add(new HashMap<>());
    }
    for (ProgressPoint[] s : steps) {
      long into = Duration.between(firstEnd, s[1].at()).toMillis();
      int i = (int) Math.min(count - 1, Math.round(into / width));
      long[] g = growth.get(i).computeIfAbsent(s[1].worker(), w -> new long[4]);
      g[0] += s[1].files() - s[0].files();
      g[1] += s[1].bytes() - s[0].bytes();
      g[2] += s[1].rows() - s[0].rows();
      g[3] += Math.max(1, Duration.between(s[0].at(), s[1].at()).toMillis());
    }
    List<Bar> bars = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      double files = 0;
      double bytes = 0;
      double rows = 0;
      for (long[] g : growth.get(i).values()) {
        files += g[0] * 1000.0 / g[3];
        bytes += g[1] * 1000.0 / g[3];
        rows += g[2] * 1000.0 / g[3];
      }
      Instant from = firstEnd.plusMillis(Math.round((i - 1) * width));
      bars.add(
          new Bar(
              from.isBefore(start) ? start : from,
              Duration.ofMillis(Math.round(width)),
              files,
              bytes,
              rows));
    }
    return bars;
  }

  /** The chart of the points, or a line saying why there is none yet. */
  static String chart(List<ProgressPoint> points, boolean tabular) {
    List<Bar> bars = bars(points);
    StringBuilder svg = new StringBuilder("<h2>Throughput over time</h2>");
    if (bars.isEmpty()) {
      return svg.append("<p>Drawn once a worker has written two progress batches.</p>").toString();
    }
    List<BarChart.Bar> drawn = new ArrayList<>();
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      long r = rate(b, tabular);
      boolean labelled = i == 0 || i == bars.size() - 1;
      drawn.add(
          new BarChart.Bar(
              r,
              "#47a",
              CLOCK.format(b.start())
                  + " UTC, "
                  + Units.duration(b.length())
                  + ": "
                  + label(r, tabular)
                  + ", "
                  + String.format(Locale.ROOT, "%.1f files/s", b.files()),
              labelled ? CLOCK.format(b.start()) : null,
              i == 0 ? 0 : 40));
    }
    return svg.append(
            BarChart.svg(
                drawn,
                "throughput over time",
                max -> label(max, tabular),
                (tabular ? "Rows written per second" : "Bytes copied per second")
                    + " over the run's last minutes (UTC), from its workers' progress batches"))
        .toString();
  }

  static long rate(Bar b, boolean tabular) {
    return Math.round(tabular ? b.rows() : b.bytes());
  }

  private static String label(long rate, boolean tabular) {
    return tabular ? rate + " rows/s" : Units.bytes(rate) + "/s";
  }
}
