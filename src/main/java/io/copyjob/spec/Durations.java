package io.copyjob.spec;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as a job file writes them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code
 * 1d}, or ISO-8601 ({@code PT5M}). A bare number is not accepted: its unit would be a guess.
 */
public final class Durations {
  private static final Pattern SHORT =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private Durations() {}

  /**
   * The duration at {@code node}, {@code defaultValue} when absent, checked to lie within [{@code
   * min}, {@code max}].
   */
  static Duration duration(Node node, Duration defaultValue, Duration min, Duration max) {
    if (!node.isPresent()) {
      return defaultValue;
    }
    String text = node.scalarText().trim();
    Duration value = parse(text);
    if (value == null) {
      throw node.error("must be a duration like 500ms, 30s, 5m, 2h or PT5M, got '" + text + "'");
    }
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw node.error(
          "must be between " + format(min) + " and " + format(max) + ", got '" + text + "'");
    }
    return value;
  }

  /** The duration {@code text} denotes, or null when it is none. */
  public static Duration parse(String text) {
    Matcher m = SHORT.matcher(text);
    if (m.matches()) {
      double value = Double.parseDouble(m.group(1));
      long unitMillis =
          switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> 1L;
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            case "h" -> 3_600_000L;
            default -> 86_400_000L;
          };
      return Duration.ofMillis(Math.round(value * unitMillis));
    }
    if (text.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        return Duration.parse(text);
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    return null;
  }

  /** A short form for messages: 0s, 500ms, 30s, 5m, 2h. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }
}
