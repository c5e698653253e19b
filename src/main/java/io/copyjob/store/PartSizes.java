package io.copyjob.store;

import java.io.IOException;

/**
 * The size of the parts (S3) or blocks (Azure) a file is written in. A store's own size suits most
 * files, but a store takes a bounded number of parts per object (S3 10,000, Azure 50,000): a file
 * that would need more is written in larger parts, the fewest whole MiB that fit it, rather than
 * failing at the part past the limit after hours of upload.
 */
public final class PartSizes {
  /** The largest part a worker holds: one array, under Java's 2 GiB limit. */
  static final int MAX_PART = 2000 << 20;

  private static final long MIB = 1 << 20;

  private PartSizes() {}

  /**
   * @param size the file's bytes
   * @param base the store's part size
   * @param maxParts the most parts the store takes per object
   * @param where the file, named in the error
   * @throws IOException when the file needs parts over {@link #MAX_PART}
   */
  public static int forFile(long size, int base, int maxParts, String where) throws IOException {
    long needed = (size + maxParts - 1) / maxParts;
    if (needed <= base) {
      return base;
    }
    long rounded = (needed + MIB - 1) / MIB * MIB;
    if (rounded > MAX_PART) {
      throw new IOException(
          where
              + ": "
              + size
              + " bytes need more than "
              + maxParts
              + " parts of "
              + MAX_PART / MIB
              + " MiB, the largest a worker holds");
    }
    return (int) rounded;
  }
}
