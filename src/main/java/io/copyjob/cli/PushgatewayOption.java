package io.copyjob.cli;

import io.copyjob.monitor.Pushgateway;
import io.copyjob.spec.JobSpec;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --pushgateway URL} of the commands that run the job ({@code run}, {@code schedule}). */
final class PushgatewayOption {
  @Option(
      names = "--pushgateway",
      paramLabel = "URL",
      description =
          "After each run, push the job's metrics (those of copyjob ui's /metrics) to the"
              + " Prometheus Pushgateway at URL, e.g. http://pushgateway:9091.")
  String url;

  /** The gateway, checked before any run starts; null without the option. */
  Pushgateway gateway() {
    if (url == null) {
      return null;
    }
    try {
      return Pushgateway.at(url);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /**
   * Pushes after a run. A gateway that is down does not change the run's outcome or exit code: the
   * run is recorded in the control store either way, and the warning says what was not pushed.
   */
  static void push(Pushgateway gateway, JobSpec spec, PrintWriter err) {
    if (gateway == null) {
      return;
    }
    try {
      gateway.push(spec);
    } catch (Exception e) {
      err.println(
          "copyjob: warning: the metrics of job '"
              + spec.name()
              + "' were not pushed: "
              + CopyJob.describe(e));
      err.flush();
    }
  }
}
