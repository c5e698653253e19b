package io.copyjob.tabular;

import java.io.IOException;

/** A piece whose rows cannot be read further; the message is one line naming the file and line. */
public class RowReadException extends IOException {
  public RowReadException(String message, Throwable cause) {
    super(message, cause);
  }
}
