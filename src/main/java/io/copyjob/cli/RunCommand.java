package io.copyjob.cli;

import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.monitor.FailureLog;
import io.copyjob.monitor.RunReport;
import io.copyjob.pipeline.FileCopyJob;
import io.copyjob.pipeline.PipelineJob;
import io.copyjob.spec.Durations;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecs;
import io.copyjob.tabular.pipeline.TabularJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code copyjob run JOB.yaml}: one run of the job; exit 0 only when it succeeded. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:success",
      "1:the run failed (or a store or the control database could not be used)",
      "2:usage or job file error",
      "3:another run of the job holds its lease"
    },
    description = {
      "Runs the job: copies the partitions not yet done (full mode) or the files changed since each"
          + " partition's last success (delta mode), and records the outcome. A continuous job"
          + " copies in rounds until stopped (SIGTERM, Ctrl-C): it then ends STOPPED, exit 0.",
      "Options not listed here are passed to Beam (e.g. --targetParallelism=4)."
    })
final class RunCommand implements Callable<Integer> {
  @Mixin JobFileOption job;

  @Mixin RunnerChoice runnerChoice;

  @Mixin PushgatewayOption pushgatewayOption;

  @Option(names = "--parallelism", description = "Workers (Flink) or threads (direct).")
  Integer parallelism;

  @Option(
      names = "--wait-for-lease",
      arity = "0..1",
      paramLabel = "DURATION",
      fallbackValue = "10m",
      description =
          "While another run of the job holds its lease, wait for it (polling) up to DURATION"
              + " (500ms, 30s, 5m, 2h; alone: 10m) instead of exiting 3.")
  String waitForLease;

  @Option(
      names = "--only-failed",
      description =
          "Tabular jobs: load only the tables the job's last run did not load (failed,"
              + " interrupted or new), going on with what that run loaded.")
  boolean onlyFailed;

  @Option(
      names = "--json",
      description =
          "Print the run's summary as JSON (as history --json has it) instead of text, for"
              + " schedulers; the exit code is the same.")
  boolean json;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Spec CommandSpec commandSpec;

  @Override
  public Integer call() throws Exception {
    Duration wait = Duration.ZERO;
    if (waitForLease != null) {
      wait = Durations.parse(waitForLease.trim());
      if (wait == null || wait.isNegative()) {
        throw new UsageException(
            "--wait-for-lease: must be a duration like 30s, 5m or 2h, got '" + waitForLease + "'");
      }
    }
    io.copyjob.monitor.Pushgateway gateway = pushgatewayOption.gateway();
    JobSpec spec = job.parse();
    if (onlyFailed && !spec.isTabular()) {
      throw new UsageException(
          "--only-failed: only for a tabular job; a file job's full mode copies only the"
              + " partitions not yet succeeded");
    }
    RunnerOptions.Runner chosen = RunnerOptions.Runner.parse(runnerChoice.runner);
    java.util.function.Supplier<PipelineOptions> options =
        () -> RunnerOptions.create(spec, chosen, runnerChoice.flinkMaster, parallelism, beamArgs);
    if (chosen == RunnerOptions.Runner.FLINK && RunnerOptions.isRemote(runnerChoice.flinkMaster)) {
      // Made now: they ask the cluster for its slots, and its address is checked before the run.
      // Elsewhere they are made when the run builds its pipeline: one with nothing to do starts
      // no Beam.
      PipelineOptions made = options.get();
      options = () -> made;
      // Beam's FlinkRunner returns only when the job has ended: no progress line meanwhile.
      commandSpec
          .commandLine()
          .getErr()
          .println(
              "copyjob: submitting to the Flink cluster at "
                  + runnerChoice.flinkMaster
                  + "; follow the job '"
                  + made.getJobName()
                  + "' in its web UI");
    }
    String runnerName = chosen.name().toLowerCase(java.util.Locale.ROOT);
    PipelineJob pipelineJob = pipelineJob(spec, options, runnerName, onlyFailed);
    pipelineJob.waitForLease(wait, commandSpec.commandLine().getErr()::println);
    pipelineJob.failureLog(FailureLog.folderFor(job.jobFile));
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    try {
      return report(spec, pipelineJob, runStoppable(spec, pipelineJob, done), gateway);
    } finally {
      done.countDown();
    }
  }

