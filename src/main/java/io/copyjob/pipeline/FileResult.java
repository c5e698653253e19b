package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import java.io.Serializable;

/**
 * What happened to one file, or to a partition's listing (then {@code key} is null). Failures are
 * data: they are counted against their partition, never dropped.
 *
 * @param bytes the bytes written to the sink (0 when skipped or failed)
 * @param error why it failed, null otherwise
 * @param sinkKey the file's key at the sink, for the run's manifest; null when not known
 * @param size the file's size as listed, for the manifest; -1 when not known
 * @param md5 the MD5 the copy was verified with (or the one found at the sink, for a skipped file),
 *     hex; null when neither store gives one
 * @param round the continuous run's round the file (or listing) belongs to, 0 in a batch run
 */
public record FileResult(
    PartitionKey partition,
    String key,
    Outcome outcome,
    long bytes,
    String error,
    boolean serverSide,
    String sinkKey,
    long size,
    String md5,
    long round)
    implements Serializable {

  public FileResult(
      PartitionKey partition,
      String key,
      Outcome outcome,
      long bytes,
      String error,
      boolean serverSide) {
    this(partition, key, outcome, bytes, error, serverSide, null, -1, null, 0);
  }

  public FileResult(PartitionKey partition, String key, Outcome outcome, long bytes, String error) {
    this(partition, key, outcome, bytes, error, false);
  }

  /** The same result with what the manifest keeps of the file (a null md5 keeps this one's). */
  public FileResult withFile(String sinkKey, long size, String md5) {
    return new FileResult(
        partition,
        key,
        outcome,
        bytes,
        error,
        serverSide,
        sinkKey,
        size,
        md5 != null ? md5 : this.md5,
        round);
  }

  /** The same result, of round {@code round} of a continuous run. */
  public FileResult inRound(long round) {
    return new FileResult(
        partition, key, outcome, bytes, error, serverSide, sinkKey, size, md5, round);
  }

  /** What its partition's results are gathered under ({@link StartRounds#resultKey}). */
  public String tallyKey() {
    return StartRounds.resultKey(partition.id(), round);
  }

  /** What the copy of a file came to. */
  public enum Outcome {
    /** Written and verified at the sink. */
    COPIED,
    /** Already at the sink with the same size and checksum. */
    SKIPPED,
    /** Not copied; {@link #error()} says why. */
    FAILED,
    /** Not a file: the partition's listing gave none at all (before any window applied). */
    LISTED_EMPTY,
    /**
     * Not copied by this run: stamped later than the listing's own time (a writer's clock ahead, a
     * time kept from elsewhere), so past the delta window's end; a run after that time copies it.
     * {@link #error()} says when.
     */
    STAMPED_LATER,
    /**
     * Not copied: an entry of the listing that is not a file (a link to a folder, a link whose
     * target is gone, a named pipe); {@link #error()} says which.
     */
    NOT_A_FILE
  }

  public static FileResult listedEmpty(PartitionKey partition) {
    return new FileResult(partition, null, Outcome.LISTED_EMPTY, 0, null);
  }

  /** A file left for a later run: stamped at {@code stamp}, later than its listing's time. */
  public static FileResult stampedLater(
      PartitionKey partition, String key, long size, java.time.Instant stamp) {
    return new FileResult(
            partition,
            key,
            Outcome.STAMPED_LATER,
            0,
            key
                + ": stamped "
                + stamp
                + ", later than this run's listing; a run after that time copies it")
        .withFile(null, size, null);
  }

  /** An entry of the listing passed over: not a file. */
  public static FileResult notAFile(PartitionKey partition, String key, String reason) {
    return new FileResult(partition, key, Outcome.NOT_A_FILE, 0, key + ": " + reason);
  }

  public static FileResult listingFailed(PartitionKey partition, String error) {
    return new FileResult(partition, null, Outcome.FAILED, 0, error);
  }

  /** A file not copied because the sink cannot hold it under exactly {@code sinkKey}. */
  public static FileResult unwritable(
      PartitionKey partition, String key, String sinkKey, String problem) {
    return new FileResult(
            partition, key, Outcome.FAILED, 0, unwritableReason(key, sinkKey, problem))
        .withFile(sinkKey, -1, null);
  }

  static String unwritableReason(String key, String sinkKey, String problem) {
    return key + ": not copied, the sink cannot keep its name: '" + sinkKey + "' " + problem;
  }
}
