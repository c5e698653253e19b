package io.copyjob.pipeline;

import io.copyjob.control.AdfPartitionTable;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.spec.JobSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  /**
   * Inserts the declared partitions that the control table does not have yet. An adopted (ADF)
   * table is left as it is: its rows are the partitions.
   */
  public static void register(ControlStore control, JobSpec spec) throws SQLException {
    if (spec.partitionTable() != null) {
      return;
    }
    boolean hasPartitions = !control.partitions(spec.name()).isEmpty();
    List<PartitionKey> declared = declared(spec, hasPartitions);
    if (!declared.isEmpty()) {
      control.addPartitions(spec.name(), declared);
    }
  }

  /**
   * The partitions a run would copy now, as ReadPartitions reads them, with the start of each one's
   * next window ({@link PartitionKey#id()} to time); for plan and progress, which run outside the
   * pipeline. Registers nothing: declared partitions not yet in the table are included.
   */
  public static Selection select(ControlStore control, JobSpec spec) throws SQLException {
    if (spec.partitionTable() != null) {
      AdfPartitionTable table =
          new AdfPartitionTable(spec.partitionTable(), spec.source().root().toString());
      try (Connection connection = table.connect()) {
        return new Selection(
            table.partitions(connection, spec.mode()),
            table.lastSuccessTimes(connection, spec.mode()));
      }
    }
    List<PartitionState> states = control == null ? List.of() : control.partitions(spec.name());
    Map<String, PartitionKey> toRun = new LinkedHashMap<>();
    for (PartitionState state : states) {
      if (runs(spec, state)) {
        toRun.put(state.key().id(), state.key());
      }
    }
    // A set, not a scan of the states per declared prefix: thousands of prefixes made that
    // quadratic (4 million comparisons for 2,000, before every run).
    Set<PartitionKey> known = new HashSet<>();
    states.forEach(s -> known.add(s.key()));
    for (PartitionKey declared : declared(spec, !states.isEmpty())) {
      if (!known.contains(declared)) {
        toRun.put(declared.id(), declared);
      }
    }
    Map<String, Instant> lastSuccess =
        control == null ? Map.of() : control.lastSuccessTimes(spec.name());
    return new Selection(new ArrayList<>(toRun.values()), lastSuccess);
  }

  /**
   * Every partition of the job, whatever its status, with declared ones not yet in the table: what
   * decides which partition owns a file when prefixes overlap ({@link PartitionLayout}).
   */
  public static List<PartitionKey> all(ControlStore control, JobSpec spec) throws SQLException {
    if (spec.partitionTable() != null) {
      AdfPartitionTable table =
          new AdfPartitionTable(spec.partitionTable(), spec.source().root().toString());
      try (Connection connection = table.connect()) {
        return table.allPartitions(connection);
      }
    }
    List<PartitionState> states = control == null ? List.of() : control.partitions(spec.name());
    Map<String, PartitionKey> all = new LinkedHashMap<>();
    for (PartitionState state : states) {
      all.put(state.key().id(), state.key());
    }
    for (PartitionKey declared : declared(spec, !states.isEmpty())) {
      all.putIfAbsent(declared.id(), declared);
    }
    return new ArrayList<>(all.values());
  }

  /** The partitions a run copies and where each one's window starts. */
  public record Selection(List<PartitionKey> partitions, Map<String, Instant> lastSuccess) {}

  /** Whether a run in the job's mode copies this partition (the query ReadPartitions runs). */
  public static boolean runs(JobSpec spec, PartitionState state) {
    return spec.mode() != JobSpec.Mode.FULL || state.status() != PartitionStatus.SUCCEEDED;
  }
}
