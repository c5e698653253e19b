package io.copyjob.store;

import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The arrays that hold a whole block in memory (an Azure block, an S3 part, the body of a file sent
 * in one request), shared by the stores of this JVM and bounded in total: a transfer that would go
 * over the budget waits until another gives its array back. A job with many transfers in flight or
 * large blocks then runs at the pace its memory allows instead of failing with an OutOfMemoryError,
 * and a small heap is enough for the usual one.
 *
 * <p>Arrays given back are kept for the next transfer that needs the same size (a 16 MiB block is
 * not allocated and zeroed again for each block, nor does it go to the old generation and wait for
 * a full collection there); kept arrays count in the budget and are dropped when a transfer needs
 * their room for another size. Arrays under {@link #TRACKED} are plain allocations: at most one per
 * transfer, they are small next to the rest.
 */
public final class BlockBuffers {
  /** Arrays from this size on are counted and kept: smaller ones cost less than the bookkeeping. */
  static final int TRACKED = 1 << 20;

  private static final BlockBuffers SHARED = new BlockBuffers(defaultBudget());

  private final long budget;

  /** Bytes in arrays handed out or kept, at most {@link #budget} (or one array over it). */
  private long used;

  private long keptBytes;
  private final Map<Integer, ArrayDeque<byte[]>> kept = new HashMap<>();

  /**
   * @param budget the most bytes held in arrays at once; an array larger than the budget is still
   *     given, once no other is out
   */
  BlockBuffers(long budget) {
    if (budget <= 0) {
      throw new IllegalArgumentException("budget must be > 0");
    }
    this.budget = budget;
  }

  /** The buffers of this JVM's stores. */
  public static BlockBuffers shared() {
    return SHARED;
  }

  /**
   * A quarter of the heap: the rest is for everything else (listings, the SDKs' own buffers, the
   * runner's elements; a GC log shows about 60 MiB live during a copy of small files), and a 16 MiB
   * array needs room in the old generation beside what is there. Half was too much: 16 puts in a 96
   * MiB heap still failed with OutOfMemoryError.
   */
  static long defaultBudget() {
    return Math.max(Runtime.getRuntime().maxMemory() / 4, TRACKED);
  }

  /**
   * An array of exactly {@code size} bytes, whose content is undefined, waiting while the budget is
   * held by arrays out. Give it back with {@link #give} when the request that sent it has returned.
   *
   * @throws InterruptedIOException when interrupted while waiting (the transfer is being stopped)
   */
  public byte[] take(int size) throws InterruptedIOException {
    if (size < TRACKED) {
      return new byte[size];
    }
    synchronized (this) {
      try {
        // A kept array of the size is taken at once; else the arrays out must leave room (kept
        // ones of other sizes make room at once, below).
        while (true) {
          ArrayDeque<byte[]> same = kept.get(size);
          if (same != null && !same.isEmpty()) {
            keptBytes -= size;
            return same.pop();
          }
          long out = used - keptBytes;
          if (out == 0 || out + size <= budget) {
            break;
          }
          wait();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("stopped while waiting for a block buffer");
      }
      for (Iterator<ArrayDeque<byte[]>> it = kept.values().iterator();
          used + size > budget && it.hasNext(); ) {
        ArrayDeque<byte[]> arrays = it.next();
        while (used + size > budget && !arrays.isEmpty()) {
          int dropped = arrays.pop().length;
          used -= dropped;
          keptBytes -= dropped;
        }
        if (arrays.isEmpty()) {
          it.remove();
        }
      }
      used += size;
    }
    try {
      return new byte[size]; // outside the lock: zeroing 16 MiB takes a few milliseconds
    } catch (OutOfMemoryError e) {
      release(size);
      throw e;
    }
  }

  /** Gives back an array from {@link #take}, to be kept for the next transfer of its size. */
  public void give(byte[] array) {
    if (array.length < TRACKED) {
      return;
    }
    synchronized (this) {
      kept.computeIfAbsent(array.length, n -> new ArrayDeque<>()).push(array);
      keptBytes += array.length;
      notifyAll();
    }
  }

  private synchronized void release(int size) {
    used -= size;
    notifyAll();
  }

  /** Bytes in arrays handed out now (kept ones not counted): for tests. */
  synchronized long out() {
    return used - keptBytes;
  }

  /** Bytes in arrays handed out or kept: for tests. */
  synchronized long held() {
    return used;
  }
}
