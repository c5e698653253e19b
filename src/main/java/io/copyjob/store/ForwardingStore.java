package io.copyjob.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A store that passes every call to another: the base of wrappers that add a concern to some calls
 * (a throttle, a circuit breaker) and forward the rest, so that a capability added to the contract
 * is added here once and no wrapper drops it. {@link #md5} is left to the contract's default, so
 * that it goes through the wrapper's own {@link #stat} and {@link #open}. {@link #ownedBy} is left
 * to the default too: it applies to the store below every wrapper, before it is wrapped.
 */
public abstract class ForwardingStore implements Store {
  protected final Store inner;

  protected ForwardingStore(Store inner) {
    this.inner = inner;
  }

  /**
   * The store below every wrapper: what a server-side copy asks which store its source is (an S3
   * bucket on the same connection, a blob of the same account, a local folder).
   */
  public static Store unwrap(Store store) {
    Store unwrapped = store;
    while (unwrapped instanceof ForwardingStore wrapper) {
      unwrapped = wrapper.inner;
    }
    return unwrapped;
  }

  @Override
  public URI root() {
    return inner.root();
  }

  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    return inner.list(prefix, recursive);
  }

  @Override
  public Duration timeResolution() {
    return inner.timeResolution();
  }

  @Override
  public Optional<Instant> now() throws IOException {
    return inner.now();
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    return inner.stat(key);
  }

  @Override
  public InputStream open(String key) throws IOException {
    return inner.open(key);
  }

  @Override
  public SourceStream open(FileInfo file) throws IOException {
    return inner.open(file);
  }

  @Override
  public Optional<String> keyProblem(String key) {
    return inner.keyProblem(key);
  }

  @Override
  public long removeLeftovers(String prefix, TempOwner owner) throws IOException {
    return inner.removeLeftovers(prefix, owner);
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    return inner.put(key, content, source);
  }

  @Override
  public void delete(String key) throws IOException {
    inner.delete(key);
  }

  @Override
  public boolean keepsChecksums() {
    return inner.keepsChecksums();
  }

  @Override
  public Optional<StoreChecksum> checksum(String key) throws IOException {
    return inner.checksum(key);
  }

  @Override
  public void prepare(boolean create) throws IOException {
    inner.prepare(create);
  }

  @Override
  public Optional<URL> presignedGetUrl(String key, Duration validity) throws IOException {
    return inner.presignedGetUrl(key, validity);
  }

  @Override
  public boolean listsInKeyOrder() {
    return inner.listsInKeyOrder();
  }

  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return inner.serverSideCopy();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
