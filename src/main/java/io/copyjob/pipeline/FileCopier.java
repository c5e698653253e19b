package io.copyjob.pipeline;

import io.copyjob.pipeline.FileResult.Outcome;
import io.copyjob.store.CantCopyException;
import io.copyjob.store.FileInfo;
import io.copyjob.store.ServerSideCopy;
import io.copyjob.store.SourceChangedException;
import io.copyjob.store.SourceStream;
import io.copyjob.store.Store;
import io.copyjob.store.StoreChecksum;
import io.copyjob.store.StoreDownException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.BackOffUtils;
import org.apache.beam.sdk.util.FluentBackoff;
import org.apache.beam.sdk.util.Sleeper;
import org.joda.time.Duration;

/**
 * Copies one file from a source store to a sink store and verifies it: the bytes read equal the
 * listed size, and the sink's report of the written file (its size, and the MD5 of the bytes it was
 * given) equals the source's size and, where the source has one, its MD5. A file already at the
 * sink with the same size and MD5 is skipped; what the sink holds comes from the listing when it
 * could tell, else from one request.
 *
 * <p>When both stores keep checksums of their own ({@link Store#keepsChecksums}: HDFS's
 * MD5-of-MD5-of-CRC32C), a copy is verified, and a file at the sink compared, by those wherever the
 * two are comparable: the sink's checksum of what it stores against the source's, neither file read
 * for it. Where they are not (other block sizes), MD5 as above.
 */
final class FileCopier {
  private static final FluentBackoff BACKOFF =
      FluentBackoff.DEFAULT
          .withMaxRetries(3)
          .withInitialBackoff(Duration.millis(200))
          .withMaxBackoff(Duration.standardSeconds(10));

  private final Store source;
  private final Store sink;
  private final Sleeper sleeper;
  private final boolean comparesChecksums;

  FileCopier(Store source, Store sink, Sleeper sleeper) {
    this.source = source;
    this.sink = sink;
    this.sleeper = sleeper;
    this.comparesChecksums = source.keepsChecksums() && sink.keepsChecksums();
  }

  FileCopier(Store source, Store sink) {
    this(source, sink, Sleeper.DEFAULT);
  }

  /** Copies {@code file} to {@code sinkKey}, retrying what may pass; failures come back as data. */
  FileResult copy(FileToCopy item, String sinkKey) {
    return copy(item, sinkKey, new ProgressMeter(item.partition(), 0));
  }

  /**
   * As {@link #copy(FileToCopy, String)}, counting on {@code meter} the bytes as they stream, the
   * time spent reading, writing and waiting between tries.
   */
  FileResult copy(FileToCopy item, String sinkKey, ProgressMeter meter) {
    FileInfo file = item.file();
    BackOff backoff = BACKOFF.backoff();
    while (true) {
      try {
        return copyOnce(item, sinkKey, meter);
      } catch (IOException | RuntimeException e) {
        long start = System.nanoTime();
        boolean again = isRetryable(e) && sleepBeforeRetry(backoff);
        meter.waited(System.nanoTime() - start);
        if (!again) {
          return new FileResult(item.partition(), file.key(), Outcome.FAILED, 0, describe(file, e));
        }
      }
    }
  }

  private FileResult copyOnce(FileToCopy item, String sinkKey, ProgressMeter meter)
      throws IOException {
    FileInfo file = item.file();
    if (alreadyAtSink(item, sinkKey)) {
      return new FileResult(item.partition(), file.key(), Outcome.SKIPPED, 0, null)
          .withFile(sinkKey, file.size(), item.atSink() != null ? item.atSink().md5() : file.md5());
    }
    Optional<ServerSideCopy> serverSide = sink.serverSideCopy();
    if (serverSide.isPresent()) {
      try {
        long start = System.nanoTime();
        FileInfo written = serverSide.get().copy(source, file, sinkKey);
        // No byte passes this worker: the copy is the sink's writing, whole when it returns.
        meter.writing(System.nanoTime() - start);
        meter.bytes(written.size());
        verify(file, sinkKey, written, file.md5(), null);
        return new FileResult(
                item.partition(), file.key(), Outcome.COPIED, written.size(), null, true)
            .withFile(sinkKey, file.size(), written.md5() != null ? written.md5() : file.md5());
      } catch (CantCopyException e) {
        // The pair of stores cannot copy server-side: stream it through this worker instead.
      }
    }
    MeteredStream metered = null;
    try {
      FileInfo written;
      FileInfo read;
      long count;
      // The source is read as listed: a changed file fails the read before its last byte reaches
      // the sink, so no sink completes a file from it.
      long opening = System.nanoTime();
      try (SourceStream in = source.open(file)) {
        read = withSourceChecksum(in.file());
        meter.reading(System.nanoTime() - opening);
        metered = new MeteredStream(in, meter);
        long start = System.nanoTime();
        try {
          written = sink.put(sinkKey, metered, read);
          meter.writing(Math.max(0, System.nanoTime() - start - metered.readingNanos()));
        } catch (IOException | RuntimeException e) {
          // A sink may report the failure of its source as an error of its own (an aborted
          // upload): the source's failure is the reason of the copy.
          IOException failure = in.failure();
          if (failure == null || failure == e) {
            throw e;
          }
          failure.addSuppressed(e);
          throw failure;
        }
        count = in.count();
      }
      if (count != file.size()) {
        sink.delete(sinkKey);
        throw new ChecksumMismatchException(
            "the sink took " + count + " bytes, the listing said " + file.size());
      }
      // The sink's MD5 is of the bytes it was given (computed as they passed, or by the service,
      // which verified the source's MD5 where it was known): the bytes are hashed once per copy.
      verify(file, sinkKey, written, read.md5(), read.checksum());
      return new FileResult(item.partition(), file.key(), Outcome.COPIED, written.size(), null)
          .withFile(sinkKey, file.size(), written.md5() != null ? written.md5() : read.md5());
    } catch (IOException | RuntimeException e) {
      if (metered != null) {
        metered.takeBack(); // this try's bytes are not copied: a retry counts them again
      }
      throw e;
    }
  }

