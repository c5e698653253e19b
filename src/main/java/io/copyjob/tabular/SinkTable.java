package io.copyjob.tabular;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/**
 * A sink table as found in the database before any row is written.
 *
 * @param name the table as a person reads it ({@code public.orders})
 * @param sql the table's name quoted for SQL, exactly as the database stores it
 * @param quote the database's identifier quote ({@code [} stands for SQL Server's brackets)
 * @param columns its columns in their order
 */
public record SinkTable(String name, String sql, String quote, List<SinkColumn> columns)
    implements Serializable {
  public SinkTable {
    columns = List.copyOf(columns);
  }

  /**
   * The column a job file names: exactly, else the one column equal ignoring case (as SQL resolves
   * an unquoted name); empty when none or several.
   */
  public Optional<SinkColumn> column(String name) {
    for (SinkColumn c : columns) {
      if (c.name().equals(name)) {
        return Optional.of(c);
      }
    }
    List<SinkColumn> folded =
        columns.stream().filter(c -> c.name().equalsIgnoreCase(name)).toList();
    return folded.size() == 1 ? Optional.of(folded.get(0)) : Optional.empty();
  }

  /** A column's name quoted for SQL. */
  public String quoted(SinkColumn column) {
    return quoted(quote, column.name());
  }

  /**
   * {@code name} in {@code quote}s ({@code [} and {@code ]}), a closing quote inside it doubled.
   */
  public static String quoted(String quote, String name) {
    String close = quote.equals("[") ? "]" : quote;
    return quote + name.replace(close, close + close) + close;
  }

  /** The same table's columns under another name: a staging table of the same shape. */
  public SinkTable writingInto(String otherSql) {
    return new SinkTable(name, otherSql, quote, columns);
  }

  /** The names of the columns, for messages. */
  public String columnNames() {
    return String.join(", ", columns.stream().map(SinkColumn::name).toList());
  }
}
