package io.copyjob.cli;

import io.copyjob.pipeline.JobException;

/** A command line whose arguments cannot be used as given: exit code 2, like a bad job file. */
final class UsageException extends JobException {
  UsageException(String message) {
    super(message);
  }
}
