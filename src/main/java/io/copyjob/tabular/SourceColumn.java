package io.copyjob.tabular;

import io.copyjob.spec.ColumnType;
import java.io.Serializable;

/**
 * A column of a source as it describes itself before any row is read: a CSV header's name, a
 * Parquet field, a database column.
 *
 * @param name its name
 * @param type its type where the source has one (a database column's, a Parquet field's), in
 *     copyjob's terms; null when it has none (CSV, JSON) or none copyjob can name: such a column is
 *     made a text column
 */
public record SourceColumn(String name, ColumnType type) implements Serializable {
  /** A column known by its name alone. */
  public static SourceColumn untyped(String name) {
    return new SourceColumn(name, null);
  }
}
