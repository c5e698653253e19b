package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** How a job's partitions are registered in, and chosen from, the control table. */
public final class Partitions {
  private Partitions() {}

  /**
   * The partitions the job file lists, below its source root; none listed means the whole root ("")
   * unless the control table already has the job's partitions.
   */
  public static List<PartitionKey> declared(JobSpec spec, boolean tableHasPartitions) {
    String root = spec.source().root().toString();
    List<String> prefixes = spec.source().partitions();
    if (prefixes.isEmpty()) {
      return tableHasPartitions ? List.of() : List.of(new PartitionKey(root, ""));
    }
    List<PartitionKey> keys = new ArrayList<>();
    for (String prefix : prefixes) {
      keys.add(new PartitionKey(root, prefix));
    }
    return keys;
  }

  /** Inserts the declared partitions that the control table does not have yet. */
  public static void register(ControlStore control, JobSpec spec) throws SQLException {
    boolean hasPartitions = !control.partitions(spec.name()).isEmpty();
    List<PartitionKey> declared = declared(spec, hasPartitions);
    if (!declared.isEmpty()) {
      control.addPartitions(spec.name(), declared);
    }
  }

  /** Whether a run in the job's mode copies this partition (the query ReadPartitions runs). */
  public static boolean runs(JobSpec spec, PartitionState state) {
    return spec.mode() == JobSpec.Mode.DELTA || state.status() != PartitionStatus.SUCCEEDED;
  }
}
