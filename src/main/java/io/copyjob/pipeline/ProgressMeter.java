package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.ProgressState;
import io.copyjob.store.TransferEvents;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * One partition's (table's) progress on this worker, counted by the transfers as they go and read
 * by {@link ProgressKeeper} when it writes its batch: adders and atomics only, so the many transfer
 * threads that count bytes never wait on each other or on a write to the database.
 */
public final class ProgressMeter implements TransferEvents.Listener {
  private final PartitionKey key;
  private final long runStartMillis;
  private final AtomicReference<ProgressState> state = new AtomicReference<>(ProgressState.QUEUED);
  private final LongAdder filesListed = new LongAdder();
  private final LongAdder bytesListed = new LongAdder();
  private final LongAdder filesCopied = new LongAdder();
  private final LongAdder filesSkipped = new LongAdder();
  private final LongAdder filesFailed = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final LongAdder rows = new LongAdder();
  private final LongAdder listingNanos = new LongAdder();
  private final LongAdder readingNanos = new LongAdder();
  private final LongAdder writingNanos = new LongAdder();
  private final LongAdder waitingNanos = new LongAdder();
  private final LongAdder throttled = new LongAdder();
  private final AtomicLong firstByteMillis = new AtomicLong(-1);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger peakInFlight = new AtomicInteger();

  ProgressMeter(PartitionKey key, long runStartMillis) {
    this.key = key;
    this.runStartMillis = runStartMillis;
  }

  /** Moves the state forward to {@code to}; a partition never goes back (done stays done). */
  public void advance(ProgressState to) {
    state.accumulateAndGet(to, (now, next) -> next.compareTo(now) > 0 ? next : now);
  }

  /** The partition was recorded in this run: DONE or FAILED, whatever was reported before. */
  public void finished(boolean succeeded) {
    state.set(succeeded ? ProgressState.DONE : ProgressState.FAILED);
  }

  /** One more file in the window (a piece planned) of {@code size} bytes. */
  public void listed(long size) {
    filesListed.increment();
    bytesListed.add(size);
  }

  public void listing(long nanos) {
    listingNanos.add(nanos);
  }

  public void copied() {
    filesCopied.increment();
  }

  public void skipped() {
    filesSkipped.increment();
  }

  public void failed() {
    filesFailed.increment();
  }

  /** {@code files} files of one piece (a group of small files) copied, skipped or failed. */
  public void copied(long files) {
    filesCopied.add(files);
  }

  public void skipped(long files) {
    filesSkipped.add(files);
  }

  public void failed(long files) {
    filesFailed.add(files);
  }

  /** Bytes moved, counted as they stream; negative when a sink reads bytes again after a reset. */
  public void bytes(long count) {
    bytes.add(count);
    if (count > 0 && firstByteMillis.get() < 0) {
      firstByteMillis.compareAndSet(-1, Math.max(0, System.currentTimeMillis() - runStartMillis));
    }
  }

  public void rows(long count) {
    rows.add(count);
  }

  public void reading(long nanos) {
    readingNanos.add(nanos);
  }

  public void writing(long nanos) {
    writingNanos.add(nanos);
  }

  @Override
  public void waited(long nanos) {
    waitingNanos.add(nanos);
  }

  @Override
  public void throttled() {
    throttled.increment();
  }

  /** A transfer of the partition starts: counts the transfers in flight and their peak. */
  public void transferStarted() {
    peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
  }

  public void transferEnded() {
    inFlight.decrementAndGet();
  }

  ProgressState state() {
    return state.get();
  }

  PartitionKey key() {
    return key;
  }

  /** The figures now, with {@code extraThrottled} answers counted besides its own. */
  ProgressRecord snapshot(ProgressState as, long extraThrottled) {
    long firstByte = firstByteMillis.get();
    return new ProgressRecord(
        key,
        as,
        filesListed.sum(),
        bytesListed.sum(),
        filesCopied.sum(),
        filesSkipped.sum(),
        filesFailed.sum(),
        bytes.sum(),
        rows.sum(),
        millis(listingNanos),
        millis(readingNanos),
        millis(writingNanos),
        millis(waitingNanos),
        firstByte < 0 ? null : firstByte,
        peakInFlight.get(),
        throttled.sum() + extraThrottled,
        null);
  }

  /**
   * Rounded to the nearest: a partition's sub-millisecond steps, summed over many, stay unbiased.
   */
  private static long millis(LongAdder nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos.sum() + 500_000);
  }
}
