package io.copyjob.pipeline;

import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.LocalStore;
import io.copyjob.store.SourceStream;
import io.copyjob.store.Store;
import io.copyjob.store.StoreProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Local files ({@code faulty:///path/}) some of which cannot be read. Tests run as root in CI, and
 * root reads a file whatever its permissions, so an unreadable file is made here: opening a key in
 * {@link #UNREADABLE} fails as a permission error would.
 */
public final class FaultyStore implements Store {
  public static final Set<String> UNREADABLE = ConcurrentHashMap.newKeySet();

  /** When set, each listing takes 200 ms, and the most listings at once is kept. */
  public static volatile boolean slowListings;

  public static final AtomicInteger MOST_LISTINGS_AT_ONCE = new AtomicInteger();
  private static final AtomicInteger LISTINGS_NOW = new AtomicInteger();

  /** Keys whose opening takes a second: keeps a run going while a test does something else. */
  public static final Set<String> SLOW = ConcurrentHashMap.newKeySet();

  /**
   * Keys whose bytes come slowly: this many per 50 ms. A large file then takes seconds to copy, as
   * one of gigabytes does from a real store.
   */
  public static final Map<String, Integer> TRICKLE = new ConcurrentHashMap<>();

  /** Run when a key is opened, before its bytes are read: a fault put in the middle of a run. */
  public static final Map<String, Runnable> ON_OPEN = new ConcurrentHashMap<>();

  /**
   * Keys whose file is rewritten (other bytes of the same size, a later modification time) when a
   * copy opens it, once: a file replaced between its listing and its copy.
   */
  public static final Set<String> REPLACED_ON_OPEN = ConcurrentHashMap.newKeySet();

  private final URI root;
  private final LocalStore files;

  FaultyStore(URI root) {
    this.root = root;
    this.files = new LocalStore(URI.create("file://" + root.getPath()));
  }

  @Override
  public URI root() {
    return root;
  }

  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    if (slowListings) {
      MOST_LISTINGS_AT_ONCE.accumulateAndGet(LISTINGS_NOW.incrementAndGet(), Math::max);
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      } finally {
        LISTINGS_NOW.decrementAndGet();
      }
    }
    return files.list(prefix, recursive);
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    return files.stat(key);
  }

  @Override
  public InputStream open(String key) throws IOException {
    fault(key);
    return files.open(key);
  }

  @Override
  public SourceStream open(FileInfo file) throws IOException {
    fault(file.key());
    Integer perStep = TRICKLE.get(file.key());
    SourceStream in = files.open(file);
    if (perStep == null) {
      return in;
    }
    return new SourceStream(new Trickle(in, perStep), in.file(), in.where());
  }

  /** At most {@code perStep} bytes per read, each read after 50 ms. */
  private static final class Trickle extends java.io.FilterInputStream {
    private final int perStep;

    Trickle(InputStream in, int perStep) {
      super(in);
      this.perStep = perStep;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
      return in.read(b, off, Math.min(len, perStep));
    }
  }

  private void fault(String key) throws IOException {
    Runnable hook = ON_OPEN.get(key);
    if (hook != null) {
      hook.run();
    }
    if (REPLACED_ON_OPEN.remove(key)) {
      Path file = Path.of(root.getPath()).resolve(key);
      byte[] other = new byte[(int) Files.size(file)];
      new Random(key.hashCode()).nextBytes(other);
      FileTime modified = Files.getLastModifiedTime(file);
      Files.write(file, other);
      Files.setLastModifiedTime(file, FileTime.fromMillis(modified.toMillis() + 2000));
    }
    if (UNREADABLE.contains(key)) {
      throw new AccessDeniedException(root + key);
    }
    if (SLOW.contains(key)) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
    }
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    return files.put(key, content, source);
  }

  @Override
  public Optional<String> keyProblem(String key) {
    return files.keyProblem(key);
  }

  @Override
  public void delete(String key) throws IOException {
    files.delete(key);
  }

  /** Registered in META-INF/services of the tests. */
  public static final class Provider implements StoreProvider {
    @Override
    public String scheme() {
      return "faulty";
    }

    @Override
    public Store open(URI root) {
      return new FaultyStore(root);
    }
  }
}