  /**
   * Checks the sink's report of the written file; removes it when it does not match. The report is
   * of exactly {@code sinkKey}: the names a sink would keep under another name were refused before
   * the copy ({@link Store#keyProblem}). A stat of the same name afterwards would go through the
   * same service, which would rename it the same way, so it could tell nothing more: it is not
   * made, and a small file costs one request at the sink, not two.
   */
  private void verify(
      FileInfo file,
      String sinkKey,
      FileInfo written,
      String expectedMd5,
      StoreChecksum expectedChecksum)
      throws IOException {
    String problem = null;
    if (written.size() != file.size()) {
      problem = "sink has " + written.size() + " bytes, source " + file.size();
    } else if (expectedMd5 != null && written.md5() != null && !expectedMd5.equals(written.md5())) {
      problem = "sink MD5 " + written.md5() + " differs from the source's " + expectedMd5;
    } else if (expectedChecksum != null
        && expectedChecksum.comparableWith(written.checksum())
        && !expectedChecksum.value().equals(written.checksum().value())) {
      problem =
          "sink checksum "
              + written.checksum()
              + " differs from the source's "
              + expectedChecksum.value();
    }
    if (problem != null) {
      sink.delete(sinkKey);
      throw new ChecksumMismatchException(problem);
    }
  }

  private boolean alreadyAtSink(FileToCopy item, String sinkKey) throws IOException {
    FileInfo file = item.file();
    // The listing may have learnt what the sink holds there; else one request asks.
    Optional<FileInfo> existing =
        item.sinkKnown() ? Optional.ofNullable(item.atSink()) : sink.stat(sinkKey);
    if (existing.isEmpty() || existing.get().size() != file.size()) {
      return false;
    }
    if (comparesChecksums) {
      StoreChecksum atSource = source.checksum(file.key()).orElse(null);
      StoreChecksum atSink = atSource == null ? null : sink.checksum(sinkKey).orElse(null);
      if (atSource != null && atSource.comparableWith(atSink)) {
        return atSource.value().equals(atSink.value());
      }
    }
    String sourceMd5 = file.md5() != null ? file.md5() : source.md5(file.key());
    String sinkMd5 = existing.get().md5() != null ? existing.get().md5() : sink.md5(sinkKey);
    return sourceMd5.equals(sinkMd5);
  }

  /**
   * The source file with its store's checksum, when the sink keeps checksums it may compare with:
   * the sink then writes its copy so that they compare, and the copy is verified by them.
   */
  private FileInfo withSourceChecksum(FileInfo read) throws IOException {
    return comparesChecksums ? read.withChecksum(source.checksum(read.key()).orElse(null)) : read;
  }

  /**
   * A vanished, forbidden or changed source file will not come back by retrying (a changed one is
   * listed again by the next run), nor will a store that has stopped answering (its circuit breaker
   * is open); anything else of I/O (a reset connection, a throttled request, a checksum mismatch)
   * may pass.
   */
  private static boolean isRetryable(Exception e) {
    return e instanceof IOException
        && !(e instanceof FileNotFoundException
            || e instanceof NoSuchFileException
            || e instanceof AccessDeniedException
            || e instanceof SourceChangedException
            || e instanceof StoreDownException);
  }

  private boolean sleepBeforeRetry(BackOff backoff) {
    try {
      return BackOffUtils.next(sleeper, backoff);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private static String describe(FileInfo file, Exception e) {
    String reason = e.getMessage() == null ? "" : ": " + e.getMessage();
    return file.key() + ": " + e.getClass().getSimpleName() + reason;
  }

  /** The bytes read or written do not match what the listing or the sink says. */
  static final class ChecksumMismatchException extends IOException {
    ChecksumMismatchException(String message) {
      super(message);
    }
  }
}
