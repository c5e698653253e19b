package io.copyjob.pipeline;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A source's bytes as a sink reads them, counted on the partition's meter as they pass, so a large
 * file shows its progress while it is copied; and the time the reads waited for the source. Bytes a
 * sink reads again after a reset (an SDK sending a part again) are taken back first.
 */
final class MeteredStream extends FilterInputStream {
  private final ProgressMeter meter;
  private long count;
  private long marked;
  private long readingNanos;

  MeteredStream(InputStream in, ProgressMeter meter) {
    super(in);
    this.meter = meter;
  }

  /** The time the reads so far waited for the source. */
  long readingNanos() {
    return readingNanos;
  }

  @Override
  public int read() throws IOException {
    long start = System.nanoTime();
    int b = in.read();
    took(start, b < 0 ? -1 : 1);
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    long start = System.nanoTime();
    int n = in.read(buffer, offset, length);
    took(start, n);
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long start = System.nanoTime();
    long skipped = in.skip(n);
    took(start, skipped);
    return skipped;
  }

  private void took(long start, long n) {
    long nanos = System.nanoTime() - start;
    readingNanos += nanos;
    meter.reading(nanos);
    if (n > 0) {
      count += n;
      meter.bytes(n);
    }
  }

  /** The bytes counted so far are taken back: the copy they were part of failed. */
  void takeBack() {
    meter.bytes(-count);
    count = 0;
    marked = 0;
  }

  @Override
  public synchronized void mark(int readLimit) {
    in.mark(readLimit);
    marked = count;
  }

  @Override
  public synchronized void reset() throws IOException {
    in.reset();
    meter.bytes(marked - count);
    count = marked;
  }
}
