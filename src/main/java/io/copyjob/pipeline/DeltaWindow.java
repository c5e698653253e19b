package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;

/**
 * The LastModified window a partition's files are taken from: {@code [start, end)}, either bound
 * absent when open. Full mode takes every file. Delta mode takes {@code [previous end - overlap,
 * end)}, the start rounded down to the source's time resolution, or {@code [initial start, end)}
 * when the partition never succeeded; the end is the source store's time at the run's start (see
 * {@link SourceTime}).
 */
public record DeltaWindow(Instant start, Instant end) implements Serializable {

  /**
   * @param lastSuccessMillis where the partition's previous successful window ended, null when none
   */
  public static DeltaWindow of(JobSpec spec, Long lastSuccessMillis, SourceTime source) {
    if (spec.mode() == JobSpec.Mode.FULL) {
      return new DeltaWindow(null, null);
    }
    // The overlap is for files that became visible after an earlier listing: there was none before
    // the first window, whose start is taken as the job file says (rounded like the others).
    Instant start =
        lastSuccessMillis != null
            ? Instant.ofEpochMilli(lastSuccessMillis).minus(spec.delta().overlap())
            : spec.delta().initialStart().orElse(null);
    return new DeltaWindow(
        start == null ? null : roundDown(start, source.resolution()), source.windowEnd());
  }

  /** {@code time} rounded down to a multiple of {@code resolution} since the epoch. */
  static Instant roundDown(Instant time, Duration resolution) {
    long step = Math.max(1, resolution.toMillis());
    return Instant.ofEpochMilli(Math.floorDiv(time.toEpochMilli(), step) * step);
  }

  public boolean contains(Instant lastModified) {
    return (start == null || !lastModified.isBefore(start))
        && (end == null || lastModified.isBefore(end));
  }
}
