package io.copyjob.tabular;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The common shapes of ISO-8601 read without {@link java.time.format.DateTimeFormatter}, whose
 * general parser took a fifth of a CSV load's time: {@code yyyy-MM-dd}, then {@code T} or a space
 * and {@code HH:mm:ss} with up to nine digits of fraction, then {@code Z} or {@code ±HH:MM}. Any
 * other text gives null, and the caller parses it the general way, so the two always agree: a value
 * this accepts is one the formatter accepts, as the same value. Out-of-range fields (February 30,
 * hour 24) throw {@link DateTimeException}, as the formatter's strict resolver does.
 */
final class IsoFast {
  private IsoFast() {}

  /** {@code yyyy-MM-dd} and nothing else; else null. */
  static LocalDate date(String text) {
    return text.length() == 10 ? datePart(text) : null;
  }

  /** {@code yyyy-MM-dd} at the text's start, or null. */
  private static LocalDate datePart(String text) {
    if (text.length() < 10 || text.charAt(4) != '-' || text.charAt(7) != '-') {
      return null;
    }
    int year = digits(text, 0, 4);
    int month = digits(text, 5, 2);
    int day = digits(text, 8, 2);
    if (year < 0 || month < 0 || day < 0) {
      return null;
    }
    return LocalDate.of(year, month, day);
  }

  /** A date and time filling {@code text} up to {@code end}; else null. */
  static LocalDateTime dateTime(String text, int end) {
    if (end < 19 || (text.charAt(10) != 'T' && text.charAt(10) != ' ')) {
      return null;
    }
    if (text.charAt(13) != ':' || text.charAt(16) != ':') {
      return null;
    }
    int hour = digits(text, 11, 2);
    int minute = digits(text, 14, 2);
    int second = digits(text, 17, 2);
    if (hour < 0 || minute < 0 || second < 0) {
      return null;
    }
    int nano = 0;
    if (end > 19) {
      int fraction = end - 20;
      if (text.charAt(19) != '.' || fraction < 1 || fraction > 9) {
        return null;
      }
      int value = digits(text, 20, fraction);
      if (value < 0) {
        return null;
      }
      nano = value;
      for (int i = fraction; i < 9; i++) {
        nano *= 10;
      }
    }
    LocalDate date = datePart(text);
    return date == null ? null : date.atTime(hour, minute, second, nano);
  }

  /** A date and time with {@code Z} or {@code ±HH:MM}; else null (no offset included). */
  static OffsetDateTime offsetDateTime(String text) {
    int length = text.length();
    if (length < 20) {
      return null;
    }
    ZoneOffset offset;
    int end;
    if (text.charAt(length - 1) == 'Z') {
      offset = ZoneOffset.UTC;
      end = length - 1;
    } else {
      end = length - 6;
      char sign = text.charAt(end);
      if ((sign != '+' && sign != '-') || text.charAt(end + 3) != ':') {
        return null;
      }
      int hours = digits(text, end + 1, 2);
      int minutes = digits(text, end + 4, 2);
      if (hours < 0 || minutes < 0) {
        return null;
      }
      offset =
          sign == '+'
              ? ZoneOffset.ofHoursMinutes(hours, minutes)
              : ZoneOffset.ofHoursMinutes(-hours, -minutes);
    }
    LocalDateTime local = dateTime(text, end);
    return local == null ? null : OffsetDateTime.of(local, offset);
  }

  /** The decimal number of {@code count} ASCII digits at {@code at}, or -1. */
  private static int digits(String text, int at, int count) {
    int value = 0;
    for (int i = at; i < at + count; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
