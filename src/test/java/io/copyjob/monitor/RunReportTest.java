package io.copyjob.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ProgressRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.Test;

public class RunReportTest {
  private static final Instant START = Instant.parse("2026-01-02T03:04:05Z");

  private static RunRecord run(RunStatus status, String error) {
    return new RunRecord(
        107, // the store's key; a person reads the job's run number
        7,
        "demo",
        status,
        START,
        START.plusSeconds(4),
        "full",
        "direct",
        new RunTotals(2, 1, 10, 3, 1, 8 * 1024 * 1024),
        "{}",
        error);
  }

  @Test
  public void summaryGivesCountsBytesDurationAndThroughput() {
    assertThat(RunReport.summary(run(RunStatus.FAILED, "1 partition(s) failed")))
        .isEqualTo(
            String.join(
                System.lineSeparator(),
                "run 7 of job 'demo': FAILED",
                "  partitions  2 succeeded, 1 failed",
                "  files       10 copied, 3 skipped, 1 failed",
                "  bytes       8.0 MiB copied",
                "  duration    4.0 s",
                "  throughput  2.0 MiB/s, 3.3 files/s",
                "  error       1 partition(s) failed",
                ""));
  }

  @Test
  public void historyIsATableNewestFirst() {
    String table =
        RunReport.history(List.of(run(RunStatus.SUCCEEDED, null), run(RunStatus.FAILED, "boom")));
    String[] lines = table.split(System.lineSeparator());
    assertThat(lines).hasSize(3);
    assertThat(lines[0]).startsWith("RUN  STATUS     STARTED (UTC)        MODE  DURATION");
    assertThat(lines[1])
        .startsWith("7    SUCCEEDED  2026-01-02 03:04:05  full  4.0 s     2/1")
        .contains("10/3/1")
        .contains("8.0 MiB")
        .contains("2.0 MiB/s");
    assertThat(lines[2]).startsWith("7    FAILED").endsWith("boom");
  }

  @Test
  public void progressLineShowsFilesDoneOfListedAndRate() {
    String line =
        ProgressReporter.render(
            new ProgressRecord(
                ProgressRecord.RUN,
                null,
                40,
                0,
                15,
                5,
                0,
                20L * 1024 * 1024,
                0,
                0,
                0,
                0,
                0,
                null,
                0,
                0,
                null),
            1,
            3,
            Duration.ofSeconds(10));
    assertThat(line)
        .isEqualTo(
            "[############------------]  50% | partitions 1/3 | files 20/40 (5 skipped, 0 failed)"
                + " | 20.0 MiB | 2.0 MiB/s | 10.0 s");
  }

  @Test
  public void timeLinesShowARunWhoseStepsTookUnderAMillisecond() {
    assertThat(RunReport.timeLines(ProgressRecord.queued(ProgressRecord.RUN))).isEmpty();
    ProgressRecord fast =
        new ProgressRecord(
            ProgressRecord.RUN, null, 3, 6000, 3, 0, 0, 6000, 0, 0, 0, 0, 0, 12L, 1, 0, null);
    assertThat(RunReport.timeLines(fast))
        .isEqualTo(
            String.join(
                System.lineSeparator(),
                "  time        listing 0.0 s, reading 0.0 s, writing 0.0 s, waiting 0.0 s (summed"
                    + " over the transfers); longest: none",
                "  transfers   peak 1 in flight, first byte after 0.0 s, 0 throttling answers",
                ""));
  }

  @Test
  public void unitsAreHumanReadable() {
    assertThat(Units.bytes(0)).isEqualTo("0 B");
    assertThat(Units.bytes(1023)).isEqualTo("1023 B");
    assertThat(Units.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(Units.bytes(5L << 40)).isEqualTo("5.0 TiB");
    assertThat(Units.duration(Duration.ofSeconds(75))).isEqualTo("1m15s");
    assertThat(Units.duration(Duration.ofMinutes(125))).isEqualTo("2h05m");
  }
}
