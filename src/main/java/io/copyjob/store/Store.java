package io.copyjob.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
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

  /** The root URI this store was opened on, ending in '/'. */
  URI root();

  /**
   * Streams the files whose key starts with {@code prefix}, paged under the hood.
   *
   * @param recursive when false, only keys with no '/' after the prefix
   */
  Listing list(String prefix, boolean recursive) throws IOException;

  /**
   * The file at exactly {@code key}, or empty when there is none. A key the store cannot hold under
   * that name ({@link #keyProblem}) has no file: a stat never answers for a renamed one.
   */
  Optional<FileInfo> stat(String key) throws IOException;

  /** Opens the file's content for streaming. Throws {@link java.io.FileNotFoundException}. */
  InputStream open(String key) throws IOException;

  /**
   * Writes the content of {@code source} (its {@code size} bytes, read from {@code content}) to
   * {@code key}, replacing any file there. The file becomes visible only when complete: a failed
   * put leaves the old file or none, never a partial one. Memory use is bounded whatever the size.
   *
   * @param source the file being copied: its size, its MD5 when known before the write (so that
   *     stores which can have the server verify it do) and its metadata to keep (last modified)
   * @return the written file as the store now reports it: its size and the MD5 of the bytes it was
   *     given (computed as they passed, or the service's own, which it checked against the source's
   *     MD5 where that was given); callers verify both against the source, so the bytes are hashed
   *     once per copy
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
