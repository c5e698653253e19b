package io.copyjob.store.s3;

import io.copyjob.store.RequestTimeouts;
import java.io.FileNotFoundException;
import java.io.IOException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** S3's answers as IOExceptions with one line that names the connection and never a secret. */
final class S3Errors {
  private S3Errors() {}

  static IOException io(String connection, String what, Exception e) {
    String prefix = "connection '" + connection + "': " + what + ": ";
    String silence = RequestTimeouts.noAnswer(e);
    if (silence != null) {
      return new IOException(prefix + RequestTimeouts.describe(silence), e);
    }
    if (e instanceof S3Exception s3) {
      int status = s3.statusCode();
      String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
      if (status == 403
          || "InvalidAccessKeyId".equals(code)
          || "SignatureDoesNotMatch".equals(code)) {
        return new IOException(prefix + "access denied (" + code + "); check its credentials", e);
      }
      if (status == 404) {
        return new FileNotFoundException(prefix + "not found (" + code + ")");
      }
      return new IOException(prefix + code + " (HTTP " + status + ")", e);
    }
    return new IOException(prefix + e.getClass().getSimpleName() + ": " + firstLine(e), e);
  }

  private static String firstLine(Exception e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }
}
