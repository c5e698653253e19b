package io.copyjob.store.azure;

import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import io.copyjob.store.RequestTimeouts;
import java.io.FileNotFoundException;
import java.io.IOException;

/** Azure's answers as IOExceptions with one line naming the connection, never a secret. */
final class AzureErrors {
  private final String connection;
  private final String address;

  /**
   * @param connection the connection's name
   * @param address the host:port of its endpoint, named when nothing answers there
   */
  AzureErrors(String connection, String address) {
    this.connection = connection;
    this.address = address;
  }

  /** {@code e} as one line: "connection 'lake': {what}: {what is wrong}". */
  IOException io(String what, RuntimeException e) {
    String prefix = "connection '" + connection + "': " + what + ": ";
    String silence = RequestTimeouts.noAnswer(e);
    if (silence != null) {
      return new IOException(prefix + RequestTimeouts.describe(silence, address), e);
    }
    if (e instanceof BlobStorageException b) {
      int status = b.getStatusCode();
      String code = b.getErrorCode() == null ? "" : b.getErrorCode().toString();
      if (status == 403) {
        return new IOException(prefix + "access denied (" + code + "); check its credentials", e);
      }
      if (status == 404) {
        return new FileNotFoundException(prefix + "not found (" + code + ")");
      }
      return new IOException(prefix + code + " (HTTP " + status + ")", e);
    }
    // The SDK's own messages can carry a request URL; a SAS in one would be a secret.
    String message =
        e.getMessage() == null ? "" : e.getMessage().replaceAll("sig=[^&\\s]*", "sig=***");
    int end = message.indexOf('\n');
    return new IOException(
        prefix
            + e.getClass().getSimpleName()
            + ": "
            + (end < 0 ? message : message.substring(0, end)),
        e);
  }

  /** The service's answer inside an exception the SDK wrapped around it, or null. */
  static BlobStorageException storageCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BlobStorageException b) {
        return b;
      }
    }
    return null;
  }

  /**
   * Whether the service refused to copy from a URL as such (it cannot reach or will not read the
   * source), rather than failing for a reason that streaming would meet too.
   */
  static boolean isCopyRefusal(BlobStorageException e) {
    BlobErrorCode code = e.getErrorCode();
    return e.getStatusCode() == 501
        || e.getStatusCode() == 500
        || BlobErrorCode.CANNOT_VERIFY_COPY_SOURCE.equals(code)
        || "APINotImplemented".equals(code == null ? null : code.toString())
        || BlobErrorCode.FEATURE_VERSION_MISMATCH.equals(code);
  }
}
