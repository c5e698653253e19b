package io.copyjob.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionState;
import io.copyjob.control.ProgressRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.LiveProgress;
import io.copyjob.monitor.RunJson;
import io.copyjob.monitor.RunReport;
import io.copyjob.monitor.Units;
import io.copyjob.spec.JobSpec;
import java.io.PrintWriter;
import java.util.List;
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
      LiveProgress live = LiveProgress.read(control, run);
      boolean alive = live.stale() == null;
      List<PartitionState> partitions = control.partitions(spec.name());
      ProgressRecord soFar = live.total();
      if (json) {
        ObjectNode node = RunJson.run(run);
        node.put("stale", !alive);
        node.put("staleReason", live.stale());
        node.put("lastSeenAt", live.lastSeen().toString());
        node.put("secondsSinceSeen", live.sinceSeen().toMillis() / 1000.0);
        node.put("elapsedSeconds", live.elapsed().toMillis() / 1000.0);
        node.put("partitionsTotal", partitions.size());
        node.put("partitionsRecorded", live.recorded());
        RunJson.progress(node.putObject("soFar"), soFar);
        ArrayNode each = node.putArray(spec.isTabular() ? "tables" : "partitions");
        live.partitions().forEach(p -> RunJson.progress(each.addObject(), p));
        List<io.copyjob.control.RoundRecord> rounds = control.rounds(run.runId());
        if (!rounds.isEmpty()) {
          ObjectNode summary = node.putObject("rounds");
          summary.put("last", rounds.stream().mapToLong(r -> r.round()).max().orElse(0));
          io.copyjob.monitor.RoundReport.counts(rounds)
              .forEach(
                  (status, n) -> summary.put(status.name().toLowerCase(java.util.Locale.ROOT), n));
        }
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
              + Units.duration(live.elapsed())
              + ")");
      out.println(
          "  last seen   "
              + Units.duration(live.sinceSeen())
              + " ago on "
              + run.runner()
              + (alive ? "" : "; " + live.stale()));
      out.println(
          "  "
              + String.format("%-12s", unit)
              + live.recorded()
              + (partitions.isEmpty() ? "" : " of " + partitions.size())
              + " finished ("
              + (live.recorded() - live.failed())
              + " succeeded, "
              + live.failed()
              + " failed)");
      out.println(
          "  files       "
              + soFar.filesCopied()
              + " copied, "
              + soFar.filesSkipped()
              + " skipped, "
              + soFar.filesFailed()
              + " failed of "
              + soFar.filesListed()
              + " listed so far, "
              + Units.bytes(soFar.bytes()));
      out.print(io.copyjob.monitor.RoundReport.line(control.rounds(run.runId())));
      if (spec.isTabular()) {
        out.println("  rows        " + soFar.rows() + " written so far");
      }
      for (ProgressRecord p : live.partitions()) {
        if (!p.state().finished()) {
          out.println(
              "  "
                  + String.format("%-12s", p.state().name().toLowerCase(java.util.Locale.ROOT))
                  + "'"
                  + p.key().prefix()
                  + "': "
                  + p.filesDone()
                  + " of "
                  + p.filesListed()
                  + " files, "
                  + Units.bytes(p.bytes())
                  + (p.heartbeat() == null
                      ? ""
                      : ", reported "
                          + Units.duration(
                              java.time.Duration.between(p.heartbeat(), live.now()).abs())
                          + " ago"));
        }
      }
      out.print(RunReport.timeLines(soFar));
    }
    out.flush();
    return 0;
  }
}
