package io.copyjob.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The content of a listed file as {@link Store#open(FileInfo)} gives it for a copy: exactly the
 * listed size. When the bytes read reach that size, the source must be at its end (and, where the
 * store checks more, still the listed file) before the last of them are handed out; a source that
 * ends early, runs on or changed fails the read with a {@link SourceChangedException}. A reader
 * such as a sink's upload therefore never receives the whole listed size from a changed source, so
 * no sink completes a file from one.
 *
 * <p>The first failure of the source is kept ({@link #failure}): a sink that wraps it in an error
 * of its own does not hide it from the caller.
 */
public class SourceStream extends FilterInputStream {
  private final FileInfo file;
  private final String where;
  private long count;
  private long marked;
  private boolean ended;
  private IOException failure;

  /**
   * @param in the store's stream of the file's content
   * @param file the file as the store found it on opening: the listed one, with what the opening
   *     learnt of it (such as an MD5 the listing could not give)
   * @param where the file as a person can find it, for error messages
   */
  public SourceStream(InputStream in, FileInfo file, String where) {
    super(in);
    this.file = Objects.requireNonNull(file);
    this.where = where;
  }

  /** The file being read: its listed size and version, and its MD5 where known. */
  public FileInfo file() {
    return file;
  }

  /** The file as a person can find it. */
  public String where() {
    return where;
  }

  /** The bytes handed out so far. */
  public long count() {
    return count;
  }

  /** The first failure of reading the source, or null. */
  public IOException failure() {
    return failure;
  }

  /**
   * Called once the listed size was read and the source is at its end, before the last bytes are
   * handed out: a store whose files carry no version checks here that the file is still the listed
   * one, and throws {@link SourceChangedException} when it is not.
   */
  protected void checkUnchanged() throws IOException {}

  /**
   * What a failure of the underlying stream means: a store turns its answer to a read of a version
   * that is gone (HTTP 412 to an If-Match) into a {@link SourceChangedException}.
   */
  protected IOException translate(IOException e) {
    return e;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    Objects.checkFromIndexSize(offset, length, buffer.length);
    if (failure != null) {
      throw failure;
    }
    if (length == 0) {
      return 0;
    }
    long left = file.size() - count;
    if (left == 0) {
      end();
      return -1;
    }
    int n;
    try {
      n = in.read(buffer, offset, (int) Math.min(length, left));
    } catch (IOException e) {
      throw fail(translate(e));
    }
    if (n < 0) {
      throw fail(
          new SourceChangedException(
              where, "it ended after " + count + " of the listed " + file.size() + " bytes", null));
    }
    if (count + n == file.size()) {
      end(); // before the last bytes are handed out
    }
    count += n;
    return n;
  }

  /** The listed size was read: the source must end here and still be the listed file. */
  private void end() throws IOException {
    if (ended) {
      return;
    }
    int next;
    try {
      next = in.read();
    } catch (IOException e) {
      throw fail(translate(e));
    }
    if (next != -1) {
      throw fail(
          new SourceChangedException(
              where, "it has more than the listed " + file.size() + " bytes", null));
    }
    try {
      checkUnchanged();
    } catch (IOException e) {
      throw fail(e);
    }
    ended = true;
  }

  private IOException fail(IOException e) {
    if (failure == null) {
      failure = e;
    }
    return e;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] scratch = new byte[(int) Math.min(Math.max(n, 0), 8192)];
    long left = n;
    while (left > 0) {
      int read = read(scratch, 0, (int) Math.min(scratch.length, left));
      if (read < 0) {
        break;
      }
      left -= read;
    }
    return n - Math.max(left, 0);
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(in.available(), file.size() - count);
  }

  /** Marks where the underlying stream can (an SDK sending the bytes again on a retry). */
  @Override
  public synchronized void mark(int readLimit) {
    // One byte more: the check for the end reads one byte past the listed size.
    in.mark(readLimit == Integer.MAX_VALUE ? readLimit : readLimit + 1);
    marked = count;
  }

  @Override
  public synchronized void reset() throws IOException {
    in.reset();
    count = marked;
    ended = false;
  }
}
