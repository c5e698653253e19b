package io.copyjob.control;

import java.io.Serializable;

/**
 * A partition: a key prefix below a source root. Several roots (buckets, containers) share one
 * control table, so the root is part of the key.
 *
 * @param root the source root URI, as the job file gives it
 * @param prefix the key prefix below the root, as S3's ListObjects treats one ("" is the whole
 *     root)
 */
public record PartitionKey(String root, String prefix) implements Serializable {
  private static final char SEPARATOR = '\u0001';

  /** One string for both parts, used as a map key where a coder must be deterministic. */
  public String id() {
    return root + SEPARATOR + prefix;
  }

  public static PartitionKey fromId(String id) {
    int at = id.indexOf(SEPARATOR);
    return new PartitionKey(id.substring(0, at), id.substring(at + 1));
  }
}
