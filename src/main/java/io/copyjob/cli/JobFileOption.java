package io.copyjob.cli;

import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.nio.file.Path;
import picocli.CommandLine.Parameters;

/** The job file every command takes first. */
final class JobFileOption {
  @Parameters(index = "0", paramLabel = "JOB.yaml", description = "The job file.")
  Path jobFile;

  JobSpec parse() {
    return JobSpecParser.parse(jobFile);
  }
}
