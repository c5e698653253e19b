package io.copyjob.control;

import java.io.Serializable;

/**
 * What an incremental run did to a table's watermark: the value it read above and the one it
 * stores, both as the source database writes the column's values (full precision, as text).
 *
 * @param column the watermark column
 * @param before the watermark the run started from; null for a full load (the first run)
 * @param after the high-water mark read before the copy, stored when the table's write succeeded;
 *     null when the column has no value in any row (nothing is stored then)
 * @param nullRows rows whose watermark column is NULL when the run planned the table: a full load
 *     copies them, an incremental one cannot see them
 */
public record WatermarkChange(String column, String before, String after, long nullRows)
    implements Serializable {

  /** The same change for a table whose write failed: the watermark stays where it was. */
  public WatermarkChange unchanged() {
    return new WatermarkChange(column, before, before, nullRows);
  }

  /** Whether the watermark moves (only then is it stored). */
  public boolean moves() {
    return after != null && !after.equals(before);
  }
}
