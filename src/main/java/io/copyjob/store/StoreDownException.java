package io.copyjob.store;

import java.io.IOException;

/**
 * A call not made because the store's server has not answered for a while (see {@link
 * CircuitBreakerStore}): the file fails with this reason at once, and retrying it now is pointless.
 */
public final class StoreDownException extends IOException {
  public StoreDownException(String message) {
    super(message);
  }
}
