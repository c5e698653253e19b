package io.copyjob.tabular;

/**
 * A row that cannot be written: a value that does not convert into its column, a row with the wrong
 * number of fields, or a row the database refused. Thrown per row, so it carries no stack trace.
 *
 * @see #describe for the one line a failed table reports
 */
public final class RowRejected extends Exception {
  /** How much of a value a message shows. */
  static final int VALUE_SHOWN = 40;

  private final String column;
  private final Object value;
  private final String reason;

  /**
   * @param column the column as a person reads it ({@code 'amount'}, {@code #3}), or null when the
   *     row as a whole is rejected
   * @param value the value as read, or null
   * @param reason why, a phrase following the value ("is not a decimal number")
   */
  public RowRejected(String column, Object value, String reason) {
    super(reason, null, false, false);
    this.column = column;
    this.value = value;
    this.reason = reason;
  }

  public String column() {
    return column;
  }

  public Object value() {
    return value;
  }

  public String reason() {
    return reason;
  }

  /** "line 7, column 'amount': '12x' is not a decimal number": no more than one line. */
  public String describe(long line) {
    return describe("line " + line);
  }

  /** As {@link #describe(long)}, at the row's position ("element 3 (line 1)", "row 12"). */
  public String describe(SourceRow row) {
    return describe(row.position());
  }

  /** As {@link #describe(long)}, for a row at {@code position} ("line 7", "row 12"). */
  public String describe(String position) {
    StringBuilder s = new StringBuilder(position);
    if (column != null) {
      s.append(", column ").append(column);
    }
    s.append(": ");
    if (value != null) {
      s.append(shown(value)).append(' ');
    } else if (column != null) {
      s.append("NULL ");
    }
    s.append(reason);
    return s.toString().replaceAll("\\s*\\R\\s*", " ");
  }

  /** A value in quotes, cut short, with line breaks shown as \n. */
  static String shown(Object value) {
    String text =
        value instanceof byte[] bytes
            ? "(" + bytes.length + " bytes)"
            : String.valueOf(value).replace("\r", "\\r").replace("\n", "\\n");
    if (text.codePointCount(0, text.length()) > VALUE_SHOWN) {
      text = text.substring(0, text.offsetByCodePoints(0, VALUE_SHOWN)) + "...";
    }
    return "'" + text + "'";
  }
}
