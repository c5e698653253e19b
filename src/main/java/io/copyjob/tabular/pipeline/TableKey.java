package io.copyjob.tabular.pipeline;

import io.copyjob.control.PartitionKey;
import java.io.Serializable;

/**
 * A table a run loads: its partition in the control table (the source's root, the table's name as
 * prefix) and the first run of the load it belongs to.
 *
 * @param loadFrom pieces in the sink's ledger from this run on are not loaded again: the run's own
 *     id, or for {@code run --only-failed} the run after the table's last success
 */
public record TableKey(String root, String name, long loadFrom) implements Serializable {
  public PartitionKey partition() {
    return new PartitionKey(root, name);
  }

  /** The partition's id: what results are grouped by. */
  public String id() {
    return partition().id();
  }
}
