package io.copyjob.store.s3;

import io.copyjob.store.RequestTimeouts;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.util.Map;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * S3's answers as IOExceptions with one line that names the connection and what is wrong, never a
 * secret. A refusal (403) is an {@link AccessDeniedException}: trying again cannot help.
 */
final class S3Errors {
  /** What S3's codes for a refusal mean, where the code alone does not say it. */
  private static final Map<String, String> REFUSALS =
      Map.of(
          "InvalidAccessKeyId", "the server knows no such access key id",
          "SignatureDoesNotMatch", "the secret access key does not match the access key id",
          "AccessDenied", "the credentials are not allowed this request",
          "RequestTimeTooSkewed", "this machine's clock is too far from the server's");

  private final String connection;
  private final String address;

  /**
   * @param connection the connection's name
   * @param address the host:port its requests go to, named when nothing answers there
   */
  S3Errors(String connection, String address) {
    this.connection = connection;
    this.address = address;
  }

  /** {@code e} as one line: "connection 'aws': {what}: {what is wrong}". */
  IOException io(String what, Exception e) {
    String prefix = prefix(what);
    String silence = RequestTimeouts.noAnswer(e);
    if (silence != null) {
      return new IOException(prefix + RequestTimeouts.describe(silence, address), e);
    }
    if (e instanceof S3Exception s3) {
      int status = s3.statusCode();
      String code = code(s3);
      if (status == 403) {
        return denied(prefix + refusal(code, s3) + "; check its credentials", e);
      }
      if (status == 404) {
        return new FileNotFoundException(prefix + "not found (" + code + ")");
      }
      return new IOException(prefix + code + " (HTTP " + status + ")", e);
    }
    return new IOException(prefix + e.getClass().getSimpleName() + ": " + firstLine(e), e);
  }

  /**
   * A refusal of one key by a server that takes the connection's credentials for its bucket: the
   * key is what it refused, not the credentials. A key with "//" is one: the SDK's HTTP client
   * sends it as "/%2F" (the Apache client would collapse "//") while it signs "//"; S3 decodes the
   * path before it checks the signature, but a server that checks it against the path as sent
   * (s3proxy) answers SignatureDoesNotMatch.
   */
  IOException keyRefused(String what, String key, S3Exception e) {
    String code = code(e);
    return denied(
        prefix(what)
            + "the server refused the key '"
            + key
            + "' ("
            + (code == null ? "HTTP 403" : code)
            + ") though it takes this connection's credentials for the bucket"
            + (key.contains("//")
                ? ": the AWS SDK sends '//' in a key as '/%2F', which S3 takes and some"
                    + " S3-compatible servers (s3proxy) refuse"
                : ""),
        e);
  }

  private String prefix(String what) {
    return "connection '" + connection + "': " + what + ": ";
  }

  /** The error code of S3's answer; null for an answer without a body (to a HEAD request). */
  static String code(S3Exception e) {
    return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
  }

  private static String refusal(String code, S3Exception e) {
    if (code == null) {
      // A HEAD has no body to say why; S3 answers 403 to wrong credentials and to a missing right.
      return "access denied (HTTP 403 without a reason)";
    }
    String meaning = REFUSALS.get(code);
    return "access denied (" + code + (meaning == null ? "" : ": " + meaning) + ")";
  }

  private static AccessDeniedException denied(String message, Exception cause) {
    AccessDeniedException denied = new AccessDeniedException(null, null, message);
    denied.initCause(cause);
    return denied;
  }

  private static String firstLine(Exception e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }
}
