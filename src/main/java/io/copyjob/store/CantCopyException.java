package io.copyjob.store;

import java.io.IOException;

/**
 * A store's specific refusal of a server-side copy (the source is unreachable from the sink, the
 * operation is not implemented). The engine falls back to streaming on this signal alone; any other
 * exception is an error of the copy.
 */
public class CantCopyException extends IOException {
  public CantCopyException(String message, Throwable cause) {
    super(message, cause);
  }
}
