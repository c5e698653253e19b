package io.copyjob.spec;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as a job file writes them: {@code 1048576}, {@code 100MB}, {@code 1.5 GiB}. */
final class Sizes {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?i?B)?", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /** The size at {@code node} in bytes; 0 when absent. */
  static long bytes(Node node) {
    if (!node.isPresent()) {
      return 0;
    }
    String text = node.scalarText();
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw node.error("must be a size like 104857600, 100MB or 1.5GiB, got '" + text + "'");
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    int power = "BKMGT".indexOf(unit.charAt(0));
    long base = unit.contains("I") ? 1024 : 1000;
    return Math.round(value * Math.pow(base, power));
  }
}
