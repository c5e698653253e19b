package io.copyjob.tabular;

/**
 * A value that cannot go into its column, with why: the row is rejected (or fails its table).
 * Thrown per bad value, so it carries no stack trace.
 */
public final class Incompatible extends Exception {
  public Incompatible(String reason) {
    super(reason, null, false, false);
  }
}
