package io.copyjob.store;

import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;

/**
 * A cap on a rate (requests or bytes per second) shared by every thread that asks: {@link #acquire}
 * returns when the units asked for are due at the cap, counting from the end of what was granted
 * before. Idle time is saved up to {@link #BURST} at most, so over any stretch of time {@code t} no
 * more than {@code rate * (t + BURST)} units go through.
 *
 * <p>Not Guava's {@code RateLimiter}: it grants a request at once and makes the next one wait for
 * it, so one large request (a whole file copied by a server, a first chunk) went through without
 * waiting at all, and a run of a few large files beat the cap by a file each.
 */
final class RateCap {
  /** The most idle time saved up for later requests. */
  static final long BURST_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final double nanosPerUnit;

  // Guarded by this.
  private long due; // System.nanoTime() at which everything granted so far is due
  private long granted;

  /**
   * @param perSecond the cap, at least 1
   */
  RateCap(long perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("a rate cap must be at least 1 per second");
    }
    this.nanosPerUnit = 1e9 / perSecond;
    this.due = System.nanoTime();
  }

  /** Waits until {@code units} more are due at the cap, then returns. */
  void acquire(long units) throws InterruptedIOException {
    if (units <= 0) {
      return;
    }
    long wait;
    synchronized (this) {
      long now = System.nanoTime();
      due = Math.max(due, now - BURST_NANOS) + (long) Math.ceil(units * nanosPerUnit);
      granted += units;
      wait = due - now;
    }
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for the rate cap");
      }
    }
  }

  /** The units granted so far. */
  synchronized long granted() {
    return granted;
  }
}