  private Integer report(
      JobSpec spec,
      PipelineJob pipelineJob,
      RunRecord run,
      io.copyjob.monitor.Pushgateway gateway) {
    if (json) {
      com.fasterxml.jackson.databind.node.ObjectNode node = io.copyjob.monitor.RunJson.run(run);
      node.putArray("warnings")
          .addAll(
              pipelineJob.warnings().stream()
                  .map(com.fasterxml.jackson.databind.node.TextNode::valueOf)
                  .toList());
      node.put("failureLog", pipelineJob.failureLog().map(Object::toString).orElse(null));
      time(spec, run)
          .ifPresent(t -> io.copyjob.monitor.RunJson.progress(node.putObject("time"), t.total()));
      commandSpec.commandLine().getOut().print(io.copyjob.monitor.RunJson.text(node));
    } else {
      commandSpec
          .commandLine()
          .getOut()
          .print(
              RunReport.summary(
                  run,
                  pipelineJob.warnings(),
                  spec.isTabular(),
                  pipelineJob.failureLog().orElse(null)));
      time(spec, run)
          .ifPresent(t -> commandSpec.commandLine().getOut().print(RunReport.timeLines(t.total())));
    }
    commandSpec.commandLine().getOut().flush();
    PushgatewayOption.push(gateway, spec, commandSpec.commandLine().getErr());
    if (run.status() != RunStatus.SUCCEEDED && run.status() != RunStatus.STOPPED) {
      commandSpec
          .commandLine()
          .getErr()
          .println("copyjob: run " + run.runNumber() + " failed: " + run.error());
      return CopyJob.FAILED;
    }
    return 0;
  }

  /** Where the run's time went, as its workers reported it; empty when it cannot be read. */
  private static java.util.Optional<io.copyjob.monitor.LiveProgress> time(
      JobSpec spec, RunRecord run) {
    try (io.copyjob.control.ControlStore control =
        io.copyjob.control.ControlStore.open(spec.control())) {
      return java.util.Optional.of(io.copyjob.monitor.LiveProgress.read(control, run));
    } catch (java.sql.SQLException | RuntimeException e) {
      return java.util.Optional.empty(); // advisory: the summary stands without it
    }
  }

  /**
   * Runs the job; a continuous run stops on SIGTERM or Ctrl-C: the JVM's shutdown waits (up to a
   * minute) until {@code done} is counted down, after the run is recorded STOPPED, its lease
   * released and its summary printed.
   */
  static RunRecord runStoppable(
      JobSpec spec, PipelineJob pipelineJob, java.util.concurrent.CountDownLatch done)
      throws Exception {
    if (spec.mode() == JobSpec.Mode.CONTINUOUS) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    pipelineJob.stop();
                    try {
                      done.await(1, java.util.concurrent.TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  },
                  "copyjob-stop"));
    }
    return pipelineJob.run();
  }

  /**
   * The job's run, of its kind; progress goes to standard error. {@code options} are made only by a
   * run that builds a pipeline.
   */
  static PipelineJob pipelineJob(
      JobSpec spec,
      java.util.function.Supplier<PipelineOptions> options,
      String runnerName,
      boolean onlyFailed) {
    PipelineJob job =
        spec.isTabular()
            ? new TabularJob(
                spec,
                null,
                runnerName,
                JobSpecs.toJson(spec),
                System.err,
                System.console() != null,
                onlyFailed)
            : new FileCopyJob(
                spec,
                null,
                runnerName,
                JobSpecs.toJson(spec),
                System.err,
                System.console() != null);
    return job.optionsFrom(options);
  }
}
