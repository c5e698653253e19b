package io.copyjob.tabular;

/**
 * One row as a source gives it: its values (text for CSV; Java objects for sources that have types)
 * and where it is, for messages and the dead letter.
 *
 * @param line the row's line in its file (the first line of a quoted field spanning several, the
 *     line a JSON object begins on), 1 for the file's first line; 0 where a file has no lines
 *     (Parquet)
 * @param element the row's 1-based place among the file's rows where that says more than its line
 *     (an element of a JSON array, a row of a Parquet file); 0 where the line says it all
 * @param values the row's fields in the source's order; a null is a NULL (a CSV field equal to the
 *     null value)
 */
public record SourceRow(long line, long element, Object[] values) {
  /** A row found by its line alone. */
  public SourceRow(long line, Object[] values) {
    this(line, 0, values);
  }

  /** How many fields the row has. */
  public int size() {
    return values.length;
  }

  /** Where the row is, as a message says it: "line 7", "element 3 (line 1)" or "row 12". */
  public String position() {
    if (element == 0) {
      return "line " + line;
    }
    return line == 0 ? "row " + element : "element " + element + " (line " + line + ")";
  }
}
