package io.copyjob.monitor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The run's log of failures: every file (or partition listing) that failed, one line each with its
 * whole reason, appended as each failure is recorded. The control store keeps only a partition's
 * first error; this file keeps them all, in {@code .copyjob/logs/JOB-run-N.log} beside the job
 * file.
 *
 * <p>Each line is written by one append of its own, so that the threads and processes of a run that
 * write on one machine never interleave within a line, and nothing is held in memory. On a Flink
 * cluster the lines are written where the run's steps run: on each TaskManager's machine, under the
 * same path.
 */
public final class FailureLog {
  private FailureLog() {}

  /** The folder of the failure logs of the job whose file is {@code jobFile}. */
  public static Path folderFor(Path jobFile) {
    return jobFile.toAbsolutePath().normalize().getParent().resolve(".copyjob").resolve("logs");
  }

  /** The log of the job's run number {@code runNumber} in {@code folder}. */
  public static Path of(Path folder, String job, long runNumber) {
    return folder.resolve(job + "-run-" + runNumber + ".log");
  }

  /**
   * Appends {@code what}: {@code reason} as one line (line breaks in either become spaces), making
   * the log and its folder when missing.
   */
  public static void append(Path log, String what, String reason) throws IOException {
    String line = (what + ": " + reason).replaceAll("\\s*\\R\\s*", " ") + "\n";
    Files.createDirectories(log.getParent());
    Files.writeString(
        log,
        line,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.WRITE,
        StandardOpenOption.APPEND);
  }
}
