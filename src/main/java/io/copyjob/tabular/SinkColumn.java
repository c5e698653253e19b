package io.copyjob.tabular;

import io.copyjob.spec.ColumnType;
import java.io.Serializable;

/**
 * A column of a sink table, as the database's metadata describes it.
 *
 * @param name the name as the database stores it (written quoted, so exactly this column)
 * @param type what copyjob converts values into; null when it cannot write this column's type
 * @param typeName the database's name of the type, for messages
 * @param jdbcType the {@link java.sql.Types} code, for writing NULL
 * @param nullable whether it takes NULL
 * @param hasDefault whether the database fills it when a row leaves it out (a default, an identity
 *     or a serial)
 * @param generated whether the database computes it (it cannot be written)
 * @param identity whether it is an identity or serial column
 */
public record SinkColumn(
    String name,
    ColumnType type,
    String typeName,
    int jdbcType,
    boolean nullable,
    boolean hasDefault,
    boolean generated,
    boolean identity)
    implements Serializable {

  /** Its type as a person reads it: copyjob's name when it has one, else the database's. */
  public String describeType() {
    return type != null ? type.toString() : typeName;
  }
}
