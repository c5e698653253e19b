package io.copyjob.monitor;

import static io.copyjob.monitor.HistoryServer.esc;

import java.util.List;
import java.util.function.LongFunction;

/**
 * The ui's bar charts, in SVG: bars scaled to the tallest, the tallest's value above the axis, a
 * tooltip per bar and a caption. The history's runs and a running run's throughput are drawn so.
 */
final class BarChart {
  private static final int WIDTH = 720;
  private static final int HEIGHT = 160;

  /**
   * One bar.
   *
   * @param title its tooltip (escaped here)
   * @param label the text under it, or null for none (escaped here)
   * @param labelShift how far left of the bar the label starts, never past the axis
   */
  record Bar(long value, String fill, String title, String label, int labelShift) {}

  private BarChart() {}

  /**
   * @param scale the text for a value, the tallest bar's shown beside the axis (escaped here)
   * @param caption the figure's caption, as HTML
   */
  static String svg(List<Bar> bars, String ariaLabel, LongFunction<String> scale, String caption) {
    long max = 1;
    for (Bar b : bars) {
      max = Math.max(max, b.value());
    }
    int bar = Math.max(2, Math.min(40, (WIDTH - 60) / bars.size() - 2));
    StringBuilder svg = new StringBuilder();
    svg.append("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(HEIGHT + 30)
        .append("\" role=\"img\" aria-label=\"")
        .append(ariaLabel)
        .append("\"><line x1=\"50\" y1=\"")
        .append(HEIGHT)
        .append("\" x2=\"")
        .append(WIDTH)
        .append("\" y2=\"")
        .append(HEIGHT)
        .append("\" stroke=\"#888\"/><text x=\"0\" y=\"12\" font-size=\"11\">")
        .append(esc(scale.apply(max)))
        .append("</text>");
    int x = 55;
    for (Bar b : bars) {
      int h = (int) Math.round((double) b.value() / max * (HEIGHT - 20));
      svg.append("<rect x=\"")
          .append(x)
          .append("\" y=\"")
          .append(HEIGHT - h)
          .append("\" width=\"")
          .append(bar)
          .append("\" height=\"")
          .append(h)
          .append("\" fill=\"")
          .append(b.fill())
          .append("\"><title>")
          .append(esc(b.title()))
          .append("</title></rect>");
      if (b.label() != null) {
        svg.append("<text x=\"")
            .append(Math.max(55, x - b.labelShift()))
            .append("\" y=\"")
            .append(HEIGHT + 14)
            .append("\" font-size=\"10\">")
            .append(esc(b.label()))
            .append("</text>");
      }
      x += bar + 2;
    }
    return svg.append("</svg><figcaption>")
        .append(caption)
        .append("</figcaption></figure>")
        .toString();
  }
}
