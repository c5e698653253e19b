package io.copyjob.tabular;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.TabularSpec;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.Constant;
import io.copyjob.spec.TabularSpec.TableSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The mapping rule of a table, as Azure Data Factory has it: an explicit mapping ({@code columns:})
 * wins, each entry naming a source column (by name, matched to the header exactly or, with {@code
 * ignoreCase}, ignoring case; or by 1-based position) and a sink column; without one, columns are
 * mapped by name when the files have a header (each header name takes the column SQL would take for
 * it unquoted), else by position onto the sink's columns (less generated and identity columns).
 * Source columns not mapped are not copied; a sink column nothing maps is left to its default.
 *
 * <p>Built once per table against the sink table's metadata ({@link #of}), which checks all that it
 * can before any row is written: the sink columns the mapping names exist and can be written, the
 * declared types fit them, every NOT NULL column without a default is mapped. Then bound to each
 * file's columns ({@link #bind}: its header, for mappings by name), and applied to each row.
 */
public final class RowMapper implements Serializable {
  private final TableSpec table;
  private final SinkTable sink;

  private RowMapper(TableSpec table, SinkTable sink) {
    this.table = table;
    this.sink = sink;
  }

  /** The table's mapping, checked against its sink table. */
  public static RowMapper of(TableSpec table, SinkTable sink) throws MappingException {
    RowMapper mapper = new RowMapper(table, sink);
    for (String key : table.keys()) {
      if (sink.column(key).isEmpty()) {
        throw new MappingException(
            "keys: no column '"
                + key
                + "' in "
                + sink.name()
                + " (its columns: "
                + sink.columnNames()
                + ")");
      }
    }
    if (!table.columns().isEmpty()) {
      mapper.keysWritten(mapper.explicitTargets().stream().map(Target::column).toList());
    }
    return mapper;
  }

  /** An upsert matches rows on its keys: each must be among the columns written. */
  private void keysWritten(List<SinkColumn> written) throws MappingException {
    if (table.write() != TabularSpec.WriteMode.UPSERT) {
      return;
    }
    for (String key : table.keys()) {
      SinkColumn column = sink.column(key).orElseThrow();
      if (!written.contains(column)) {
        throw new MappingException(
            "keys: column '"
                + key
                + "' is not written by the mapping; upsert matches rows on it, so map it");
      }
    }
  }

  public SinkTable sink() {
    return sink;
  }

  /** One mapped column: where its value comes from, where it goes, and how it is converted. */
  private record Target(
      int sourceIndex,
      String label,
      SinkColumn column,
      ValueConverter converter,
      Constant constant,
      Object value)
      implements Serializable {
    Target(int sourceIndex, String label, SinkColumn column, ValueConverter converter) {
      this(sourceIndex, label, column, converter, null, null);
    }
  }

  /** The explicit mapping's targets; source indexes of named columns are -1 until bound. */
  private List<Target> explicitTargets() throws MappingException {
    List<Target> targets = new ArrayList<>();
    Set<String> mapped = new HashSet<>();
    for (int i = 0; i < table.columns().size(); i++) {
      ColumnMapping m = table.columns().get(i);
      String field = "columns[" + i + "]";
      SinkColumn column =
          sink.column(m.sink())
              .orElseThrow(
                  () ->
                      new MappingException(
                          field
                              + ": no column '"
                              + m.sink()
                              + "' in "
                              + sink.name()
                              + " (its columns: "
                              + sink.columnNames()
                              + ")"));
      if (!mapped.add(column.name())) {
        throw new MappingException(field + ": sink column '" + column.name() + "' is mapped twice");
      }
      writable(column, field + ": ");
      ColumnType type = column.type();
      if (m.type() != null) {
        if (!m.type().fitsInto(column.type())) {
          throw new MappingException(
              field
                  + ": type "
                  + m.type()
                  + " does not fit sink column '"
                  + column.name()
                  + "' ("
                  + column.describeType()
                  + ")");
        }
        type = m.type();
      }
      if (m.format() != null && !type.kind().temporal()) {
        throw new MappingException(
            field + ": format is only for date and timestamp values, not " + type);
      }
      String label =
          m.constant() != null
              ? m.constant().toString()
              : m.sourceName() != null ? "'" + m.sourceName() + "'" : "#" + m.sourceOrdinal();
      targets.add(
          new Target(
              m.sourceName() != null || m.constant() != null ? -1 : m.sourceOrdinal() - 1,
              label,
              column,
              new ValueConverter(type, m.format(), table.timeZone()),
              m.constant(),
              null));
    }
    requireNotNulls(mapped);
    return targets;
  }

