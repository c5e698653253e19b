package io.copyjob.pipeline;

import java.io.Serializable;

/**
 * The file results of one partition summed up. The first error kept is the one of the smallest key,
 * so that reruns of the same failure report the same error; so is the first file left for later.
 *
 * @param listedEmpty whether the partition's listing gave no file at all
 * @param later files stamped later than their listing, left for a later run ({@link
 *     FileResult.Outcome#STAMPED_LATER})
 * @param firstLaterKey of those, the smallest key; null when none
 * @param firstLater its reason, which says its stamp
 */
record PartitionTally(
    long copied,
    long skipped,
    long failed,
    long bytes,
    String firstErrorKey,
    String firstError,
    boolean listedEmpty,
    long later,
    String firstLaterKey,
    String firstLater)
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
              later,
              firstLaterKey,
              firstLater);
      case STAMPED_LATER -> laterBy(1).withLater(r.key(), r.error());
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
            later + o.later,
            firstLaterKey,
            firstLater);
    if (o.firstError != null) {
      sum = sum.withError(o.firstErrorKey, o.firstError);
    }
    return o.firstLater == null ? sum : sum.withLater(o.firstLaterKey, o.firstLater);
  }

  /**
   * What a person is told of the files left for later, null when none: they are not lost, but not
   * at the sink after this run either.
   */
  String laterWarning() {
    if (later == 0) {
      return null;
    }
    return later == 1
        ? "1 file not copied yet, stamped later than this run's listing: " + firstLater
        : later
            + " files not copied yet, stamped later than this run's listing; the first: "
            + firstLater;
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
        later,
        firstLaterKey,
        firstLater);
  }

  private PartitionTally laterBy(long n) {
    return new PartitionTally(
        copied,
        skipped,
        failed,
        bytes,
        firstErrorKey,
        firstError,
        listedEmpty,
        later + n,
        firstLaterKey,
        firstLater);
  }

  private PartitionTally withError(String key, String error) {
    if (firstError != null && firstErrorKey.compareTo(key) <= 0) {
      return this;
    }
    return new PartitionTally(
        copied, skipped, failed, bytes, key, error, listedEmpty, later, firstLaterKey, firstLater);
  }

  private PartitionTally withLater(String key, String reason) {
    if (firstLater != null && firstLaterKey.compareTo(key) <= 0) {
      return this;
    }
    return new PartitionTally(
        copied, skipped, failed, bytes, firstErrorKey, firstError, listedEmpty, later, key, reason);
  }
}
