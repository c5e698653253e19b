package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.control.RootNames;
import io.copyjob.spec.JobSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How all of a job's partitions (whatever their status) lie over its source roots: which files each
 * partition owns when prefixes overlap, and whether two source keys may land on one sink key.
 *
 * <p>A file belongs to exactly one partition: the longest prefix of its root that covers it. With
 * partitions {@code a} and {@code ab}, {@code a} passes over the keys under {@code ab}; a {@code
 * ""} partition left over after prefixes were added copies only what no other partition covers. So
 * each file is listed, copied and counted once, by one partition.
 */
public final class PartitionLayout implements Serializable {
  /** Overlaps named in the warning before "and N more": it stays one line. */
  private static final int NAMED_OVERLAPS = 5;

  /**
   * By partition id, the longer prefixes of the same root that the partition covers, fewest that
   * cover them all (with {@code a}, {@code ab} and {@code abc}, {@code a} keeps {@code ab} only).
   */
  private final Map<String, TreeSet<String>> longer;

  private final List<String> overlaps;
  private final boolean keysMayCollide;

  private PartitionLayout(
      Map<String, TreeSet<String>> longer, List<String> overlaps, boolean keysMayCollide) {
    this.longer = longer;
    this.overlaps = overlaps;
    this.keysMayCollide = keysMayCollide;
  }

  /**
   * The layout of {@code all}, the job's partitions of every root and status.
   *
   * @throws JobException when two roots would land below one folder of the sink
   */
  public static PartitionLayout of(JobSpec spec, Collection<PartitionKey> all) {
    Map<String, TreeSet<String>> prefixesByRoot = new TreeMap<>();
    for (PartitionKey key : all) {
      prefixesByRoot.computeIfAbsent(key.root(), r -> new TreeSet<>()).add(key.prefix());
    }
    checkRootNames(spec, prefixesByRoot.keySet());
    Map<String, TreeSet<String>> longer = new HashMap<>();
    List<String> overlaps = new ArrayList<>();
    prefixesByRoot.forEach(
        (root, prefixes) -> {
          for (String prefix : prefixes) {
            // Keys starting with a prefix come right after it in sorted order.
            TreeSet<String> covered = new TreeSet<>();
            for (String other : prefixes.tailSet(prefix, false)) {
              if (!other.startsWith(prefix)) {
                break;
              }
              if (covered.isEmpty() || !other.startsWith(covered.last())) {
                covered.add(other);
                overlaps.add("'" + prefix + "' covers '" + other + "'");
              }
            }
            if (!covered.isEmpty()) {
              longer.put(new PartitionKey(root, prefix).id(), covered);
            }
          }
        });
    return new PartitionLayout(longer, overlaps, keysMayCollide(spec, prefixesByRoot));
  }

  /**
   * Whether {@code key}, listed under {@code partition}'s prefix, belongs to a longer partition of
   * the same root instead.
   */
  public boolean ownedByLonger(PartitionKey partition, String key) {
    TreeSet<String> prefixes = longer.get(partition.id());
    if (prefixes == null) {
      return false;
    }
    // The prefixes kept cover none of each other, so the one covering the key, if any, is the
    // greatest that sorts at or before it.
    String candidate = prefixes.floor(key);
    return candidate != null && key.startsWith(candidate);
  }

  /** One line naming the overlapping partitions, when any overlap. */
  public Optional<String> overlapWarning() {
    if (overlaps.isEmpty()) {
      return Optional.empty();
    }
    String named =
        String.join(", ", overlaps.subList(0, Math.min(NAMED_OVERLAPS, overlaps.size())));
    String more =
        overlaps.size() > NAMED_OVERLAPS
            ? " and " + (overlaps.size() - NAMED_OVERLAPS) + " more"
            : "";
    return Optional.of(
        "warning: partitions overlap: "
            + named
            + more
            + "; each file is copied and counted once, by the longest prefix that covers it");
  }

  /**
   * Whether two source keys may land on one sink key, so that the run must look for collisions:
   * always when flattening ({@code a/b_c.csv} and {@code a_b/c.csv} both give {@code a_b_c.csv});
   * when preserving the hierarchy, only where a partition of the main root reaches below the folder
   * of another root ({@code x/...} of the main root and the files of root {@code x}).
   */
  public boolean keysMayCollide() {
    return keysMayCollide;
  }

  private static boolean keysMayCollide(JobSpec spec, Map<String, TreeSet<String>> prefixesByRoot) {
    if (spec.copy().behavior() == JobSpec.CopyBehavior.FLATTEN_HIERARCHY) {
      return true;
    }
    String main = spec.source().root().toString();
    TreeSet<String> mainPrefixes = prefixesByRoot.getOrDefault(main, new TreeSet<>());
    for (String root : prefixesByRoot.keySet()) {
      if (root.equals(main)) {
        continue;
      }
      String folder = RootNames.name(root) + "/";
      for (String prefix : mainPrefixes) {
        if (prefix.startsWith(folder) || folder.startsWith(prefix)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Two other roots of one name would share the sink folder named after them: refused. */
  private static void checkRootNames(JobSpec spec, Collection<String> roots) {
    String main = spec.source().root().toString();
    Map<String, String> byName = new HashMap<>();
    for (String root : roots) {
      if (root.equals(main)) {
        continue;
      }
      String name = RootNames.name(root);
      String other = byName.putIfAbsent(name, root);
      if (other != null) {
        throw new JobException(
            "source roots "
                + other
                + " and "
                + root
                + " would both land below '"
                + name
                + "/' in the sink: give their partitions to one root, or copy them in two jobs");
      }
    }
  }
}