  private void writable(SinkColumn column, String field) throws MappingException {
    if (column.generated()) {
      throw new MappingException(
          field
              + "sink column '"
              + column.name()
              + "' is computed by the database; it cannot be written");
    }
    if (column.type() == null) {
      throw new MappingException(
          field
              + "sink column '"
              + column.name()
              + "' is of type "
              + column.typeName()
              + ", which copyjob cannot write yet");
    }
  }

  /** Every NOT NULL column without a default must be among {@code mapped}. */
  private void requireNotNulls(Set<String> mapped) throws MappingException {
    for (SinkColumn column : sink.columns()) {
      if (!column.nullable()
          && !column.hasDefault()
          && !column.generated()
          && !mapped.contains(column.name())) {
        throw new MappingException(
            "sink column '"
                + column.name()
                + "' of "
                + sink.name()
                + " is NOT NULL without a default, and nothing maps to it");
      }
    }
  }

  /**
   * The mapping for one file, whose columns are {@code sourceNames} (its header) or unnamed.
   *
   * @throws MappingException when a named source column is not in the header, or the header and the
   *     sink table have no column in common, or leave a NOT NULL column without a default out
   */
  public Bound bind(Optional<List<String>> sourceNames, RowConstants constants)
      throws MappingException {
    Bound bound = bindColumns(sourceNames, constants);
    keysWritten(bound.columns());
    return bound;
  }

  private Bound bindColumns(Optional<List<String>> sourceNames, RowConstants constants)
      throws MappingException {
    if (!table.columns().isEmpty()) {
      List<Target> bound = new ArrayList<>();
      for (Target t : explicitTargets()) {
        if (t.constant() != null) {
          bound.add(constant(t, constants));
          continue;
        }
        if (t.sourceIndex() >= 0) {
          bound.add(t);
          continue;
        }
        if (sourceNames.isEmpty()) {
          throw new MappingException(
              "source column " + t.label() + " is named, but the files have no header");
        }
        String name = t.label().substring(1, t.label().length() - 1);
        int index = indexOf(sourceNames.get(), name);
        if (index < 0) {
          throw new MappingException(
              "source column "
                  + t.label()
                  + " is not in the header ("
                  + String.join(", ", sourceNames.get())
                  + ")");
        }
        bound.add(new Target(index, t.label(), t.column(), t.converter()));
      }
      return new Bound(bound, sourceNames.map(List::size).orElse(-1), "the header");
    }
    if (sourceNames.isPresent()) {
      return byName(sourceNames.get());
    }
    List<Target> targets = new ArrayList<>();
    for (SinkColumn column : sink.columns()) {
      if (column.generated() || column.identity()) {
        continue;
      }
      writable(column, "");
      targets.add(
          new Target(
              targets.size(),
              "#" + (targets.size() + 1),
              column,
              new ValueConverter(column.type(), null, table.timeZone())));
    }
    return new Bound(targets, targets.size(), sink.name());
  }

