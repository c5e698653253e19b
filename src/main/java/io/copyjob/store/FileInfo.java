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
 */
public record FileInfo(String key, long size, Instant lastModified, String md5)
    implements Serializable {

  public FileInfo withKey(String newKey) {
    return new FileInfo(newKey, size, lastModified, md5);
  }
}
