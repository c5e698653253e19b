package io.copyjob.monitor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A continuous run's rounds as {@code status}, {@code history --run N} and {@code copyjob ui} show
 * them: one line of counts, the last rounds as a table, or JSON.
 */
public final class RoundReport {
  /** How many of the newest round rows {@code history} and the ui show. */
  public static final int SHOWN = 50;

  private RoundReport() {}

  /** Rows of the rounds by status, each status once, in the enum's order. */
  public static Map<RoundStatus, Long> counts(List<RoundRecord> rounds) {
    Map<RoundStatus, Long> counts = new EnumMap<>(RoundStatus.class);
    for (RoundStatus s : RoundStatus.values()) {
      counts.put(s, 0L);
    }
    rounds.forEach(r -> counts.merge(r.status(), 1L, Long::sum));
    return counts;
  }

  /**
   * {@code rounds 14, last 14 (partition rounds: 9 succeeded, 0 failed, 4 skipped, 0 abandoned, 1
   * running)}; empty when the run has no rounds.
   */
  public static String line(List<RoundRecord> rounds) {
    if (rounds.isEmpty()) {
      return "";
    }
    long last = rounds.stream().mapToLong(RoundRecord::round).max().orElse(0);
    long distinct = rounds.stream().mapToLong(RoundRecord::round).distinct().count();
    Map<RoundStatus, Long> c = counts(rounds);
    return "  rounds      "
        + distinct
        + ", last "
        + last
        + " (partition rounds: "
        + c.get(RoundStatus.SUCCEEDED)
        + " succeeded, "
        + c.get(RoundStatus.FAILED)
        + " failed, "
        + c.get(RoundStatus.SKIPPED)
        + " skipped, "
        + c.get(RoundStatus.ABANDONED)
        + " abandoned, "
        + c.get(RoundStatus.RUNNING)
        + " running)"
        + System.lineSeparator();
  }

  /** The newest {@link #SHOWN} round rows, oldest first, as a text table. */
  public static String table(List<RoundRecord> rounds) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "ROUND",
          "PARTITION",
          "STATUS",
          "WINDOW START",
          "WINDOW END",
          "COPIED",
          "SKIPPED",
          "FAILED",
          "BYTES",
          "ERROR"
        });
    for (RoundRecord r : newest(rounds)) {
      rows.add(
          new String[] {
            Long.toString(r.round()),
            "'" + r.key().prefix() + "'",
            r.status().name(),
            RunReport.time(r.windowStart()),
            RunReport.time(r.windowEnd()),
            Long.toString(r.filesCopied()),
            Long.toString(r.filesSkipped()),
            Long.toString(r.filesFailed()),
            Units.bytes(r.bytesCopied()),
            r.error() == null ? "" : r.error()
          });
    }
    return RunReport.table(rows);
  }

  /** The newest {@link #SHOWN} rows, oldest first. */
  public static List<RoundRecord> newest(List<RoundRecord> rounds) {
    return rounds.subList(Math.max(0, rounds.size() - SHOWN), rounds.size());
  }

  /** Every round row as JSON. */
  public static ArrayNode json(List<RoundRecord> rounds) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (RoundRecord r : rounds) {
      ObjectNode node = array.addObject();
      node.put("round", r.round());
      node.put("root", r.key().root());
      node.put("prefix", r.key().prefix());
      node.put("status", r.status().name());
      node.put("startedAt", text(r.startedAt()));
      node.put("endedAt", text(r.endedAt()));
      node.put("windowStart", text(r.windowStart()));
      node.put("windowEnd", text(r.windowEnd()));
      node.put("filesCopied", r.filesCopied());
      node.put("filesSkipped", r.filesSkipped());
      node.put("filesFailed", r.filesFailed());
      node.put("bytesCopied", r.bytesCopied());
      node.put("error", r.error());
    }
    return array;
  }

  private static String text(java.time.Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
