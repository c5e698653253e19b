package io.copyjob.tabular;

/**
 * One row as a source gives it: its values (text for CSV; Java objects for sources that have types)
 * and where it is, for messages and the dead letter.
 *
 * @param line the row's line in its file (the first line of a quoted field spanning several), 1 for
 *     the file's first line
 * @param values the row's fields in the source's order; a null is a NULL (a CSV field equal to the
 *     null value)
 */
public record SourceRow(long line, Object[] values) {
  /** How many fields the row has. */
  public int size() {
    return values.length;
  }
}
