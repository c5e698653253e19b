package io.copyjob.cli;

import io.copyjob.pipeline.JobException;
import io.copyjob.pipeline.LeaseHeldException;
import io.copyjob.spec.SpecException;
import java.io.PrintWriter;
import java.sql.SQLException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code copyjob} command: run, plan, partitions, history. Every command exits 0 on success, 1
 * when the run (or the store or database it needs) failed, 2 for a command line or job file that
 * cannot be used, and 3 when a run is refused because another run of the job holds its lease.
 */
@Command(
    name = "copyjob",
    mixinStandardHelpOptions = true,
    versionProvider = CopyJob.Version.class,
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:success",
      "1:the run failed (or a store or the control database could not be used)",
      "2:usage or job file error",
      "3:another run of the job holds its lease"
    },
    description = "Copies files between stores as declared in a job file, on Apache Beam.",
    subcommands = {
      RunCommand.class,
      PlanCommand.class,
      PartitionsCommand.class,
      HistoryCommand.class,
      StatusCommand.class,
      ScheduleCommand.class,
      UiCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CopyJob implements Runnable {
  /** Exit code of a run that failed, or of a store or database that could not be used. */
  static final int FAILED = 1;

  /** Exit code of a job file or command line that is not valid. */
  static final int INVALID = 2;

  /** Exit code of a run refused because another run of the job holds its lease. */
  static final int LEASE_HELD = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec commandSpec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        commandSpec.commandLine(), "a command is required: run, plan, partitions or history");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code, printing errors as one line. */
  public static int execute(String... args) {
    return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** The same, writing to {@code out} and {@code err}. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new CopyJob()).setOut(out).setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("copyjob: " + describe(e));
          return exitCode(e);
        });
    return cli.execute(args);
  }

  /** The one rule of every command: 0 success, 1 failed, 2 usage or job file, 3 lease held. */
  static int exitCode(Exception e) {
    if (e instanceof LeaseHeldException) {
      return LEASE_HELD;
    }
    if (e instanceof SpecException || e instanceof UsageException) {
      return INVALID;
    }
    return FAILED;
  }

  static String describe(Exception e) {
    if (e instanceof SpecException || e instanceof JobException) {
      return e.getMessage();
    }
    if (e instanceof SQLException) {
      String message = oneLine(e.getMessage());
      // Messages of copyjob's own often name the store already ("control store URL: ...").
      return message.startsWith("control store") ? message : "control store: " + message;
    }
    return e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage()));
  }

  private static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ");
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = CopyJob.class.getPackage().getImplementationVersion();
      return new String[] {"copyjob " + (version == null ? "dev" : version)};
    }
  }
}
