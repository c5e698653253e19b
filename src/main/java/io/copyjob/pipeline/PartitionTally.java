package io.copyjob.pipeline;

import java.io.Serializable;

/**
 * The file results of one partition summed up. The first error kept is the one of the smallest key,
 * so that reruns of the same failure report the same error.
 */
record PartitionTally(
    long copied, long skipped, long failed, long bytes, String firstErrorKey, String firstError)
    implements Serializable {

  static final PartitionTally EMPTY = new PartitionTally(0, 0, 0, 0, null, null);

  PartitionTally plus(FileResult r) {
    return switch (r.outcome()) {
      case COPIED ->
          new PartitionTally(
              copied + 1, skipped, failed, bytes + r.bytes(), firstErrorKey, firstError);
      case SKIPPED ->
          new PartitionTally(copied, skipped + 1, failed, bytes, firstErrorKey, firstError);
      case FAILED ->
          withError(
              new PartitionTally(copied, skipped, failed + 1, bytes, firstErrorKey, firstError),
              r.key() == null ? "" : r.key(),
              r.error());
    };
  }

  PartitionTally plus(PartitionTally o) {
    PartitionTally sum =
        new PartitionTally(
            copied + o.copied,
            skipped + o.skipped,
            failed + o.failed,
            bytes + o.bytes,
            firstErrorKey,
            firstError);
    return o.firstError == null ? sum : withError(sum, o.firstErrorKey, o.firstError);
  }

  private static PartitionTally withError(PartitionTally t, String key, String error) {
    if (t.firstError != null && t.firstErrorKey.compareTo(key) <= 0) {
      return t;
    }
    return new PartitionTally(t.copied, t.skipped, t.failed, t.bytes, key, error);
  }
}
