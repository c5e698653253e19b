package io.copyjob.pipeline;

/** Another run holds the job's lease; the message says who and until when, on one line. */
public class LeaseHeldException extends JobException {
  public LeaseHeldException(String message) {
    super(message);
  }
}
