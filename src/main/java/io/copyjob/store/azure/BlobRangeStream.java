package io.copyjob.store.azure;

import com.azure.core.util.Context;
import com.azure.storage.blob.models.BlobDownloadHeaders;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import io.copyjob.store.RequestTimeouts;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/**
 * A blob read in ranges of {@link #RANGE} bytes, each one call bounded by {@link RequestTimeouts}.
 * The SDK's own {@code openInputStream} blocks on each range without a timeout and resumes a body
 * that stopped flowing up to five times, so a stalled server held a copy for many request timeouts.
 * The first range, read when the stream is opened (a missing blob fails there), gives the blob's
 * length and ETag; the next ones are read If-Match that ETag, so a blob replaced while it is read
 * fails rather than mixing two versions. Opened with a listed ETag, every range is read If-Match
 * it, the first one too: a blob replaced since its listing fails (HTTP 412) rather than being read.
 */
final class BlobRangeStream extends InputStream {
  /** What the SDK's BlobInputStream reads per request, and what one open stream holds. */
  static final int RANGE = 4 << 20;

  private final BlockBlobClient blob;
  private final RequestTimeouts timeouts;
  private final String where;
  private final Function<RuntimeException, IOException> errors;
  private byte[] buffer = new byte[0];
  private int position;
  private long offset;
  private long length = -1;
  private String eTag;

  private BlobRangeStream(
      BlockBlobClient blob,
      RequestTimeouts timeouts,
      String where,
      String eTag,
      Function<RuntimeException, IOException> errors) {
    this.blob = blob;
    this.timeouts = timeouts;
    this.where = where;
    this.eTag = eTag;
    this.errors = errors;
  }

  /**
   * Opens {@code blob}, reading its first range.
   *
   * @param where the blob's name in messages
   * @param eTag the version to read (If-Match on every range), or null for whatever is there now
   * @param errors turns the SDK's failures into IOExceptions that name the connection
   * @throws FileNotFoundException when there is no such blob
   */
  static InputStream open(
      BlockBlobClient blob,
      RequestTimeouts timeouts,
      String where,
      String eTag,
      Function<RuntimeException, IOException> errors)
      throws IOException {
    BlobRangeStream stream = new BlobRangeStream(blob, timeouts, where, eTag, errors);
    stream.fill();
    return stream;
  }

  @Override
  public int read() throws IOException {
    if (position == buffer.length && !fill()) {
      return -1;
    }
    return buffer[position++] & 0xff;
  }

  @Override
  public int read(byte[] into, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (position == buffer.length && !fill()) {
      return -1;
    }
    int n = Math.min(len, buffer.length - position);
    System.arraycopy(buffer, position, into, off, n);
    position += n;
    return n;
  }

  /** Reads the next range into the buffer; false at the end of the blob. */
  private boolean fill() throws IOException {
    if (length >= 0 && offset >= length) {
      return false;
    }
    int size = (int) (length < 0 ? RANGE : Math.min(RANGE, length - offset));
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    try {
      BlobDownloadHeaders headers =
          blob.downloadStreamWithResponse(
                  out,
                  new BlobRange(offset, (long) size),
                  // No resuming inside the call: a body that stops flowing fails the call, whose
                  // bound is the range's; the copy's own retries start over.
                  new DownloadRetryOptions().setMaxRetryRequests(0),
                  eTag == null ? null : new BlobRequestConditions().setIfMatch(eTag),
                  false,
                  timeouts.call(size),
                  Context.NONE)
              .getDeserializedHeaders();
      if (length < 0) {
        length = totalLength(headers);
        if (eTag == null) {
          eTag = headers.getETag();
        }
      }
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 416 && offset == 0) {
        length = 0; // an empty blob has no first range to read
        return false;
      }
      if (e.getStatusCode() == 404) {
        throw new FileNotFoundException(where);
      }
      throw errors.apply(e);
    } catch (RuntimeException e) {
      throw errors.apply(e);
    }
    buffer = out.toByteArray();
    position = 0;
    offset += buffer.length;
    if (buffer.length == 0 && offset < length) {
      throw new IOException(where + ": an empty range at " + offset + " of " + length + " bytes");
    }
    return buffer.length > 0;
  }

  /** The blob's length from a range's {@code Content-Range: bytes 0-99/1234}. */
  private static long totalLength(BlobDownloadHeaders headers) {
    String range = headers.getContentRange();
    if (range != null && range.contains("/")) {
      return Long.parseLong(range.substring(range.lastIndexOf('/') + 1).trim());
    }
    return headers.getContentLength() == null ? 0 : headers.getContentLength();
  }
}
