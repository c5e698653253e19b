package io.copyjob.pipeline;

/** A run that could not start or could not finish; the message is one line for the user. */
public class JobException extends RuntimeException {
  public JobException(String message) {
    super(message);
  }

  public JobException(String message, Throwable cause) {
    super(message, cause);
  }
}
