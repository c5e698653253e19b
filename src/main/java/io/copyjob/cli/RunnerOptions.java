package io.copyjob.cli;

import io.copyjob.spec.JobSpec;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Turns the run command's runner settings and extra Beam options into pipeline options. */
final class RunnerOptions {
  /** A continuous run's Flink checkpoints, unless --checkpointingInterval says otherwise. */
  static final long CONTINUOUS_CHECKPOINT_MILLIS = 10_000;

  /**
   * A continuous run's Flink restarts after a failure (a lost TaskManager), unless
   * --numberOfExecutionRetries says otherwise: Flink restores a job from its last checkpoint only
   * when it may restart it, and a cluster's default may be none.
   */
  static final int CONTINUOUS_RESTARTS = 10;

  static final long CONTINUOUS_RESTART_DELAY_MILLIS = 10_000;

  private RunnerOptions() {}

  /** The runners a user names with {@code --runner}. */
  enum Runner {
    DIRECT,
    FLINK;

    static Runner parse(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "direct", "directrunner" -> DIRECT;
        case "flink", "flinkrunner" -> FLINK;
        default ->
            throw new UsageException("--runner: must be direct or flink, got '" + name + "'");
      };
    }
  }

  static PipelineOptions create(
      JobSpec spec, Runner runner, String flinkMaster, Integer parallelism, List<String> beamArgs) {
    if (parallelism == null && spec.copy().parallelism() > 0) {
      parallelism = spec.copy().parallelism();
    }
    List<String> args = new ArrayList<>(beamArgs);
    if (runner == Runner.FLINK) {
      // Registered here, not by the jar's service list (see the pom): building the registry of
      // every options interface is part of each run's start, and Flink's are the most of it.
      PipelineOptionsFactory.register(FlinkPipelineOptions.class);
    }
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create();
    options.setJobName(
        "copyjob-" + spec.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-"));
    if (runner == Runner.DIRECT) {
      options.setRunner(DirectRunner.class);
      DirectOptions direct = options.as(DirectOptions.class);
      direct.setBlockOnRun(false); // the progress reporter polls while the pipeline runs
      // The direct runner's checks that DoFns neither change their inputs nor hold elements their
      // coders cannot round-trip clone every element: tests keep them (TestPipeline), runs do not,
      // unless asked for on the command line.
      if (args.stream().noneMatch(a -> a.startsWith("--enforceImmutability"))) {
        direct.setEnforceImmutability(false);
      }
      if (args.stream().noneMatch(a -> a.startsWith("--enforceEncodability"))) {
        direct.setEnforceEncodability(false);
      }
      if (parallelism != null) {
        direct.setTargetParallelism(parallelism);
      } else if (oneDirectThread(spec)
          && args.stream().noneMatch(a -> a.startsWith("--targetParallelism"))) {
        direct.setTargetParallelism(1);
      }
    } else {
      String master = flinkMaster == null ? "[local]" : flinkMaster;
      boolean remote = isRemote(flinkMaster);
      if (remote && spec.control().isEmbedded()) {
        throw new UsageException(
            "control.url: an embedded H2 file cannot be reached from a Flink cluster;"
                + " use a PostgreSQL or SQL Server control store");
      }
      options.setRunner(FlinkRunner.class);
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
      flink.setFlinkMaster(master);
      // The pipeline's DoFns never modify their inputs, so chained steps may share elements.
      flink.setFasterCopy(true);
      if (parallelism != null) {
        flink.setParallelism(parallelism);
      } else if (remote && flink.getParallelism() < 1) {
        flink.setParallelism(FlinkCluster.totalSlots(master));
      }
      if (spec.mode() == JobSpec.Mode.CONTINUOUS) {
        flink.setStreaming(true);
        // Detached: run() returns at once with a result copyjob polls and can cancel on SIGTERM.
        flink.setAttachedMode(false);
        if (flink.getCheckpointingInterval() == null || flink.getCheckpointingInterval() <= 0) {
          flink.setCheckpointingInterval(CONTINUOUS_CHECKPOINT_MILLIS);
        }
        if (flink.getNumberOfExecutionRetries() == null
            || flink.getNumberOfExecutionRetries() < 0) {
          flink.setNumberOfExecutionRetries(CONTINUOUS_RESTARTS);
          if (flink.getExecutionRetryDelay() == null || flink.getExecutionRetryDelay() < 0) {
            flink.setExecutionRetryDelay(CONTINUOUS_RESTART_DELAY_MILLIS);
          }
        }
      }
      if (remote && flink.getFilesToStage() == null) {
        runningJar().ifPresent(jar -> flink.setFilesToStage(List.of(jar.toString())));
      }
    }
    return options;
  }

  /**
   * Whether the direct runner gets one thread unless told more: a batch run, a capped one or a
   * tabular one. The direct runner (Beam 2.62) resubmits its driver to its own pool after every
   * pass, so each of its threads that no bundle holds polls for work without pause. A batch file
   * copy's work is in few long bundles (its transfers and its listings run on pools of their own,
   * {@code copy.transfersPerWorker} and several partitions at a time), so two of the three default
   * threads polled through them: with one, a copy of ten 100 MiB files took 17-21 CPU-seconds
   * rather than 26-33, and of a thousand 1 MiB files 14-20 rather than 18-25, in the same time or
   * less. A capped copy mostly waits for its turn, and kept a core busy doing nothing. A tabular
   * piece is one long bundle (a 100 MB file is a minute of it): the idle threads took two cores
   * from the load and the database, and a million rows took 3x as long. A continuous file copy
   * keeps the runner's default; its rounds have not been measured on one thread.
   */
  private static boolean oneDirectThread(JobSpec spec) {
    return spec.mode() != JobSpec.Mode.CONTINUOUS || spec.isTabular() || capped(spec);
  }

  /** Whether the job caps its bytes or requests per second. */
  private static boolean capped(JobSpec spec) {
    return spec.copy().maxBytesPerSecond() > 0 || spec.copy().maxRequestsPerSecond() > 0;
  }

  /** True when {@code flinkMaster} names a cluster rather than an embedded one. */
  static boolean isRemote(String flinkMaster) {
    return flinkMaster != null && !flinkMaster.equals("[local]") && !flinkMaster.equals("[auto]");
  }

  /**
   * The shaded jar this code runs from, which a remote Flink cluster needs: Beam always stages
   * files for a remote submission (when none are named it stages the whole class path). Empty
   * unless copyjob and Beam's Flink runner come from the same jar (tests run from classes, or a
   * thin jar beside its dependencies), where Beam's class path detection applies.
   */
  static Optional<Path> runningJar() {
    Optional<Path> ours = jarOf(RunnerOptions.class);
    return ours.isPresent() && ours.equals(jarOf(FlinkRunner.class)) ? ours : Optional.empty();
  }

  private static Optional<Path> jarOf(Class<?> type) {
    try {
      CodeSource source = type.getProtectionDomain().getCodeSource();
      if (source == null || source.getLocation() == null) {
        return Optional.empty();
      }
      Path path = Path.of(source.getLocation().toURI()).toAbsolutePath();
      return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
    } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
      return Optional.empty();
    }
  }
}
