package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.spec.JobSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A dry run: which partitions a run would copy and how many files and bytes, from the same listings
 * and windows as the pipeline, streamed so that memory stays flat however many files a partition
 * has. Writes nothing anywhere.
 */
public final class Planner {
  private final JobSpec spec;

  public Planner(JobSpec spec) {
    this.spec = spec;
  }

  /** One partition's share of the plan; {@code error} is set when its listing failed. */
  public record PartitionPlan(
      PartitionKey key, DeltaWindow window, long files, long bytes, String error) {}

  /**
   * Plans a run that would start at {@code runStart}.
   *
   * @param selection the partitions the run would copy and their last success times
   * @param eachFile called for every file the run would copy
   */
  public List<PartitionPlan> plan(
      Partitions.Selection selection,
      Instant runStart,
      BiConsumer<PartitionKey, FileInfo> eachFile) {
    List<PartitionPlan> plans = new ArrayList<>();
    Map<String, SourceTime> times = new HashMap<>();
    try (StoreCache stores = new StoreCache(spec)) {
      for (PartitionKey key : selection.partitions()) {
        Instant last = selection.lastSuccess().get(key.id());
        SourceTime time = times.get(key.root());
        if (time == null) {
          time = sourceTime(stores, key.root(), runStart);
          times.put(key.root(), time);
        }
        DeltaWindow window = DeltaWindow.of(spec, last == null ? null : last.toEpochMilli(), time);
        plans.add(planPartition(stores, key, window, eachFile));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return plans;
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
      StoreCache stores,
      PartitionKey key,
      DeltaWindow window,
      BiConsumer<PartitionKey, FileInfo> eachFile) {
    long files = 0;
    long bytes = 0;
    try (Listing listing = stores.get(key.root()).list(key.prefix(), spec.copy().recursive())) {
      while (listing.hasNext()) {
        FileInfo file = listing.next();
        if (window.contains(file.lastModified())) {
          files++;
          bytes += file.size();
          eachFile.accept(key, file);
        }
      }
      return new PartitionPlan(key, window, files, bytes, null);
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      return new PartitionPlan(key, window, files, bytes, e.getMessage());
    }
  }
}
