package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A dry run: which partitions a run would copy and how many files and bytes, from the same
 * listings, windows, partition ownership and sink key checks as the pipeline, streamed so that
 * memory stays flat however many files a partition has. Writes nothing anywhere.
 */
public final class Planner {
  private final JobSpec spec;
  private final PartitionLayout layout;

  public Planner(JobSpec spec, PartitionLayout layout) {
    this.spec = spec;
    this.layout = layout;
  }

  /**
   * One partition's share of the plan; {@code error} is set when its listing failed.
   *
   * @param files the files a run would list, {@code unwritable} of them failing because the sink
   *     cannot hold their name
   * @param markers the folder markers (zero-byte keys ending in '/') the listing passed over
   */
  public record PartitionPlan(
      PartitionKey key,
      DeltaWindow window,
      long files,
      long bytes,
      String error,
      long unwritable,
      long markers) {}

  /** Told of every file a run would list. */
  public interface EachFile {
    /**
     * @param problem why the file would fail (its sink key is one the sink cannot hold), else null
     */
    void accept(PartitionKey partition, FileInfo file, String problem);
  }

  /**
   * Plans a run that would start at {@code runStart}.
   *
   * @param selection the partitions the run would copy and their last success times
   * @param eachFile called for every file the run would list
   */
  public List<PartitionPlan> plan(
      Partitions.Selection selection, Instant runStart, EachFile eachFile) {
    List<PartitionPlan> plans = new ArrayList<>();
    Map<String, SourceTime> times = new HashMap<>();
    Map<String, String> unreachable = new HashMap<>();
    try (StoreCache stores = new StoreCache(spec)) {
      for (PartitionKey key : selection.partitions()) {
        Instant last = selection.lastSuccess().get(key.id());
        SourceTime time = times.get(key.root());
        if (time == null) {
          // Each root is checked once as a run checks it, quickly: a store that does not answer
          // fails its partitions with the run's one line, not after each listing's tries.
          String problem = rootProblem(stores, key.root());
          if (problem != null) {
            unreachable.put(key.root(), problem);
            time = new SourceTime(runStart, io.copyjob.store.Store.DEFAULT_TIME_RESOLUTION);
          } else {
            time = sourceTime(stores, key.root(), runStart);
          }
          times.put(key.root(), time);
        }
        DeltaWindow window = DeltaWindow.of(spec, last == null ? null : last.toEpochMilli(), time);
        String problem = unreachable.get(key.root());
        plans.add(
            problem != null
                ? new PartitionPlan(key, window, 0, 0, problem, 0, 0)
                : planPartition(stores, key, window, eachFile));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return plans;
  }

  /** Why a run could not read {@code root} (see {@link StoreCache#preflight}), or null. */
  private static String rootProblem(StoreCache stores, String root) {
    try {
      stores.get(root).prepare(false);
      return null;
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      return e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
    }
  }

  /** The root's clock as a run would read it; the run's start when the store cannot be asked. */
  private static SourceTime sourceTime(StoreCache stores, String root, Instant runStart) {
    try {
      return stores.sourceTimes(List.of(root), runStart).get(root);
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      // Its listing fails too, and says why.
      return new SourceTime(runStart, io.copyjob.store.Store.DEFAULT_TIME_RESOLUTION);
    }
  }

  private PartitionPlan planPartition(
      StoreCache stores, PartitionKey key, DeltaWindow window, EachFile eachFile) {
    long files = 0;
    long bytes = 0;
    long unwritable = 0;
    long markers = 0;
    Store sink = stores.get(spec.sink().root().toString());
    try (Listing listing = stores.get(key.root()).list(key.prefix(), spec.copy().recursive())) {
      while (listing.hasNext()) {
        FileInfo file = listing.next();
        if (!window.contains(file.lastModified()) || layout.ownedByLonger(key, file.key())) {
          continue;
        }
        files++;
        bytes += file.size();
        String sinkKey = KeyMapping.sinkKey(spec, key, file.key());
        String problem = sink.keyProblem(sinkKey).orElse(null);
        if (problem != null) {
          unwritable++;
          problem = FileResult.unwritableReason(file.key(), sinkKey, problem);
        }
        eachFile.accept(key, file, problem);
      }
      markers = listing.markersSkipped();
      return new PartitionPlan(key, window, files, bytes, null, unwritable, markers);
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      return new PartitionPlan(key, window, files, bytes, e.getMessage(), unwritable, markers);
    }
  }
}
