package io.copyjob.cli;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.monitor.RunJson;
import io.copyjob.monitor.RunReport;
import io.copyjob.spec.JobSpec;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code copyjob history JOB.yaml}: the last runs with their totals, or one run in detail. */
@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    description = "Shows the job's last runs with their totals, or one run's partitions (--run).")
final class HistoryCommand implements Callable<Integer> {
  @Mixin JobFileOption job;

  @Option(
      names = "--limit",
      defaultValue = "20",
      description = "How many runs. Default: ${DEFAULT-VALUE}.")
  int limit;

  @Option(
      names = "--run",
      paramLabel = "N",
      description = "Show the job's run N (as history numbers them) and its partitions.")
  Long runNumber;

  @Option(
      names = "--files",
      description = "With --run: list the run's files (copied, skipped, failed) from its manifest.")
  boolean files;

  @Option(names = "--failed", description = "With --files: only the files that failed.")
  boolean failedOnly;

  @Option(
      names = "--json",
      description = "Print JSON (the runs, or the run with its partitions) for scripts.")
  boolean json;

  @Spec CommandSpec commandSpec;

  @Override
  public Integer call() throws Exception {
    JobSpec spec = job.parse();
    PrintWriter out = commandSpec.commandLine().getOut();
    if ((files || failedOnly) && runNumber == null) {
      throw new UsageException("--files: name the run with --run N");
    }
    if (failedOnly && !files) {
      throw new UsageException("--failed: only with --files");
    }
    try (ControlStore control = ControlStore.open(spec.control())) {
      // A run whose process was killed is RUNNING until someone looks: say what it is.
      control.abandonDeadRuns(spec.name());
      if (runNumber == null && json) {
        out.print(RunJson.text(RunJson.runs(control.history(spec.name(), limit))));
      } else if (runNumber == null) {
        out.print(RunReport.history(control.history(spec.name(), limit), spec.isTabular()));
      } else {
        RunRecord run =
            control
                .run(spec.name(), runNumber)
                .orElseThrow(
                    () ->
                        new UsageException(
                            "--run: job '" + spec.name() + "' has no run " + runNumber));
        if (files) {
          java.util.List<io.copyjob.control.FileRecord> manifest =
              control.files(run.runId(), failedOnly);
          out.print(json ? RunJson.text(RunJson.files(manifest)) : RunReport.files(manifest));
          out.flush();
          return 0;
        }
        if (json) {
          com.fasterxml.jackson.databind.node.ObjectNode node = RunJson.run(run);
          node.set(
              spec.isTabular() ? "tables" : "partitions",
              RunJson.partitions(control.partitionRuns(run.runId())));
          io.copyjob.monitor.LiveProgress live = io.copyjob.monitor.LiveProgress.read(control, run);
          RunJson.progress(node.putObject("time"), live.total());
          com.fasterxml.jackson.databind.node.ArrayNode times = node.putArray("partitionTimes");
          live.partitions().forEach(p -> RunJson.progress(times.addObject(), p));
          java.util.List<io.copyjob.control.RoundRecord> rounds = control.rounds(run.runId());
          if (!rounds.isEmpty()) {
            node.set("rounds", io.copyjob.monitor.RoundReport.json(rounds));
          }
          out.print(RunJson.text(node));
          out.flush();
          return 0;
        }
        out.print(RunReport.summary(run, java.util.List.of(), spec.isTabular(), null));
        out.println("  settings    " + run.settings());
        out.println();
        out.print(
            spec.isTabular()
                ? RunReport.tableRuns(control.partitionRuns(run.runId()))
                : RunReport.partitionRuns(control.partitionRuns(run.runId())));
        io.copyjob.monitor.LiveProgress live = io.copyjob.monitor.LiveProgress.read(control, run);
        if (!live.partitions().isEmpty()) {
          out.println();
          out.println("where the time went (summed over each partition's transfers):");
          out.print(RunReport.timeLines(live.total()));
          out.print(RunReport.timeTable(live.partitions()));
        }
        java.util.List<io.copyjob.control.RoundRecord> rounds = control.rounds(run.runId());
        if (!rounds.isEmpty()) {
          out.println();
          out.print(io.copyjob.monitor.RoundReport.line(rounds).stripLeading());
          out.print(io.copyjob.monitor.RoundReport.table(rounds));
        }
      }
    }
    out.flush();
    return 0;
  }
}
