package io.copyjob.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.control.ControlStore;
import io.copyjob.control.Lease;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.PartitionState;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.monitor.RunJson;
import io.copyjob.monitor.RunReport;
import io.copyjob.monitor.Units;
import io.copyjob.spec.JobSpec;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code copyjob status JOB.yaml}: where the job's last run stands, read from the control store
 * alone, so it answers for a run started on another machine or on a Flink cluster: a running run's
 * partitions (tables) finished so far with their files, bytes and rows, when its lease's keepers
 * last saw it alive, and whether that is too long ago (stale: its process is gone).
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Shows where the job's last run stands (a running run's progress so far, or how it"
            + " ended), from the control store: for runs started anywhere.")
final class StatusCommand implements Callable<Integer> {
  @Mixin JobFileOption job;

  @Option(names = "--json", description = "Print JSON for scripts.")
  boolean json;

  @Spec CommandSpec commandSpec;

  @Override
  public Integer call() throws Exception {
    JobSpec spec = job.parse();
    PrintWriter out = commandSpec.commandLine().getOut();
    try (ControlStore control = ControlStore.open(spec.control())) {
      List<RunRecord> last = control.history(spec.name(), 1);
      if (last.isEmpty()) {
        if (json) {
          ObjectNode node =
              com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
          node.put("job", spec.name());
          node.putNull("run");
          out.print(RunJson.text(node));
        } else {
          out.println("job '" + spec.name() + "': no run yet");
        }
        out.flush();
        return 0;
      }
      RunRecord run = last.get(0);
      if (run.status() != RunStatus.RUNNING) {
        if (json) {
          out.print(RunJson.text(RunJson.run(run)));
        } else {
          out.println("job '" + spec.name() + "': not running; its last run:");
          out.print(RunReport.summary(run, List.of(), spec.isTabular(), null));
        }
        out.flush();
        return 0;
      }
      Instant now = control.databaseNow();
      Instant seen = control.lastSeen(run.runId()).orElse(run.startedAt());
      Optional<Lease> lease = control.lease(spec.name());
      boolean alive =
          lease.isPresent()
              && lease.get().runId() != null
              && lease.get().runId() == run.runId()
              && !lease.get().expiredAt(now);
      List<PartitionRunRecord> done = control.partitionRuns(run.runId());
      RunTotals soFar = RunTotals.of(done);
      List<PartitionState> partitions = control.partitions(spec.name());
      Duration elapsed = Duration.between(run.startedAt(), now);
      Duration sinceSeen = Duration.between(seen, now);
      if (json) {
        ObjectNode node = RunJson.run(run);
        node.put("stale", !alive);
        node.put("lastSeenAt", seen.toString());
        node.put("secondsSinceSeen", Math.max(0, sinceSeen.toMillis()) / 1000.0);
        node.put("elapsedSeconds", Math.max(0, elapsed.toMillis()) / 1000.0);
        node.put("partitionsTotal", partitions.size());
        RunJson.totals(node.putObject("soFar"), soFar);
        List<io.copyjob.control.RoundRecord> rounds = control.rounds(run.runId());
        if (!rounds.isEmpty()) {
          ObjectNode summary = node.putObject("rounds");
          summary.put("last", rounds.stream().mapToLong(r -> r.round()).max().orElse(0));
          io.copyjob.monitor.RoundReport.counts(rounds)
              .forEach(
                  (status, n) -> summary.put(status.name().toLowerCase(java.util.Locale.ROOT), n));
        }
        node.set(spec.isTabular() ? "tables" : "partitions", RunJson.partitions(done));
        out.print(RunJson.text(node));
        out.flush();
        return 0;
      }
      String unit = spec.isTabular() ? "tables" : "partitions";
      out.println(
          "job '"
              + spec.name()
              + "': run "
              + run.runNumber()
              + (alive ? " RUNNING" : " STALE")
              + " since "
              + RunReport.time(run.startedAt())
              + " UTC ("
              + Units.duration(elapsed)
              + ")");
      out.println(
          "  last seen   "
              + Units.duration(sinceSeen.isNegative() ? Duration.ZERO : sinceSeen)
              + " ago on "
              + run.runner()
              + (alive
                  ? ""
                  : "; no live lease holds it: its process is gone (history marks it"
                      + " ABANDONED)"));
      out.println(
          "  "
              + String.format("%-12s", unit)
              + done.size()
              + (partitions.isEmpty() ? "" : " of " + partitions.size())
              + " finished ("
              + soFar.partitionsSucceeded()
              + " succeeded, "
              + soFar.partitionsFailed()
              + " failed)");
      out.println(
          "  files       "
              + soFar.filesCopied()
              + " copied, "
              + soFar.filesSkipped()
              + " skipped, "
              + soFar.filesFailed()
              + " failed, "
              + Units.bytes(soFar.bytesCopied())
              + " (in the "
              + unit
              + " finished)");
      out.print(io.copyjob.monitor.RoundReport.line(control.rounds(run.runId())));
      if (spec.isTabular()) {
        out.println(
            "  rows        "
                + soFar.rowsRead()
                + " read, "
                + soFar.rowsWritten()
                + " written, "
                + soFar.rowsRejected()
                + " rejected");
      }
    }
    out.flush();
    return 0;
  }
}
