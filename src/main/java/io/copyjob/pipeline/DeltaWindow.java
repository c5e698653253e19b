package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec;
import java.io.Serializable;
import java.time.Instant;

/**
 * The LastModified window a partition's files are taken from: {@code [start, end)}, either bound
 * absent when open. Full mode takes every file; delta mode takes [last success, run start), or
 * [initial start, run start) when the partition never succeeded.
 */
public record DeltaWindow(Instant start, Instant end) implements Serializable {

  public static DeltaWindow of(JobSpec spec, Long lastSuccessMillis, Instant runStart) {
    if (spec.mode() == JobSpec.Mode.FULL) {
      return new DeltaWindow(null, null);
    }
    Instant start =
        lastSuccessMillis != null
            ? Instant.ofEpochMilli(lastSuccessMillis)
            : spec.delta().initialStart().orElse(null);
    return new DeltaWindow(start, runStart);
  }

  public boolean contains(Instant lastModified) {
    return (start == null || !lastModified.isBefore(start))
        && (end == null || lastModified.isBefore(end));
  }
}
