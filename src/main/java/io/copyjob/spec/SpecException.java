package io.copyjob.spec;

/** A job file that cannot be used; the message is one line naming the file, field or line. */
public class SpecException extends RuntimeException {
  public SpecException(String message) {
    super(message);
  }
}
