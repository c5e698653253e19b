package io.copyjob.cli;

import picocli.CommandLine.Option;

/** The runner options of every command that runs the job ({@code run}, {@code schedule}). */
final class RunnerChoice {
  @Option(
      names = "--runner",
      defaultValue = "direct",
      description = "direct (this machine) or flink. Default: ${DEFAULT-VALUE}.")
  String runner;

  @Option(
      names = "--flink-master",
      paramLabel = "HOST:PORT",
      description = "The Flink JobManager, or [local] for an embedded cluster. Default: [local].")
  String flinkMaster;
}
