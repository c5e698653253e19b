package io.copyjob.store;

import java.io.Serializable;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * How long a store waits for its server, from {@code copy.requestTimeout}, and what it makes of
 * silence.
 *
 * <p>{@link #request()} is the longest a request may go without progress: to connect, to get the
 * answer's headers, between two reads or writes of a body. The SDKs apply it where they can (socket
 * and Netty timeouts). A whole operation is bounded too, because a write into a stalled connection
 * blocks with no timeout of its own and a trickle resets the idle timers: one attempt may take two
 * request timeouts plus one more for every {@value #BYTES_PER_TIMEOUT} bytes it moves (a floor of 4
 * MiB per request timeout, about 68 KiB/s per transfer at the default 60 s), and one call, the
 * SDK's own retries included, one request timeout more than its attempt. So a retry after a quick
 * fault (a 503, a reset) fits in the call, a second stall does not, and a call into a dead server
 * ends in about three request timeouts whatever the SDK's retry count.
 *
 * @param request the longest a request may go without progress
 */
public record RequestTimeouts(Duration request) implements Serializable {
  public static final RequestTimeouts DEFAULT = new RequestTimeouts(Duration.ofSeconds(60));

  /** Bytes a body may take one more request timeout for: the floor rate of a transfer. */
  public static final long BYTES_PER_TIMEOUT = 4L << 20;

  public RequestTimeouts {
    if (request == null || request.isNegative() || request.isZero()) {
      throw new IllegalArgumentException("a request timeout must be positive, got " + request);
    }
  }

  /**
   * The longest one attempt of a request moving {@code bytes} (0: no body to speak of) may take.
   */
  public Duration attempt(long bytes) {
    double timeouts = 2 + (double) Math.max(0, bytes) / BYTES_PER_TIMEOUT;
    return Duration.ofMillis((long) Math.ceil(request.toMillis() * timeouts));
  }

  /** The longest one call moving {@code bytes} may take, the SDK's retries included. */
  public Duration call(long bytes) {
    return attempt(bytes).plus(request);
  }

  /**
   * Why the server gave no answer, when that is what {@code e} (or one of its causes) says: "timed
   * out", "connection refused", "connection reset" or "connection closed before the answer"; null
   * when the server did answer (an error status is an answer) or the failure is not the network's.
   * The SDKs' own timeout and closed-connection exceptions are known by their class names, so that
   * this contract depends on no SDK.
   */
  public static String noAnswer(Throwable e) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = e; t != null && seen.put(t, true) == null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      if (t instanceof SocketTimeoutException
          || t instanceof TimeoutException
          || name.endsWith("TimeoutException") // the AWS SDK's call and attempt, Apache's connect
          || (t instanceof IllegalStateException // Reactor's Mono.block(Duration), as Azure's
              && String.valueOf(t.getMessage()).startsWith("Timeout on blocking read"))) {
        return "timed out";
      }
      if (t instanceof ConnectException) {
        return "connection refused";
      }
      if (name.equals("NoHttpResponseException") // Apache
          || name.equals("ConnectionClosedException") // Apache: a body cut short
          || name.equals("PrematureCloseException") // Reactor Netty
          || name.equals("ClosedChannelException")) {
        return "connection closed before the answer";
      }
      if (t instanceof SocketException) {
        return "connection reset";
      }
    }
    return null;
  }

  /**
   * The message of a store's failure that {@link #noAnswer} recognised.
   *
   * @param address the host:port the store's requests go to
   */
  public static String describe(String reason, String address) {
    return switch (reason) {
      case "timed out" -> "timed out (copy.requestTimeout)";
      case "connection refused" -> "nothing answers at " + address + " (connection refused)";
      default -> reason;
    };
  }

  /** The host:port of {@code endpoint}, with the default port of its scheme when it names none. */
  public static String address(java.net.URI endpoint) {
    int port = endpoint.getPort();
    if (port < 0) {
      port = "http".equalsIgnoreCase(endpoint.getScheme()) ? 80 : 443;
    }
    return endpoint.getHost() + ":" + port;
  }
}
