package io.copyjob.control;

/**
 * A row of a run's manifest: one file copied, skipped or failed.
 *
 * @param prefix the prefix of the file's partition
 * @param sourceKey the file's key below the source root
 * @param sinkKey its key at the sink; null when not known
 * @param size its size as listed; -1 when not known
 * @param bytesWritten the bytes written to the sink (0 when skipped or failed)
 * @param md5 the MD5 it was verified with (hex), or null
 * @param outcome COPIED, SKIPPED or FAILED
 * @param error why it failed, or null
 */
public record FileRecord(
    String prefix,
    String sourceKey,
    String sinkKey,
    long size,
    long bytesWritten,
    String md5,
    String outcome,
    String error) {}
