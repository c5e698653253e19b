package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpecParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code copyjob schedule} with cron expressions in seconds: runs recorded at their times, never
 * two at once (in one process or two), the times that passed while a run went recorded SKIPPED.
 */
public class ScheduleCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path job(String copy) throws Exception {
    Path dir = tmp.newFolder().toPath();
    TestTrees.write(dir.resolve("src"), "a/1.bin", 300_000);
    Path jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        "name: scheduled\nsource:\n  root: ./src/\n  partitions: [a]\nsink:\n  root: ./dst/\n"
            + copy);
    return jobFile;
  }

  private static int copyjob(StringWriter out, String... args) {
    PrintWriter writer = new PrintWriter(out, true);
    return CopyJob.execute(writer, writer, args);
  }

  private static List<RunRecord> runs(Path jobFile) throws Exception {
    try (ControlStore control = ControlStore.open(JobSpecParser.parse(jobFile).control())) {
      List<RunRecord> runs = new ArrayList<>(control.history("scheduled", 100));
      runs.sort(Comparator.comparing(RunRecord::startedAt));
      return runs;
    }
  }

  /** Runs that ran (not skipped) never overlap: each starts after the one before ended. */
  private static void neverOverlapping(List<RunRecord> runs) {
    RunRecord previous = null;
    for (RunRecord run : runs) {
      if (run.status() == RunStatus.SKIPPED) {
        assertThat(run.error()).startsWith("skipped: ");
        continue;
      }
      assertThat(run.endedAt()).as("run %d ended", run.runNumber()).isNotNull();
      if (previous != null) {
        assertThat(run.startedAt())
            .as("run %d starts after run %d ended", run.runNumber(), previous.runNumber())
            .isAfterOrEqualTo(previous.endedAt());
      }
      previous = run;
    }
  }

  @Test
  public void runsAtEachTimeAndRecordsEveryTime() throws Exception {
    Path jobFile = job("");
    StringWriter out = new StringWriter();

    assertThat(
            copyjob(out, "schedule", jobFile.toString(), "--cron", "*/3 * * * * *", "--times", "3"))
        .as(out.toString())
        .isZero();

    List<RunRecord> runs = runs(jobFile);
    assertThat(out.toString())
        .startsWith("copyjob schedule: job 'scheduled' at '*/3 * * * * *' (UTC); next run ");
    assertThat(runs).hasSize(3); // each time is a run or, when a run outlasted it, a skip
    assertThat(runs.get(0).status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(runs.get(0).totals().filesCopied()).isEqualTo(1);
    assertThat(runs)
        .allMatch(r -> r.status() == RunStatus.SUCCEEDED || r.status() == RunStatus.SKIPPED);
    neverOverlapping(runs);
    // Each run starts on a time of the expression: a whole multiple of 3 seconds.
    assertThat(runs)
        .filteredOn(r -> r.status() == RunStatus.SKIPPED)
        .allMatch(r -> r.startedAt().getEpochSecond() % 3 == 0 && r.startedAt().getNano() == 0);
  }

  @Test
  public void aRunThatOutlastsTheIntervalMakesTheNextTimesSkippedNotOverlapping() throws Exception {
    // 300 kB at 60 kB/s: a run of about five seconds, every second a time.
    Path jobFile = job("copy: {maxBytesPerSecond: 60000}\n");
    StringWriter out = new StringWriter();

    assertThat(
            copyjob(out, "schedule", jobFile.toString(), "--cron", "* * * * * *", "--times", "4"))
        .as(out.toString())
        .isZero();

    List<RunRecord> runs = runs(jobFile);
    assertThat(runs).hasSize(4);
    assertThat(runs.get(0).status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(runs.subList(1, 4))
        .allMatch(r -> r.status() == RunStatus.SKIPPED)
        .allMatch(
            r ->
                r.error().startsWith("skipped: run 1 (started ")
                    && r.error().endsWith(") was still going"));
    neverOverlapping(runs);
    assertThat(out.toString()).contains(": run 1 SUCCEEDED").contains("was still going");
  }

  @Test
  public void twoScheduleProcessesOnOneJobNeverRunItTwiceAtOnce() throws Exception {
    Path jobFile = job("copy: {maxBytesPerSecond: 100000}\n");
    StringWriter first = new StringWriter();
    StringWriter second = new StringWriter();
    String[] args = {"schedule", jobFile.toString(), "--cron", "*/4 * * * * *", "--times", "2"};
    Thread other = new Thread(() -> copyjob(second, args));
    other.start();
    assertThat(copyjob(first, args)).isZero();
    other.join();

    List<RunRecord> runs = runs(jobFile);
    neverOverlapping(runs);
    // Both fire at the same times: one runs, the other finds the lease held and skips.
    assertThat(runs)
        .filteredOn(r -> r.status() == RunStatus.SKIPPED)
        .anyMatch(r -> r.error().startsWith("skipped: job 'scheduled' is already running"));
    assertThat(runs).filteredOn(r -> r.status() == RunStatus.SUCCEEDED).isNotEmpty();
  }

  @Test
  public void aContinuousJobIsRefusedOnASchedule() throws Exception {
    Path jobFile = job("mode: continuous\ncontinuous: {interval: 1m}\n");
    StringWriter out = new StringWriter();

    assertThat(copyjob(out, "schedule", jobFile.toString(), "--cron", "0 * * * *")).isEqualTo(2);
    assertThat(out.toString())
        .isEqualTo(
            "copyjob: job 'scheduled' is continuous: it runs until stopped, in rounds every"
                + " continuous.interval; start it with copyjob run, not on a schedule"
                + System.lineSeparator());
    assertThat(runs(jobFile)).isEmpty();
  }

  @Test
  public void aCronExpressionThatCannotBeReadIsOneLineAndExitTwo() throws Exception {
    Path jobFile = job("");
    StringWriter out = new StringWriter();

    assertThat(copyjob(out, "schedule", jobFile.toString(), "--cron", "every hour")).isEqualTo(2);
    assertThat(out.toString())
        .isEqualTo(
            "copyjob: --cron: 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds"
                + " first), got 'every hour'"
                + System.lineSeparator());
    out.getBuffer().setLength(0);
    assertThat(copyjob(out, "schedule", jobFile.toString(), "--cron", "0 25 * * *")).isEqualTo(2);
    assertThat(out.toString()).startsWith("copyjob: --cron: '0 25 * * *': ");
    assertThat(
            copyjob(
                out, "schedule", jobFile.toString(), "--cron", "0 * * * *", "--zone", "Mars/Base"))
        .isEqualTo(2);
  }
}
