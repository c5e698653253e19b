package io.copyjob.store;

import com.google.common.util.concurrent.RateLimiter;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store whose requests and bytes are capped per worker process (a JVM), whatever the number of
 * threads and DoFn instances using it: {@code copy.maxRequestsPerSecond} and {@code
 * copy.maxBytesPerSecond} of the job file. Bytes are counted where they are read from a source (and
 * once per server-side copy), so a copy is counted once, not at both ends.
 */
public final class ThrottledStore extends ForwardingStore {
  /** A listing is charged one request per this many files: a page of S3's ListObjectsV2. */
  static final int LISTING_PAGE = 1000;

  private static final Map<String, RateLimiter> LIMITERS = new ConcurrentHashMap<>();

  private final RateLimiter requests;
  private final RateLimiter bytes;

  private ThrottledStore(Store inner, RateLimiter requests, RateLimiter bytes) {
    super(inner);
    this.requests = requests;
    this.bytes = bytes;
  }

  /** {@code inner} with the given caps (0: none); {@code inner} itself when there are none. */
  public static Store wrap(Store inner, long requestsPerSecond, long bytesPerSecond) {
    if (requestsPerSecond <= 0 && bytesPerSecond <= 0) {
      return inner;
    }
    return new ThrottledStore(
        inner, limiter("requests", requestsPerSecond), limiter("bytes", bytesPerSecond));
  }

  /** One limiter per cap and rate in this JVM, shared by every store and thread that uses it. */
  private static RateLimiter limiter(String what, long perSecond) {
    return perSecond <= 0
        ? null
        : LIMITERS.computeIfAbsent(what + ":" + perSecond, k -> RateLimiter.create(perSecond));
  }

  private void request() {
    if (requests != null) {
      requests.acquire();
    }
  }

  private void bytes(long count) {
    for (long left = count; bytes != null && left > 0; ) {
      int now = (int) Math.min(left, Integer.MAX_VALUE);
      bytes.acquire(now);
      left -= now;
    }
  }

  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    request();
    Listing listing = inner.list(prefix, recursive);
    return new Listing() {
      private long listed;

      @Override
      public boolean hasNext() {
        return listing.hasNext();
      }

      @Override
      public FileInfo next() {
        if (++listed % LISTING_PAGE == 0) {
          request();
        }
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
    };
  }

  @Override
  public Optional<Instant> now() throws IOException {
    request();
    return inner.now();
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    request();
    return inner.stat(key);
  }

  @Override
  public InputStream open(String key) throws IOException {
    request();
    return counted(inner.open(key));
  }

  @Override
  public SourceStream open(FileInfo file) throws IOException {
    request();
    SourceStream in = inner.open(file);
    return new SourceStream(counted(in), in.file(), in.where());
  }

  private InputStream counted(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b != -1) {
          bytes(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          bytes(n);
        }
        return n;
      }
    };
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    request();
    return inner.put(key, content, source);
  }

  @Override
  public void delete(String key) throws IOException {
    request();
    inner.delete(key);
  }

  @Override
  public long removeLeftovers(String prefix, TempOwner owner) throws IOException {
    request();
    return inner.removeLeftovers(prefix, owner);
  }

  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return inner
        .serverSideCopy()
        .map(
            copy ->
                (source, file, key) -> {
                  request();
                  bytes(file.size());
                  return copy.copy(source, file, key);
                });
  }
}