  /**
   * Each header name takes the sink column of that name, found as SQL finds an unquoted one
   * (exactly, else the one column equal ignoring case: H2 keeps unquoted names upper case,
   * PostgreSQL lower case); header names with no column are not copied.
   */
  private Bound byName(List<String> header) throws MappingException {
    List<Target> targets = new ArrayList<>();
    Set<String> mapped = new HashSet<>();
    for (int index = 0; index < header.size(); index++) {
      Optional<SinkColumn> found = sink.column(header.get(index));
      if (found.isEmpty() || found.get().generated()) {
        continue;
      }
      SinkColumn column = found.get();
      if (!mapped.add(column.name())) {
        throw new MappingException(
            "the header names column '"
                + column.name()
                + "' twice ("
                + String.join(", ", header)
                + ")");
      }
      writable(column, "");
      targets.add(
          new Target(
              index,
              "'" + header.get(index) + "'",
              column,
              new ValueConverter(column.type(), null, table.timeZone())));
    }
    if (targets.isEmpty()) {
      throw new MappingException(
          "no column of the header ("
              + String.join(", ", header)
              + ") is a column of "
              + sink.name()
              + " ("
              + sink.columnNames()
              + "); map them under columns:");
    }
    requireNotNulls(mapped);
    return new Bound(targets, header.size(), "the header");
  }

  /**
   * A constant column with its value for this piece, converted once: a value that does not fit its
   * column fails the piece before any row is written.
   */
  private static Target constant(Target t, RowConstants constants) throws MappingException {
    Object value;
    try {
      value = t.converter().convert(constants.value(t.constant()));
    } catch (Incompatible e) {
      throw new MappingException(
          t.label()
              + " for sink column '"
              + t.column().name()
              + "' ("
              + t.column().describeType()
              + "): '"
              + constants.value(t.constant())
              + "' "
              + e.getMessage());
    }
    return new Target(-1, t.label(), t.column(), t.converter(), t.constant(), value);
  }

  private int indexOf(List<String> names, String name) {
    for (int i = 0; i < names.size(); i++) {
      if (table.ignoreCase() ? names.get(i).equalsIgnoreCase(name) : names.get(i).equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The mapping bound to one file's columns: maps each of its rows. */
  public static final class Bound {
    private final List<Target> targets;
    private final int fields;
    private final String fieldsOf;

    /**
     * @param fields how many fields every row must have; -1: any number that holds the mapped ones
     * @param fieldsOf what decides that number, for messages
     */
    private Bound(List<Target> targets, int fields, String fieldsOf) {
      this.targets = List.copyOf(targets);
      this.fields = fields;
      this.fieldsOf = fieldsOf;
    }

    /** The sink columns written, in the order of {@link #map}'s values. */
    public List<SinkColumn> columns() {
      return targets.stream().map(Target::column).toList();
    }

    /** The row's values for {@link #columns()}, converted. */
    public Object[] map(SourceRow row) throws RowRejected {
      if (fields >= 0 && row.size() != fields) {
        throw new RowRejected(
            null, null, "has " + row.size() + " fields, " + fieldsOf + " has " + fields);
      }
      Object[] values = new Object[targets.size()];
      for (int i = 0; i < values.length; i++) {
        Target t = targets.get(i);
        if (t.constant() != null) {
          values[i] = t.value();
          continue;
        }
        if (t.sourceIndex() >= row.size()) {
          throw new RowRejected(
              null, null, "has " + row.size() + " fields; column " + t.label() + " is mapped");
        }
        Object raw = row.values()[t.sourceIndex()];
        if (raw == null) {
          if (!t.column().nullable()) {
            throw new RowRejected(
                label(t), null, "cannot go into NOT NULL sink column '" + t.column().name() + "'");
          }
          continue;
        }
        try {
          values[i] = t.converter().convert(raw);
        } catch (Incompatible e) {
          throw new RowRejected(label(t), raw, e.getMessage());
        }
      }
      return values;
    }

    private static String label(Target t) {
      String source = t.label();
      return source.equalsIgnoreCase("'" + t.column().name() + "'")
          ? source
          : source + " (sink '" + t.column().name() + "')";
    }
  }
}
