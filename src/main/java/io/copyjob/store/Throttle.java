package io.copyjob.store;

import java.io.IOException;

/**
 * What a transfer tells the caps of {@code copy.maxRequestsPerSecond} and {@code
 * copy.maxBytesPerSecond} before it makes a request or moves bytes: each call returns when it is
 * the caller's turn. A server-side copy is handed one ({@link ServerSideCopy#copy(Store, FileInfo,
 * String, Throttle)}), since only the copy knows whether and when bytes move: a copy that the sink
 * refuses before anything moves costs nothing, and a copy in steps (a kernel copy in chunks, an S3
 * copy in parts) is paced step by step.
 */
public interface Throttle {
  /** No caps: every call returns at once. */
  Throttle NONE =
      new Throttle() {
        @Override
        public void request() {}

        @Override
        public void bytes(long count) {}
      };

  /** Returns when one more request may be made. */
  void request() throws IOException;

  /** Returns when {@code count} more bytes may be moved. */
  void bytes(long count) throws IOException;

  /** Both this throttle's caps and {@code other}'s. */
  default Throttle and(Throttle other) {
    if (other == NONE) {
      return this;
    }
    if (this == NONE) {
      return other;
    }
    Throttle first = this;
    return new Throttle() {
      @Override
      public void request() throws IOException {
        first.request();
        other.request();
      }

      @Override
      public void bytes(long count) throws IOException {
        first.bytes(count);
        other.bytes(count);
      }
    };
  }
}
