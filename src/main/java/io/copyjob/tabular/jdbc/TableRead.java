package io.copyjob.tabular.jdbc;

import io.copyjob.control.WatermarkChange;
import io.copyjob.spec.ColumnType;
import io.copyjob.tabular.SourceColumn;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One piece of a database table, planned before the copy: the query reading it, with its parameters
 * (range bounds as Java values, watermarks as text the query casts to the column's own type).
 *
 * @param where the table as a person finds it ({@code source table sales.orders})
 * @param label which part of the table ({@code piece 2/4: id >= 250 and < 500}), or "" for all of
 *     it
 * @param sql the SELECT, with {@code ?} for each parameter
 * @param params the parameters, in order (Long, BigDecimal, LocalDate, LocalDateTime,
 *     OffsetDateTime or String)
 * @param columnNames the names the rows' columns go by in the mapping, in the SELECT's order
 * @param watermark the table's watermark change (incremental mode), or null
 * @param columnTypes the columns' types from the database's metadata, in the same order; an entry
 *     is null where copyjob has no name for the type
 */
public record TableRead(
    String where,
    String label,
    String sql,
    List<Object> params,
    List<String> columnNames,
    WatermarkChange watermark,
    List<ColumnType> columnTypes)
    implements Serializable {

  public TableRead {
    params = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(params));
    columnNames = List.copyOf(columnNames);
    columnTypes = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(columnTypes));
    if (columnTypes.size() != columnNames.size()) {
      throw new IllegalArgumentException("a type per column");
    }
  }

  /** The columns read, each with its type: what a sink table created from this source gets. */
  public List<SourceColumn> columns() {
    List<SourceColumn> columns = new java.util.ArrayList<>();
    for (int i = 0; i < columnNames.size(); i++) {
      columns.add(new SourceColumn(columnNames.get(i), columnTypes.get(i)));
    }
    return columns;
  }

  /** The piece as messages name it. */
  public String describe() {
    return label.isEmpty() ? where : where + " (" + label + ")";
  }

  /** What identifies the piece in the sink's ledger: its query, parameters and watermark. */
  public String hash() {
    String id =
        where
            + '\u0001'
            + sql
            + '\u0001'
            + params
            + '\u0001'
            + (watermark == null ? "" : watermark.before() + "\u0001" + watermark.after());
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(id.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
