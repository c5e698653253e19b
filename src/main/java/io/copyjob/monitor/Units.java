package io.copyjob.monitor;

import java.time.Duration;
import java.util.Locale;

/** Human-readable sizes, rates and durations for the terminal. */
public final class Units {
  private static final String[] BYTE_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

  private Units() {}

  public static String bytes(long bytes) {
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0
        ? bytes + " B"
        : String.format(Locale.ROOT, "%.1f %s", value, BYTE_UNITS[unit]);
  }

  public static String rate(long bytes, Duration elapsed) {
    return bytes(perSecond(bytes, elapsed)) + "/s";
  }

  public static long perSecond(long amount, Duration elapsed) {
    long millis = Math.max(1, elapsed.toMillis());
    return Math.round(amount * 1000.0 / millis);
  }

  public static String filesPerSecond(long files, Duration elapsed) {
    long millis = Math.max(1, elapsed.toMillis());
    return String.format(Locale.ROOT, "%.1f files/s", files * 1000.0 / millis);
  }

  public static String duration(Duration d) {
    if (d == null) {
      return "-";
    }
    long millis = d.toMillis();
    if (millis < 60_000) {
      return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
    long seconds = d.toSeconds();
    return seconds < 3600
        ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60)
        : String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
  }
}
