package io.copyjob.cli;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.monitor.FailureLog;
import io.copyjob.monitor.HistoryServer;
import io.copyjob.pipeline.LeaseHeldException;
import io.copyjob.pipeline.PipelineJob;
import io.copyjob.spec.JobSpec;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code copyjob schedule JOB.yaml --cron EXPR}: a long-lived process that runs the job at each
 * time of a cron expression, for users without a scheduler. Runs never overlap: a time that passes
 * while a run goes is skipped and recorded as a SKIPPED run (no backlog is caught up unless {@code
 * --catch-up} asks for one run after a long one); a time at which another process holds the job's
 * lease is skipped likewise. A run that fails is recorded as such and the schedule goes on.
 */
@Command(
    name = "schedule",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the job at each time of a cron expression until stopped (Ctrl-C), never two runs at"
          + " once: times that pass while a run goes, or while another process holds the job's"
          + " lease, are recorded as SKIPPED runs.",
      "Cron: 5 fields (minute hour day-of-month month day-of-week, as crontab), or 6 with seconds"
          + " first."
    })
final class ScheduleCommand implements Callable<Integer> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z");

  @Mixin JobFileOption job;

  @Option(
      names = "--cron",
      required = true,
      paramLabel = "EXPR",
      description = "When to run: e.g. \"0 * * * *\" (every hour), \"30 2 * * 1-5\".")
  String cron;

  @Option(
      names = "--zone",
      defaultValue = "UTC",
      description = "The time zone the cron expression is read in. Default: ${DEFAULT-VALUE}.")
  String zone;

  @Option(
      names = "--catch-up",
      description =
          "After a run that outlasted one or more times, run once more at once for them (they are"
              + " recorded as skipped otherwise).")
  boolean catchUp;

  @Option(
      names = "--times",
      paramLabel = "N",
      description = "Stop after N scheduled times (runs and skips). Default: never.")
  Integer times;

  @Option(
      names = "--ui-port",
      paramLabel = "PORT",
      description = "Also serve copyjob ui (the history in the browser) on 127.0.0.1:PORT.")
  Integer uiPort;

  @Mixin RunnerChoice runnerChoice;

  @Mixin PushgatewayOption pushgatewayOption;

  private io.copyjob.monitor.Pushgateway gateway;

  @Spec CommandSpec commandSpec;

  private final CountDownLatch stopped = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    ZoneId zoneId;
    try {
      zoneId = ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw new UsageException("--zone: not a time zone: '" + zone + "' (e.g. UTC, Europe/Berlin)");
    }
    ExecutionTime schedule = ExecutionTime.forCron(parse(cron));
    if (times != null && times < 1) {
      throw new UsageException("--times: must be at least 1, got " + times);
    }
    gateway = pushgatewayOption.gateway();
    JobSpec spec = job.parse();
    if (spec.mode() == JobSpec.Mode.CONTINUOUS) {
      throw new UsageException(
          "job '"
              + spec.name()
              + "' is continuous: it runs until stopped, in rounds every continuous.interval;"
              + " start it with copyjob run, not on a schedule");
    }
    RunnerOptions.Runner chosen = RunnerOptions.Runner.parse(runnerChoice.runner);
    PrintWriter out = commandSpec.commandLine().getOut();
    PrintWriter err = commandSpec.commandLine().getErr();
    Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "copyjob-schedule-stop"));
    HistoryServer ui =
        uiPort == null
            ? null
            : HistoryServer.start(spec.control(), new InetSocketAddress("127.0.0.1", uiPort));
    try {
      ZonedDateTime cursor = ZonedDateTime.now(zoneId);
      Optional<ZonedDateTime> first = schedule.nextExecution(cursor);
      out.println(
          "copyjob schedule: job '"
              + spec.name()
              + "' at '"
              + cron
              + "' ("
              + zoneId
              + ")"
              + first
                  .map(t -> "; next run " + TIME.format(t))
                  .orElse("; the expression has no next time")
              + (ui == null ? "" : "; history at http://127.0.0.1:" + ui.port() + "/"));
      out.flush();
      int done = 0;
      while (times == null || done < times) {
        Optional<ZonedDateTime> next = schedule.nextExecution(cursor);
        if (next.isEmpty()) {
          break;
        }
        long wait = Duration.between(ZonedDateTime.now(zoneId), next.get()).toMillis();
        if (wait > 0 && stopped.await(wait, TimeUnit.MILLISECONDS)) {
          break;
        }
        done++;
        RunRecord run = runOnce(spec, chosen, next.get(), out, err);
        ZonedDateTime end = ZonedDateTime.now(zoneId);
        List<ZonedDateTime> missed = between(schedule, next.get(), end);
        if (!missed.isEmpty() && catchUp && stopped.getCount() > 0) {
          out.println(
              TIME.format(end)
                  + ": "
                  + missed.size()
                  + " time(s) passed during the run; catching up with one run now");
          runOnce(spec, chosen, end, out, err);
          done++;
        } else {
          for (ZonedDateTime t : missed) {
            if (times != null && done >= times) {
              break;
            }
            skip(
                spec,
                t,
                run == null
                    ? "skipped: the run of " + TIME.format(next.get()) + " was still going"
                    : "skipped: run "
                        + run.runNumber()
                        + " (started "
                        + TIME.format(next.get())
                        + ") was still going",
                out);
            done++;
          }
        }
        cursor = ZonedDateTime.now(zoneId);
      }
    } finally {
      if (ui != null) {
        ui.close();
      }
    }
    out.flush();
    return 0;
  }

  /** 5 fields as crontab has them, or 6 with seconds first. */
  static Cron parse(String expression) {
    String trimmed = expression == null ? "" : expression.trim();
    int fields = trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    CronType type =
        switch (fields) {
          case 5 -> CronType.UNIX;
          case 6 -> CronType.SPRING53;
          default ->
              throw new UsageException(
                  "--cron: 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds"
                      + " first), got '"
                      + expression
                      + "'");
        };
    try {
      Cron parsed =
          new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(trimmed);
      parsed.validate();
      return parsed;
    } catch (IllegalArgumentException e) {
      throw new UsageException("--cron: '" + expression + "': " + e.getMessage());
    }
  }

  /** The times of {@code schedule} after {@code after} up to {@code until}. */
  static List<ZonedDateTime> between(
      ExecutionTime schedule, ZonedDateTime after, ZonedDateTime until) {
    List<ZonedDateTime> times = new ArrayList<>();
    ZonedDateTime t = after;
    while (true) {
      Optional<ZonedDateTime> next = schedule.nextExecution(t);
      if (next.isEmpty() || next.get().isAfter(until)) {
        return times;
      }
      times.add(next.get());
      t = next.get();
    }
  }

  /** One run at {@code at}; a lease another process holds makes it a skipped time. */
  private RunRecord runOnce(
      JobSpec spec,
      RunnerOptions.Runner chosen,
      ZonedDateTime at,
      PrintWriter out,
      PrintWriter err) {
    try {
      // The job file is read again: an edit between runs applies to the next one.
      JobSpec current = job.parse();
      PipelineJob pipelineJob =
          RunCommand.pipelineJob(
              current,
              () ->
                  RunnerOptions.create(current, chosen, runnerChoice.flinkMaster, null, List.of()),
              chosen.name().toLowerCase(java.util.Locale.ROOT),
              false);
      pipelineJob.failureLog(FailureLog.folderFor(job.jobFile));
      RunRecord run = pipelineJob.run();
      out.println(
          TIME.format(at)
              + ": run "
              + run.runNumber()
              + " "
              + run.status()
              + (run.error() == null ? "" : ": " + run.error()));
      out.flush();
      PushgatewayOption.push(gateway, current, err);
      return run;
    } catch (LeaseHeldException e) {
      skip(spec, at, "skipped: " + e.getMessage(), out);
      return null;
    } catch (Exception e) {
      // The schedule outlives a run that cannot start (a store down, an edited job file that no
      // longer parses): the next time tries again.
      err.println(
          "copyjob: " + TIME.format(at) + ": the run could not start: " + CopyJob.describe(e));
      err.flush();
      return null;
    }
  }

  private void skip(JobSpec spec, ZonedDateTime at, String why, PrintWriter out) {
    out.println(TIME.format(at) + ": " + why);
    out.flush();
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.recordSkipped(spec.name(), at.toInstant(), runnerChoice.runner, why);
    } catch (Exception e) {
      out.println(TIME.format(at) + ": could not record the skipped time: " + e.getMessage());
      return;
    }
    PushgatewayOption.push(gateway, spec, commandSpec.commandLine().getErr());
  }
}
