package io.copyjob.store;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a transfer meets inside the stores, counted against the transfer the calling thread works
 * for: throttling answers (S3 503 SlowDown, Azure 503 ServerBusy, each attempt the SDKs make) and
 * time spent waiting for the rate caps. The engine names the transfer ({@link #on}); the stores'
 * SDK hooks and {@link ThrottledStore} report here. An answer met on a thread working for no
 * transfer (an SDK answering on a thread of its own) is counted for the whole JVM ({@link
 * #unattributedThrottled}).
 */
public final class TransferEvents {
  /** Where one transfer's events are counted. */
  public interface Listener {
    /** The store answered one attempt with "slow down" (HTTP 503). */
    void throttled();

    /** The transfer waited {@code nanos} for a rate cap. */
    void waited(long nanos);
  }

  /** Ends a thread's work for a transfer. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  private static final ThreadLocal<Listener> CURRENT = new ThreadLocal<>();
  private static final LongAdder UNATTRIBUTED = new LongAdder();

  private TransferEvents() {}

  /** Counts the calling thread's events against {@code listener} until the scope is closed. */
  public static Scope on(Listener listener) {
    Listener before = CURRENT.get();
    CURRENT.set(listener);
    return () -> {
      if (before == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(before);
      }
    };
  }

  /** One throttling answer to a request made on this thread. */
  public static void throttled() {
    Listener listener = CURRENT.get();
    if (listener != null) {
      listener.throttled();
    } else {
      UNATTRIBUTED.increment();
    }
  }

  /** Time this thread waited for a rate cap. */
  public static void waited(long nanos) {
    Listener listener = CURRENT.get();
    if (listener != null) {
      listener.waited(nanos);
    }
  }

  /** Throttling answers met in this JVM on threads working for no transfer, so far. */
  public static long unattributedThrottled() {
    return UNATTRIBUTED.sum();
  }

  /** Whether an HTTP status is a store's throttling answer. */
  public static boolean isThrottling(int httpStatus) {
    return httpStatus == 503;
  }
}
