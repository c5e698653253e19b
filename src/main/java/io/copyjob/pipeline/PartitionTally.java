package io.copyjob.pipeline;

import java.io.Serializable;

/**
 * The file results of one partition summed up. The first error kept is the one of the smallest key,
 * so that reruns of the same failure report the same error.
 *
 * @param listedEmpty whether the partition's listing gave no file at all
 */
record PartitionTally(
    long copied,
    long skipped,
    long failed,
    long bytes,
    String firstErrorKey,
    String firstError,
    boolean listedEmpty)
    implements Serializable {

  static final PartitionTally EMPTY = new PartitionTally(0, 0, 0, 0, null, null, false);

  PartitionTally plus(FileResult r) {
    return switch (r.outcome()) {
      case COPIED ->
          new PartitionTally(
              copied + 1,
              skipped,
              failed,
              bytes + r.bytes(),
              firstErrorKey,
              firstError,
              listedEmpty);
      case SKIPPED ->
          new PartitionTally(
              copied, skipped + 1, failed, bytes, firstErrorKey, firstError, listedEmpty);
      case FAILED ->
          withError(
              new PartitionTally(
                  copied, skipped, failed + 1, bytes, firstErrorKey, firstError, listedEmpty),
              r.key() == null ? "" : r.key(),
              r.error());
      case LISTED_EMPTY ->
          new PartitionTally(copied, skipped, failed, bytes, firstErrorKey, firstError, true);
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
            firstError,
            listedEmpty || o.listedEmpty);
    return o.firstError == null ? sum : withError(sum, o.firstErrorKey, o.firstError);
  }

  private static PartitionTally withError(PartitionTally t, String key, String error) {
    if (t.firstError != null && t.firstErrorKey.compareTo(key) <= 0) {
      return t;
    }
    return new PartitionTally(t.copied, t.skipped, t.failed, t.bytes, key, error, t.listedEmpty);
  }
}
