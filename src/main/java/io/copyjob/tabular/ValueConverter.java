package io.copyjob.tabular;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.ColumnType.Kind;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Converts a source value (text, for CSV) into the Java value of a column type: Integer, Long,
 * BigDecimal, Double, Boolean, LocalDate, LocalDateTime, OffsetDateTime, String or UUID. Strict: a
 * value that does not mean exactly one value of the type is {@link Incompatible}, never rounded,
 * clamped or cut.
 */
final class ValueConverter implements Serializable {
  private static final Pattern DOUBLE =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?|NaN|[+-]?Infinity");
  private static final Pattern UUID_TEXT =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private final ColumnType type;
  private final String format;
  private final String zone;
  private transient DateTimeFormatter formatter;

  /**
   * @param format a {@link DateTimeFormatter} pattern for temporal values; null: ISO-8601 (a space
   *     may stand for the 'T')
   * @param zone the zone of a timestamp with time zone whose text has no offset
   */
  ValueConverter(ColumnType type, String format, String zone) {
    this.type = type;
    this.format = format;
    this.zone = zone;
  }

  ColumnType type() {
    return type;
  }

  /** The value for the column; null stays null (the caller checks NOT NULL). */
  Object convert(Object value) throws Incompatible {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      return typed(value);
    }
    Kind kind = type.kind();
    String trimmed = kind == Kind.TEXT ? text : text.strip();
    return switch (kind) {
      case SMALLINT -> (int) whole(trimmed, Short.MIN_VALUE, Short.MAX_VALUE);
      case INTEGER -> (int) whole(trimmed, Integer.MIN_VALUE, Integer.MAX_VALUE);
      case BIGINT -> whole(trimmed, Long.MIN_VALUE, Long.MAX_VALUE);
      case DECIMAL -> decimal(trimmed);
      case DOUBLE -> {
        if (!DOUBLE.matcher(trimmed).matches()) {
          throw new Incompatible("is not a number");
        }
        yield Double.parseDouble(trimmed);
      }
      case BOOLEAN -> bool(trimmed);
      case DATE -> date(trimmed);
      case TIMESTAMP -> timestamp(trimmed);
      case TIMESTAMPTZ -> timestampTz(trimmed);
      case TIME -> time(trimmed);
      case TEXT -> text(text);
      case UUID -> {
        if (!UUID_TEXT.matcher(trimmed).matches()) {
          throw new Incompatible("is not a UUID");
        }
        yield UUID.fromString(trimmed);
      }
      case BYTES -> throw new Incompatible("is text, and bytes come only from binary data");
    };
  }

  /**
   * A value a typed source (JSON, Parquet) gives: a number, a boolean, a date or a timestamp goes
   * into a column of its kind, exactly (a whole number into any number column it fits, a fraction
   * only into decimal or double), and into a text column as its text; text goes on as CSV text.
   */
  private Object typed(Object value) throws Incompatible {
    Kind kind = type.kind();
    if (value instanceof byte[] bytes) {
      if (kind == Kind.BYTES) {
        return bytes;
      }
      throw new Incompatible("is binary data, which copyjob cannot convert into " + type);
    }
    if (value instanceof java.time.LocalTime time) {
      return switch (kind) {
        case TIME -> time;
        case TEXT -> text(time.toString());
        default -> throw incompatible(value);
      };
    }
    if (kind == Kind.TEXT) {
      return text(textOf(value));
    }
    if (value instanceof Number number) {
      BigDecimal exact = exact(number);
      return switch (kind) {
        case SMALLINT, INTEGER, BIGINT -> {
          BigInteger whole;
          try {
            whole = exact.toBigIntegerExact();
          } catch (ArithmeticException e) {
            throw new Incompatible("is not a whole number");
          }
          yield convert(whole.toString());
        }
        case DECIMAL -> decimal(exact.toPlainString());
        case DOUBLE -> number.doubleValue();
        default -> throw incompatible(value);
      };
    }
    if (value instanceof Boolean bool && kind == Kind.BOOLEAN) {
      return bool;
    }
    if (value instanceof java.time.LocalDate date) {
      return switch (kind) {
        case DATE -> date;
        case TIMESTAMP -> date.atStartOfDay();
        default -> throw incompatible(value);
      };
    }
    if (value instanceof LocalDateTime local) {
      return switch (kind) {
        case TIMESTAMP -> local;
        case TIMESTAMPTZ -> local.atZone(ZoneId.of(zone)).toOffsetDateTime();
        default -> throw incompatible(value);
      };
    }
    if (value instanceof java.time.Instant instant) {
      return switch (kind) {
        case TIMESTAMPTZ -> instant.atOffset(java.time.ZoneOffset.UTC);
        case TIMESTAMP -> LocalDateTime.ofInstant(instant, ZoneId.of(zone));
        default -> throw incompatible(value);
      };
    }
    if (value instanceof OffsetDateTime offset) {
      return switch (kind) {
        case TIMESTAMPTZ -> offset;
        case TIMESTAMP -> offset.atZoneSameInstant(ZoneId.of(zone)).toLocalDateTime();
        default -> throw incompatible(value);
      };
    }
    if (value instanceof UUID uuid && kind == Kind.UUID) {
      return uuid;
    }
    throw incompatible(value);
  }

  /** A number as the exact decimal it is (a double's shortest text: 0.1 is 0.1). */
  private static BigDecimal exact(Number number) throws Incompatible {
    if (number instanceof BigDecimal decimal) {
      return decimal;
    }
    if (number instanceof BigInteger whole) {
      return new BigDecimal(whole);
    }
    if (number instanceof Double || number instanceof Float) {
      double d = number.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new Incompatible("is not a finite number");
      }
      return new BigDecimal(number.toString());
    }
    return BigDecimal.valueOf(number.longValue());
  }

  private static String textOf(Object value) {
    if (value instanceof BigDecimal decimal) {
      return decimal.toPlainString();
    }
    return value.toString();
  }

  private Incompatible incompatible(Object value) {
    return new Incompatible("is a " + kindOf(value) + ", not a " + type);
  }

  private static String kindOf(Object value) {
    if (value instanceof Number) {
      return "number";
    }
    if (value instanceof Boolean) {
      return "boolean";
    }
    if (value instanceof java.time.LocalDate) {
      return "date";
    }
    if (value instanceof LocalDateTime) {
      return "timestamp";
    }
    if (value instanceof java.time.Instant || value instanceof OffsetDateTime) {
      return "timestamp with time zone";
    }
    return value.getClass().getSimpleName();
  }

  private long whole(String text, long min, long max) throws Incompatible {
    BigInteger value;
    try {
      value = new BigInteger(text);
    } catch (NumberFormatException e) {
      throw new Incompatible("is not a whole number");
    }
    if (value.compareTo(BigInteger.valueOf(min)) < 0
        || value.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new Incompatible("is out of the range of " + type + " (" + min + " to " + max + ")");
    }
    return value.longValue();
  }

  private BigDecimal decimal(String text) throws Incompatible {
    BigDecimal value;
    try {
      value = new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw new Incompatible("is not a decimal number");
    }
    if (type.precision() == 0) {
      return value;
    }
    BigDecimal exact = value.stripTrailingZeros();
    if (exact.scale() > type.scale()) {
      throw new Incompatible(
          "has more than " + type.scale() + " digits after the point (" + type + ")");
    }
    BigDecimal scaled = value.setScale(type.scale());
    if (scaled.precision() > type.precision()) {
      throw new Incompatible(
          "has more than "
              + (type.precision() - type.scale())
              + " digits before the point ("
              + type
              + ")");
    }
    return scaled;
  }

  private static Boolean bool(String text) throws Incompatible {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "true", "t", "1", "yes", "y" -> true;
      case "false", "f", "0", "no", "n" -> false;
      default -> throw new Incompatible("is not a boolean (true/false, 1/0, yes/no)");
    };
  }

  private LocalDate date(String text) throws Incompatible {
    try {
      if (format == null) {
        LocalDate fast = IsoFast.date(text);
        return fast != null ? fast : LocalDate.parse(text);
      }
      return LocalDate.from(formatter().parse(text));
    } catch (java.time.DateTimeException e) {
      throw new Incompatible("is not a date" + pattern("yyyy-MM-dd"));
    }
  }

  private LocalDateTime timestamp(String text) throws Incompatible {
    try {
      if (format == null) {
        LocalDateTime fast = IsoFast.dateTime(text, text.length());
        return fast != null ? fast : LocalDateTime.parse(isoT(text));
      }
      return LocalDateTime.from(formatter().parse(text));
    } catch (java.time.DateTimeException e) {
      throw new Incompatible("is not a timestamp" + pattern("yyyy-MM-dd HH:mm:ss[.fraction]"));
    }
  }

  private java.time.LocalTime time(String text) throws Incompatible {
    try {
      return format == null
          ? java.time.LocalTime.parse(text)
          : java.time.LocalTime.from(formatter().parse(text));
    } catch (java.time.DateTimeException e) {
      throw new Incompatible("is not a time" + pattern("HH:mm:ss[.fraction]"));
    }
  }

  private OffsetDateTime timestampTz(String text) throws Incompatible {
    try {
      TemporalAccessor parsed;
      if (format == null) {
        OffsetDateTime fast = IsoFast.offsetDateTime(text);
        if (fast != null) {
          return fast;
        }
        String iso = isoT(text);
        parsed =
            DateTimeFormatter.ISO_DATE_TIME.parseBest(
                iso, OffsetDateTime::from, LocalDateTime::from);
      } else {
        parsed = formatter().parse(text);
      }
      if (parsed.isSupported(ChronoField.OFFSET_SECONDS)) {
        return OffsetDateTime.from(parsed);
      }
      return LocalDateTime.from(parsed).atZone(ZoneId.of(zone)).toOffsetDateTime();
    } catch (java.time.DateTimeException e) {
      throw new Incompatible(
          "is not a timestamp" + pattern("yyyy-MM-dd HH:mm:ss[.fraction][offset]"));
    }
  }

  private String pattern(String iso) {
    return " (" + (format == null ? iso : format) + ")";
  }

  /** ISO-8601 with a space for the 'T', as databases and spreadsheets write it, also taken. */
  private static String isoT(String text) {
    return text.length() > 10 && text.charAt(10) == ' '
        ? text.substring(0, 10) + 'T' + text.substring(11)
        : text;
  }

  private String text(String text) throws Incompatible {
    if (type.length() > 0) {
      int length = text.codePointCount(0, text.length());
      if (length > type.length()) {
        throw new Incompatible(
            "is " + length + " characters, more than the " + type.length() + " of " + type);
      }
    }
    return text;
  }

  /**
   * The pattern, resolved strictly (February 30 is no date); a year written {@code yyyy} is taken
   * in the common era, as people mean it.
   */
  private DateTimeFormatter formatter() {
    if (formatter == null) {
      DateTimeFormatterBuilder builder = new DateTimeFormatterBuilder().appendPattern(format);
      if (format.contains("y") && !format.contains("G")) {
        builder.parseDefaulting(ChronoField.ERA, 1);
      }
      formatter = builder.toFormatter(Locale.ROOT).withResolverStyle(ResolverStyle.STRICT);
    }
    return formatter;
  }
}
