package io.copyjob.cli;

import io.copyjob.spec.JobSpec;

/** Temporary: the settings used, for the run history. */
final class Settings {
  private Settings() {}

  static String json(JobSpec spec) {
    return "{}";
  }
}
