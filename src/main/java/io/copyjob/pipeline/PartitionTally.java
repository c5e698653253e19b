package io.copyjob.pipeline;

import java.io.Serializable;

/**
 * The file results of one partition summed up. The first error kept is the one of the smallest key,
 * so that reruns of the same failure report the same error; so is the first entry left.
 *
 * @param listedEmpty whether the partition's listing gave no file at all
 * @param left entries listed but not copied, each said: files stamped later than their listing,
 *     left for a later run ({@link FileResult.Outcome#STAMPED_LATER}), and entries that are not
 *     files ({@link FileResult.Outcome#NOT_A_FILE})
 * @param firstLeftKey of those, the smallest key; null when none
 * @param firstLeft its reason
 */
record PartitionTally(
    long copied,
    long skipped,
    long failed,
    long bytes,
    String firstErrorKey,
    String firstError,
    boolean listedEmpty,
    long left,
    String firstLeftKey,
    String firstLeft)
    implements Serializable {

  static final PartitionTally EMPTY =
      new PartitionTally(0, 0, 0, 0, null, null, false, 0, null, null);

  PartitionTally plus(FileResult r) {
    return switch (r.outcome()) {
      case COPIED -> counts(copied + 1, skipped, failed, bytes + r.bytes());
      case SKIPPED -> counts(copied, skipped + 1, failed, bytes);
      case FAILED ->
          counts(copied, skipped, failed + 1, bytes)
              .withError(r.key() == null ? "" : r.key(), r.error());
      case LISTED_EMPTY ->
          new PartitionTally(
              copied,
              skipped,
              failed,
              bytes,
              firstErrorKey,
              firstError,
              true,
              left,
              firstLeftKey,
              firstLeft);
      case STAMPED_LATER, NOT_A_FILE -> leftBy(1).withLeft(r.key(), r.error());
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
            listedEmpty || o.listedEmpty,
            left + o.left,
            firstLeftKey,
            firstLeft);
    if (o.firstError != null) {
      sum = sum.withError(o.firstErrorKey, o.firstError);
    }
    return o.firstLeft == null ? sum : sum.withLeft(o.firstLeftKey, o.firstLeft);
  }

  /**
   * What a person is told of the entries left out, null when none: not lost, but not at the sink
   * after this run either.
   */
  String leftWarning() {
    if (left == 0) {
      return null;
    }
    return left == 1
        ? "1 entry not copied: " + firstLeft
        : left + " entries not copied; the first: " + firstLeft;
  }

  private PartitionTally counts(long copied, long skipped, long failed, long bytes) {
    return new PartitionTally(
        copied,
        skipped,
        failed,
        bytes,
        firstErrorKey,
        firstError,
        listedEmpty,
        left,
        firstLeftKey,
        firstLeft);
  }

  private PartitionTally leftBy(long n) {
    return new PartitionTally(
        copied,
        skipped,
        failed,
        bytes,
        firstErrorKey,
        firstError,
        listedEmpty,
        left + n,
        firstLeftKey,
        firstLeft);
  }

  private PartitionTally withError(String key, String error) {
    if (firstError != null && firstErrorKey.compareTo(key) <= 0) {
      return this;
    }
    return new PartitionTally(
        copied, skipped, failed, bytes, key, error, listedEmpty, left, firstLeftKey, firstLeft);
  }

  private PartitionTally withLeft(String key, String reason) {
    if (firstLeft != null && firstLeftKey.compareTo(key) <= 0) {
      return this;
    }
    return new PartitionTally(
        copied, skipped, failed, bytes, firstErrorKey, firstError, listedEmpty, left, key, reason);
  }
}
