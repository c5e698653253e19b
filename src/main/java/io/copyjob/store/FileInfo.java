package io.copyjob.store;

import java.io.Serializable;
import java.time.Instant;

/**
 * One file as a store lists it.
 *
 * @param key the path below the store's root, '/'-separated, never starting with '/'
 * @param size its length in bytes
 * @param lastModified when it was last written, as the store reports it (UTC)
 * @param md5 the lower-case hex MD5 of its content when the store knows it without reading it (S3
 *     single-part ETag, Azure Content-MD5), else null
 * @param version the store's tag of this version of the file, as the listing or stat gave it (S3
 *     and Azure: the ETag), which a read or server-side copy names to get exactly this version;
 *     null where the store has none (local files: their size and last modified time stand for it)
 * @param checksum the store's own checksum of the file ({@link Store#checksum}), where the engine
 *     asked for it: to compare a copy with its source when both stores keep one; else null
 */
public record FileInfo(
    String key, long size, Instant lastModified, String md5, String version, StoreChecksum checksum)
    implements Serializable {

  /** A file as a listing or a stat gives it: no store checksum asked for. */
  public FileInfo(String key, long size, Instant lastModified, String md5, String version) {
    this(key, size, lastModified, md5, version, null);
  }

  /** A file whose store gives no version tag. */
  public FileInfo(String key, long size, Instant lastModified, String md5) {
    this(key, size, lastModified, md5, null);
  }

  public FileInfo withKey(String newKey) {
    return new FileInfo(newKey, size, lastModified, md5, version, checksum);
  }

  public FileInfo withChecksum(StoreChecksum newChecksum) {
    return new FileInfo(key, size, lastModified, md5, version, newChecksum);
  }
}
