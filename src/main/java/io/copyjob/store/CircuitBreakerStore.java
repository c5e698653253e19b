package io.copyjob.store;

import com.google.common.cache.CacheBuilder;
import io.copyjob.monitor.Units;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store that stops asking a server which has stopped answering, so that a dead server fails a run
 * within minutes however many files are in flight or queued, instead of costing each of them its
 * own timeouts.
 *
 * <p>The breaker opens once {@value #FAILURES} calls in a row have ended without an answer (timed
 * out, or the connection refused, reset or closed: {@link RequestTimeouts#noAnswer}), the first of
 * them begun more than two request timeouts earlier, with no answer in between. While it is open,
 * calls fail at once with a {@link StoreDownException} that names the connection and since when it
 * has not answered, except one call a request timeout after the last such call ended, let through
 * to find out. Any answer closes it, an error status included: a server that says no is up. A call
 * in flight counts for nothing, so one slow large file never opens it, and neither do a few percent
 * of faults, since the answers in between start the count again. Streams already open go on; they
 * time out by themselves.
 *
 * <p>What a put reads is the source of a copy: its failures are the source's, neither counted here
 * nor reported as this store's.
 */
public final class CircuitBreakerStore extends ForwardingStore {
  /** Calls in a row without an answer that can open the breaker. */
  static final int FAILURES = 3;

  private static final Logger LOG = LoggerFactory.getLogger(CircuitBreakerStore.class);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  /**
   * The breakers of this JVM by scope and name, kept while a store uses them: a runner makes many
   * instances of a step (the direct runner one per thread, often anew), and what one learns of a
   * server the others need, or each would wait out the timeouts on its own.
   */
  private static final Map<String, Breaker> SHARED =
      CacheBuilder.newBuilder().weakValues().<String, Breaker>build().asMap();

  private final Breaker breaker;

  CircuitBreakerStore(Store inner, Breaker breaker) {
    super(inner);
    this.breaker = breaker;
  }

  /**
   * {@code inner} behind the breaker of {@code name} in {@code scope}: the stores wrapped with the
   * same scope and name in this JVM share it.
   *
   * @param scope what the breaker's knowledge is good for, such as one run of a job: a later run
   *     starts with a closed breaker
   * @param name how messages name the server: {@code connection 'lake'}
   * @param requestTimeout {@code copy.requestTimeout}, which sets how long silence must last
   */
  public static Store wrap(Store inner, String scope, String name, Duration requestTimeout) {
    Breaker breaker =
        SHARED.computeIfAbsent(
            scope + "\n" + name, k -> new Breaker(name, requestTimeout, Clock.systemUTC()));
    return new CircuitBreakerStore(inner, breaker);
  }

  /** One call to the server. */
  private interface Call<T> {
    T run() throws IOException;
  }

  private <T> T call(Call<T> call) throws IOException {
    boolean probe = breaker.admit();
    Instant start = breaker.clock.instant();
    try {
      T result = call.run();
      breaker.answered();
      return result;
    } catch (SourceFailed e) {
      throw e; // neither an answer nor silence of this store's
    } catch (IOException | RuntimeException e) {
      breaker.failed(e, start);
      throw e;
    } finally {
      if (probe) {
        breaker.probeEnded();
      }
    }
  }

  /** What is known of one server's answers, and the rule that opens and closes the breaker. */
  static final class Breaker {
    private final String name;
    private final Duration requestTimeout;
    private final Clock clock;

    // Guarded by this; the volatile ones are also read without the lock on the fast path.
    private volatile int unanswered;
    private volatile boolean open;
    private Instant quietSince;
    private Instant lastAnswer = Instant.MIN;
    private Instant nextProbe;
    private boolean probing;

    Breaker(String name, Duration requestTimeout, Clock clock) {
      this.name = name;
      this.requestTimeout = requestTimeout;
      this.clock = clock;
    }

    /**
     * Lets a call through, or throws when the breaker is open.
     *
     * @return whether the call is the probe of an open breaker
     */
    boolean admit() throws StoreDownException {
      if (!open) {
        return false;
      }
      synchronized (this) {
        if (!open) {
          return false;
        }
        Instant now = clock.instant();
        if (!probing && !now.isBefore(nextProbe)) {
          probing = true;
          return true;
        }
        throw new StoreDownException(
            name
                + " has not answered since "
                + TIME.format(quietSince)
                + " ("
                + Units.duration(Duration.between(quietSince, now))
                + "; copy.requestTimeout "
                + (requestTimeout.toMillis() % 1000 == 0
                    ? requestTimeout.toSeconds() + "s"
                    : requestTimeout.toMillis() + "ms")
                + "); not tried");
      }
    }

    /** The next probe waits a request timeout from this one's end, whatever came of it. */
    synchronized void probeEnded() {
      probing = false;
      // From the probe's end: a worker with one transfer drains its queue in between.
      nextProbe = clock.instant().plus(requestTimeout);
    }

    void answered() {
      if (unanswered == 0 && !open) {
        return; // the common case, without the lock
      }
      synchronized (this) {
        unanswered = 0;
        lastAnswer = clock.instant();
        if (open) {
          open = false;
          LOG.info("{} answers again", name);
        }
      }
    }

    /** Counts a call begun at {@code start} that failed with {@code e}. */
    void failed(Exception e, Instant start) {
      Throwable failure = e instanceof UncheckedIOException unchecked ? unchecked.getCause() : e;
      if (RequestTimeouts.noAnswer(failure) == null) {
        if (failure instanceof IOException) {
          answered(); // an error the server sent
        }
        return; // else a failure of this process, not the server's
      }
      synchronized (this) {
        Instant now = clock.instant();
        if (unanswered == 0) {
          quietSince = start.isAfter(lastAnswer) ? start : lastAnswer;
        }
        unanswered++;
        if (!open
            && unanswered >= FAILURES
            && Duration.between(quietSince, now).compareTo(requestTimeout.multipliedBy(2)) > 0) {
          open = true;
          nextProbe = now.plus(requestTimeout);
          LOG.warn(
              "{} has not answered since {}: its calls fail at once until it answers again",
              name,
              TIME.format(quietSince));
        }
      }
    }
  }

  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    Listing listing = call(() -> inner.list(prefix, recursive));
    return new Listing() {
      @Override
      public boolean hasNext() {
        Instant start = breaker.clock.instant();
        try {
          boolean more = listing.hasNext(); // fetches the next page when needed
          breaker.answered();
          return more;
        } catch (RuntimeException e) {
          breaker.failed(e, start);
          throw e;
        }
      }

      @Override
      public FileInfo next() {
        return listing.next();
      }

      @Override
      public void close() throws IOException {
        listing.close();
      }

      @Override
      public long markersSkipped() {
        return listing.markersSkipped();
      }

      @Override
      public List<Skipped> takeSkipped() {
        return listing.takeSkipped();
      }
    };
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    return call(() -> inner.stat(key));
  }

  @Override
  public Optional<StoreChecksum> checksum(String key) throws IOException {
    return call(() -> inner.checksum(key));
  }

  @Override
  public InputStream open(String key) throws IOException {
    return watched(call(() -> inner.open(key)));
  }

  @Override
  public SourceStream open(FileInfo file) throws IOException {
    SourceStream in = call(() -> inner.open(file));
    return new SourceStream(watched(in), in.file(), in.where());
  }

  /** The reads of a body: an answer each, or a failure that counts towards opening the breaker. */
  private InputStream watched(InputStream body) {
    return new FilterInputStream(body) {
      @Override
      public int read() throws IOException {
        Instant start = breaker.clock.instant();
        try {
          int b = super.read();
          breaker.answered();
          return b;
        } catch (IOException | RuntimeException e) {
          breaker.failed(e, start);
          throw e;
        }
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        Instant start = breaker.clock.instant();
        try {
          int n = super.read(buffer, offset, length);
          breaker.answered();
          return n;
        } catch (IOException | RuntimeException e) {
          breaker.failed(e, start);
          throw e;
        }
      }
    };
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    SourceReads reads = new SourceReads(content);
    try {
      return call(
          () -> {
            try {
              return inner.put(key, reads, source);
            } catch (IOException | RuntimeException e) {
              if (reads.failure != null) {
                throw new SourceFailed(reads.failure);
              }
              throw e;
            }
          });
    } catch (SourceFailed e) {
      // The source's own failure, which the SDK may have wrapped as this store's.
      throw (IOException) e.getCause();
    }
  }

  @Override
  public void delete(String key) throws IOException {
    call(
        () -> {
          inner.delete(key);
          return null;
        });
  }

  @Override
  public void prepare(boolean create) throws IOException {
    call(
        () -> {
          inner.prepare(create);
          return null;
        });
  }

  @Override
  public Optional<Instant> now() throws IOException {
    return call(inner::now);
  }

  @Override
  public long removeLeftovers(String prefix, TempOwner owner) throws IOException {
    return call(() -> inner.removeLeftovers(prefix, owner));
  }

  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return inner
        .serverSideCopy()
        .map(
            copy ->
                (source, file, key, throttle) ->
                    call(() -> copy.copy(source, file, key, throttle)));
  }

  /** A put that failed because its content (the source) did. */
  private static final class SourceFailed extends IOException {
    SourceFailed(IOException cause) {
      super(cause);
    }
  }

  /** The content of a put, remembering the first failure of its own reads. */
  private static final class SourceReads extends FilterInputStream {
    private volatile IOException failure;

    SourceReads(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        failure = failure == null ? e : failure;
        throw e;
      }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      try {
        return super.read(buffer, offset, length);
      } catch (IOException e) {
        failure = failure == null ? e : failure;
        throw e;
      }
    }
  }
}
