package io.copyjob.tabular;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.TableSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The columns of a sink table made from the job (a created database table, a file sink's files):
 * the explicit mapping's sink columns, each typed by its {@code type}, else by the type of the
 * source column it maps (a constant column: bigint for run ids, timestamptz for the run's start,
 * text otherwise); without a mapping, the source's columns with their own types. A null type is one
 * nothing gives (a CSV or JSON source): the sink makes it text.
 */
public final class CreatedColumns {
  private CreatedColumns() {}

  public static List<SourceColumn> of(TableSpec table, List<SourceColumn> source) {
    if (table.columns().isEmpty()) {
      return List.copyOf(source);
    }
    List<SourceColumn> columns = new ArrayList<>();
    for (ColumnMapping m : table.columns()) {
      ColumnType type =
          m.type() != null
              ? m.type()
              : m.constant() != null ? m.constant().type() : sourceType(m, source);
      columns.add(new SourceColumn(m.sink(), type));
    }
    return columns;
  }

  /**
   * The type of the source column {@code m} maps (by name: exactly, else the one equal ignoring
   * case), or null when the source has none for it.
   */
  private static ColumnType sourceType(ColumnMapping m, List<SourceColumn> source) {
    if (m.sourceName() == null) {
      int index = m.sourceOrdinal() - 1;
      return index < source.size() ? source.get(index).type() : null;
    }
    for (SourceColumn c : source) {
      if (c.name().equals(m.sourceName())) {
        return c.type();
      }
    }
    List<SourceColumn> folded =
        source.stream().filter(c -> c.name().equalsIgnoreCase(m.sourceName())).toList();
    return folded.size() == 1 ? folded.get(0).type() : null;
  }
}
