package io.copyjob.store;

import java.io.IOException;

/**
 * The source file is no longer the one that was listed: another version, another size or a later
 * modification. Retrying does not help (the next run lists the file again); the copy of this file
 * fails with this reason, and no sink keeps what was read of it.
 */
public class SourceChangedException extends IOException {
  /**
   * @param where the file, as a URI or path a person can find it by
   * @param how what was found instead of the listed file
   */
  public SourceChangedException(String where, String how, Throwable cause) {
    super(where + " changed since it was listed (" + how + ")", cause);
  }
}
