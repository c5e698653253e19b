package io.copyjob.control;

/**
 * The job's lease is no longer this run's: another run took it after it expired, or it was
 * released. A run that sees this stops copying; the message is one line for the user.
 */
public class LeaseLostException extends IllegalStateException {
  public LeaseLostException(String message) {
    super(message);
  }
}
