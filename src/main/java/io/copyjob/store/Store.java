package io.copyjob.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The contract every store meets: a root (a bucket, a container, a folder) holding files by key.
 *
 * <p>Keys are relative to {@link #root()}, use '/' as separator and never start with '/'. A prefix
 * is a key prefix exactly as S3's ListObjects treats one: {@code a} covers {@code a/x}, {@code
 * apple.csv} and {@code ab/c}. Directories, where a store has them, are never listed as files.
 *
 * <p>A store is opened once per worker (in a DoFn's {@code @Setup}) and used from many threads at
 * once: implementations are thread-safe.
 *
 * <p>Optional capabilities are asked for ({@link #serverSideCopy()}); the engine never asks which
 * store it is.
 */
public interface Store extends AutoCloseable {
  /**
   * What {@link #timeResolution} answers for a store that says nothing: FAT's two seconds, the
   * coarsest in common use, so that a window rounded down to it misses nothing on any store.
   */
  Duration DEFAULT_TIME_RESOLUTION = Duration.ofSeconds(2);

  /** The root URI this store was opened on, ending in '/'. */
  URI root();

  /**
   * Streams the files whose key starts with {@code prefix}, paged under the hood.
   *
   * @param recursive when false, only keys with no '/' after the prefix
   */
  Listing list(String prefix, boolean recursive) throws IOException;

  /**
   * How coarse the LastModified times of {@link #list} are: a file changed at instant {@code t} is
   * listed no earlier than {@code t} rounded down to a multiple of this (counted from the epoch). A
   * delta window's start is rounded down to it, so that a file changed in the start's second, after
   * the start, is not taken for an older one. S3 and Azure list whole seconds.
   */
  default Duration timeResolution() {
    return DEFAULT_TIME_RESOLUTION;
  }

  /**
   * The clock that stamps this store's files, read now: a file changed after this call is listed no
   * earlier than the answer rounded down to {@link #timeResolution}. A service's clock comes from a
   * cheap request (its {@code Date} header); empty when the store has no clock to ask, and this
   * machine's then stands for it. A delta window ends here, so that a client clock ahead of the
   * store's loses nothing.
   */
  default Optional<Instant> now() throws IOException {
    return Optional.empty();
  }

  /**
   * The file at exactly {@code key}, or empty when there is none. A key the store cannot hold under
   * that name ({@link #keyProblem}) has no file: a stat never answers for a renamed one.
   */
  Optional<FileInfo> stat(String key) throws IOException;

  /** Opens the file's content for streaming. Throws {@link java.io.FileNotFoundException}. */
  InputStream open(String key) throws IOException;

  /**
   * Opens a listed file for a copy: the content of the version that was listed, exactly its listed
   * size. A file that changed since it was listed (another version, size or modification time)
   * fails the open, or the read at the latest before the last listed byte is handed out, with a
   * {@link SourceChangedException} naming the file; a file no longer there throws {@link
   * java.io.FileNotFoundException}.
   *
   * <p>Stores with versions send the listed one as a condition of every request of the read (S3
   * GetObject If-Match, Azure download If-Match for each chunk); local files are checked at the end
   * for the listed size and modification time. The default opens whatever is at the key now, held
   * to the listed size: a store that can do better overrides it, and a store that wraps another
   * forwards it.
   *
   * @return the content, with {@link SourceStream#file()} the file as the store found it on opening
   *     (what a sink is told of it: size, MD5, version)
   */
  default SourceStream open(FileInfo file) throws IOException {
    return new SourceStream(open(file.key()), file, root() + file.key());
  }

  /**
   * Writes the content of {@code source} (its {@code size} bytes, read from {@code content}) to
   * {@code key}, replacing any file there. The file becomes visible only when complete: a failed
   * put leaves the old file or none, never a partial one. Memory use is bounded whatever the size.
   *
   * @param source the file being copied: its size, its MD5 when known before the write (so that
   *     stores which can have the server verify it do) and its metadata to keep (last modified)
   * @return the written file as the store now reports it, at exactly {@code key}: its size and the
   *     MD5 of the bytes it was given (computed as they passed, or the service's own, which it
   *     checked against the source's MD5 where that was given); callers verify both against the
   *     source, so the bytes are hashed once per copy. A key the store would hold under another
   *     name never gets here: {@link #keyProblem} refuses it first
   */
  FileInfo put(String key, InputStream content, FileInfo source) throws IOException;

  /**
   * Why this store cannot hold a file under exactly {@code key}, or empty when it can: a name it
   * would refuse, or store, list or read back under another name (a local folder resolves {@code
   * a/../x} to {@code x}; Azure stores {@code a\x} as {@code a/x}). The engine asks before it
   * writes, so such a file fails with this reason instead of landing under another name. The reason
   * is a phrase that follows the key ("has a '..' segment, which ..."). Each store keeps its rules
   * in one {@link KeyRules} list.
   */
  Optional<String> keyProblem(String key);

  /** Removes the file; no error when it is not there. */
  void delete(String key) throws IOException;

  /**
   * This store, with what its writes leave behind while they are in progress (a local folder's
   * hidden temporary files) named after {@code owner}, so that {@link #removeLeftovers} finds them
   * if their process is killed. A store whose writes leave nothing to name returns itself.
   */
  default Store ownedBy(TempOwner owner) {
    return this;
  }

  /**
   * Removes, below {@code prefix}, what writes of {@code owner}'s job left behind (temporary files
   * of a killed run), except those of {@code owner}'s own run, and returns how many it removed.
   * Only the job's lease makes this safe: it guarantees that no other run of the job is writing.
   */
  default long removeLeftovers(String prefix, TempOwner owner) throws IOException {
    return 0;
  }

  /**
   * The MD5 (hex) of the file's content: the store's own when it keeps one, else computed by
   * reading the file.
   */
  default String md5(String key) throws IOException {
    Optional<FileInfo> info = stat(key);
    if (info.isPresent() && info.get().md5() != null) {
      return info.get().md5();
    }
    try (InputStream in = open(key)) {
      return Checksums.md5Hex(in);
    }
  }

  /**
   * True when this store keeps a checksum of its own of each file ({@link #checksum}) that another
   * store of the kind may compare: the engine asks both ends for theirs only when both say so, and
   * then verifies a copy, and compares a file already at the sink, by them instead of by MD5
   * wherever the two are comparable ({@link StoreChecksum#comparableWith}).
   */
  default boolean keepsChecksums() {
    return false;
  }

  /**
   * The store's own checksum of the file, made without reading it (HDFS: by the DataNodes, from the
   * CRCs they keep), or empty when it has none for this file. A sink given a source file with one
   * ({@link FileInfo#checksum}) writes its copy so that its own compares where it can (HDFS: in the
   * source's block size) and returns its checksum of the written file with the rest.
   */
  default Optional<StoreChecksum> checksum(String key) throws IOException {
    return Optional.empty();
  }

  /**
   * Checks that the root can be reached (credentials, bucket or container) and, when {@code create}
   * and the store's connection allows it, creates a missing bucket or container. Throws one
   * IOException whose message names the connection and what is wrong, never a secret.
   */
  default void prepare(boolean create) throws IOException {}

  /**
   * A URL from which anyone holding it can read the file for {@code validity}, where the store can
   * make one (an S3 presigned GET): what a sink's server-side copy from another service reads.
   */
  default Optional<java.net.URL> presignedGetUrl(String key, java.time.Duration validity)
      throws IOException {
    return Optional.empty();
  }

  /**
   * True when {@link #list} gives keys in increasing order of their UTF-8 bytes, as S3 and Azure
   * do: the engine then learns what the sink holds from one listing instead of a request per file.
   */
  default boolean listsInKeyOrder() {
    return false;
  }

  /** Server-side copy into this store, where the store can do one. */
  default Optional<ServerSideCopy> serverSideCopy() {
    return Optional.empty();
  }

  @Override
  default void close() throws IOException {}
}
