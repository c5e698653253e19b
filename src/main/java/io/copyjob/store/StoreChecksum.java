package io.copyjob.store;

import java.io.Serializable;

/**
 * A checksum a store keeps of a file in a form of its own and gives without the file being read:
 * HDFS's MD5-of-MD5-of-CRC32C, which the DataNodes make from the CRCs they keep of each block's
 * chunks. Its value depends on how the file was written as well as on its bytes; the algorithm
 * names all of that (HDFS: the CRC type, the bytes per CRC and the CRCs per block, so the block
 * size of a file of more than one block), so two checksums of one algorithm are equal exactly when
 * the contents are, and two of different algorithms cannot be compared.
 *
 * @param algorithm what the value is made of, as the store names it ({@code
 *     MD5-of-2048MD5-of-512CRC32C})
 * @param value the checksum, hex
 * @param blockSize the block size the file was written in: a sink that keeps checksums of the same
 *     kind writes its copy in blocks of this size, so that the two compare; 0 when the store has no
 *     blocks
 */
public record StoreChecksum(String algorithm, String value, long blockSize)
    implements Serializable {

  /** Whether {@code other} was made the same way, so that its value can be compared with this. */
  public boolean comparableWith(StoreChecksum other) {
    return other != null && algorithm.equals(other.algorithm);
  }

  @Override
  public String toString() {
    return algorithm + " " + value;
  }
}
