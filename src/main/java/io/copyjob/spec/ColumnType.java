package io.copyjob.spec;

import java.io.Serializable;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type of a column as copyjob converts values into it: from a job file's mapping ({@code type:
 * "decimal(12,2)"}) or read from a sink table's metadata.
 *
 * @param kind what values it holds
 * @param length the most characters of a text column; 0: unbounded
 * @param precision the most digits of a decimal column; 0: unbounded
 * @param scale the digits after the point of a decimal column
 */
public record ColumnType(Kind kind, int length, int precision, int scale) implements Serializable {

  /** What a column holds. */
  public enum Kind {
    SMALLINT("smallint"),
    INTEGER("integer"),
    BIGINT("bigint"),
    DECIMAL("decimal"),
    DOUBLE("double"),
    BOOLEAN("boolean"),
    DATE("date"),
    TIMESTAMP("timestamp"),
    TIMESTAMPTZ("timestamptz"),
    /** A time of day without a zone. */
    TIME("time"),
    TEXT("text"),
    UUID("uuid"),
    /** Binary data, as a binary source column gives it (text is not taken as bytes). */
    BYTES("bytes");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** The kind's name as a job file writes it. */
    public String label() {
      return label;
    }

    /** Whether values of this kind are parsed with a date/time pattern. */
    public boolean temporal() {
      return this == DATE || this == TIMESTAMP || this == TIMESTAMPTZ || this == TIME;
    }
  }

  /** The names a job file may write, in the order a message lists them. */
  public static final String NAMES =
      "smallint, integer (int), bigint, decimal(p,s) (numeric), double, boolean, date, timestamp,"
          + " timestamptz, time, varchar(n), text, uuid, bytes";

  private static final Pattern WITH_ARGS =
      Pattern.compile("([a-z ]+?)\\s*(?:\\(\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\))?");

  public static ColumnType of(Kind kind) {
    return new ColumnType(kind, 0, 0, 0);
  }

  /**
   * The type a job file names, or empty when the name is none of {@link #NAMES} (or its length,
   * precision or scale is out of range).
   */
  public static Optional<ColumnType> parse(String text) {
    Matcher m = WITH_ARGS.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return Optional.empty();
    }
    String name = m.group(1).trim();
    Integer first = m.group(2) == null ? null : parseSmall(m.group(2));
    Integer second = m.group(3) == null ? null : parseSmall(m.group(3));
    boolean noArgs = m.group(2) == null;
    Kind plain =
        switch (name) {
          case "smallint", "int2" -> Kind.SMALLINT;
          case "integer", "int", "int4" -> Kind.INTEGER;
          case "bigint", "int8", "long" -> Kind.BIGINT;
          case "double", "double precision", "float8", "float" -> Kind.DOUBLE;
          case "boolean", "bool" -> Kind.BOOLEAN;
          case "date" -> Kind.DATE;
          case "timestamp", "timestamp without time zone", "datetime" -> Kind.TIMESTAMP;
          case "timestamptz", "timestamp with time zone" -> Kind.TIMESTAMPTZ;
          case "time", "time without time zone" -> Kind.TIME;
          case "text", "string" -> Kind.TEXT;
          case "uuid" -> Kind.UUID;
          case "bytes", "bytea", "binary", "varbinary" -> Kind.BYTES;
          default -> null;
        };
    if (plain != null) {
      return noArgs ? Optional.of(of(plain)) : Optional.empty();
    }
    switch (name) {
      case "varchar", "character varying", "char", "character":
        if (second != null || (first != null && first < 1)) {
          return Optional.empty();
        }
        return Optional.of(new ColumnType(Kind.TEXT, first == null ? 0 : first, 0, 0));
      case "decimal", "numeric":
        if (first == null) {
          return Optional.of(of(Kind.DECIMAL));
        }
        int scale = second == null ? 0 : second;
        if (first < 1 || first > 1000 || scale > first) {
          return Optional.empty();
        }
        return Optional.of(new ColumnType(Kind.DECIMAL, 0, first, scale));
      default:
        return Optional.empty();
    }
  }

  private static Integer parseSmall(String digits) {
    return digits.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(digits);
  }

  /**
   * Whether a value of this type can be written into a column of type {@code sink} as it is: the
   * same kind, or a widening (a smaller integer into a larger or a decimal, any number into a
   * double, text into longer text).
   */
  public boolean fitsInto(ColumnType sink) {
    if (kind == sink.kind) {
      return switch (kind) {
        case TEXT -> sink.length == 0 || (length != 0 && length <= sink.length);
        case DECIMAL ->
            sink.precision == 0
                || (precision != 0
                    && scale <= sink.scale
                    && precision - scale <= sink.precision - sink.scale);
        default -> true;
      };
    }
    return switch (kind) {
      case SMALLINT -> sink.kind == Kind.INTEGER || sink.kind == Kind.BIGINT || numeric(sink);
      case INTEGER -> sink.kind == Kind.BIGINT || numeric(sink);
      case BIGINT, DECIMAL -> numeric(sink);
      default -> false;
    };
  }

  private static boolean numeric(ColumnType sink) {
    return sink.kind == Kind.DOUBLE || (sink.kind == Kind.DECIMAL && sink.precision == 0);
  }

  @Override
  public String toString() {
    if (kind == Kind.TEXT && length > 0) {
      return "varchar(" + length + ")";
    }
    if (kind == Kind.DECIMAL && precision > 0) {
      return "decimal(" + precision + "," + scale + ")";
    }
    return kind.label();
  }
}
