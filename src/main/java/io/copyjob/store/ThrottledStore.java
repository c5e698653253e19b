package io.copyjob.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store whose requests and bytes are capped per worker process (a JVM), whatever the number of
 * threads and DoFn instances using it: {@code copy.maxRequestsPerSecond} and {@code
 * copy.maxBytesPerSecond} of the job file. Bytes are counted where they are read from a source, or
 * where a server-side copy moves them (and only when it does: a copy the sink refuses costs
 * nothing), so a copy is counted once, not at both ends. Each read, request or step of a copy waits
 * for its own turn at the cap ({@link RateCap}) before it goes on.
 */
public final class ThrottledStore extends ForwardingStore implements Throttle {
  /** A listing is charged one request per this many files: a page of S3's ListObjectsV2. */
  static final int LISTING_PAGE = 1000;

  private static final Map<String, RateCap> CAPS = new ConcurrentHashMap<>();

  private final RateCap requests;
  private final RateCap bytes;

  private ThrottledStore(Store inner, RateCap requests, RateCap bytes) {
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

  /** One cap per kind and rate in this JVM, shared by every store and thread that uses it. */
  private static RateCap limiter(String what, long perSecond) {
    return perSecond <= 0
        ? null
        : CAPS.computeIfAbsent(what + ":" + perSecond, k -> new RateCap(perSecond));
  }

  /** The bytes granted so far by the cap of {@code perSecond} bytes per second in this JVM. */
  static long bytesGranted(long perSecond) {
    RateCap cap = CAPS.get("bytes:" + perSecond);
    return cap == null ? 0 : cap.granted();
  }

  @Override
  public void request() throws IOException {
    if (requests != null) {
      long start = System.nanoTime();
      requests.acquire(1);
      TransferEvents.waited(System.nanoTime() - start);
    }
  }

  @Override
  public void bytes(long count) throws IOException {
    if (bytes != null) {
      long start = System.nanoTime();
      bytes.acquire(count);
      TransferEvents.waited(System.nanoTime() - start);
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
          try {
            request();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
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

      @Override
      public List<Skipped> takeSkipped() {
        return listing.takeSkipped();
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
  public Optional<StoreChecksum> checksum(String key) throws IOException {
    request();
    return inner.checksum(key);
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

  /** The stream, each read handing its bytes out when they are due at the cap. */
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

  /** The copy is told the caps: it asks them as it makes its requests and moves its bytes. */
  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return inner
        .serverSideCopy()
        .map(
            copy ->
                (source, file, key, throttle) -> copy.copy(source, file, key, throttle.and(this)));
  }
}
