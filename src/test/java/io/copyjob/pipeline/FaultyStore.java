package io.copyjob.pipeline;

import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.LocalStore;
import io.copyjob.store.Store;
import io.copyjob.store.StoreProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.util.Optional;
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
    return files.open(key);
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
