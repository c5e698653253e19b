package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.cli.CopyJob;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionState;
import io.copyjob.control.PartitionStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Every root a run reads is checked before the run, and a source that lists empty where it had
 * files is said: a missing folder (or an unmounted share) must never pass for an empty partition
 * that is then recorded done, with the delta watermark moved past files never seen.
 */
public class RootsCheckedTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path dir;
  private Path job;
  private String name;

  @Before
  public void setUp() throws Exception {
    dir = tmp.getRoot().toPath();
    name = "roots-" + UUID.randomUUID().toString().substring(0, 8);
    job = dir.resolve("job.yaml");
  }

  private void jobFile(String sourceRoot, String mode) throws Exception {
    Files.writeString(
        job,
        String.join(
            "\n",
            "name: " + name,
            "source:",
            "  root: " + sourceRoot,
            "  partitions: [a, z]",
            "sink:",
            "  root: ./out/",
            "mode: " + mode,
            ""));
  }

  private String[] copyjob(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }

  @Test
  public void aMissingSourceFolderFailsTheRunInOneLineAndRecordsNothing() throws Exception {
    jobFile("./missing/", "delta");

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: folder "
                + dir.resolve("missing")
                + " does not exist"
                + System.lineSeparator());
    assertNothingRecorded();
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  public void aMissingRootOfPartitionsInTheControlTableFailsTheRunBeforeAnythingIsRecorded()
      throws Exception {
    TestTrees.write(dir.resolve("source"), "a/1.txt", 10);
    jobFile("./source/", "delta");
    assertThat(copyjob("partitions", "add", job.toString(), "--root", "other", "b")[0])
        .isEqualTo("0");

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2])
        .isEqualTo(
            "copyjob: folder " + dir.resolve("other") + " does not exist" + System.lineSeparator());
    assertNothingRecorded();
  }

  @Test
  public void aPlanOfAMissingFolderSaysItsListingFailed() throws Exception {
    jobFile("./missing/", "full");

    String[] result = copyjob("plan", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[1])
        .contains(
            "partition 'a' of "
                + dir.toUri()
                + "missing/: 0 files, 0 B  (listing failed: folder "
                + dir.resolve("missing")
                + " does not exist)");
  }

  @Test
  public void aPartitionThatListsNoFileWhereItsLastRunHadFilesSucceedsWithAWarning()
      throws Exception {
    Path source = dir.resolve("source");
    for (String key : List.of("a/1.txt", "a/2.txt", "a/deep/3.txt")) {
      TestTrees.write(source, key, 100);
    }
    jobFile("./source/", "full");
    assertThat(copyjob("run", job.toString())[0]).isEqualTo("0");
    // What an unmounted share looks like: the folder is there, its files are not.
    for (String key : List.of("a/1.txt", "a/2.txt", "a/deep/3.txt")) {
      Files.delete(source.resolve(key));
    }
    assertThat(copyjob("partitions", "reset", job.toString(), "--all")[0]).isEqualTo("0");

    String[] result = copyjob("run", job.toString());

    String warning =
        "listed no file under "
            + source.toUri()
            + "a while its last run had 3; is the source folder there and mounted?";
    assertThat(result[0]).isEqualTo("0");
    assertThat(result[1]).contains("  warning     partition 'a': " + warning);
    assertThat(result[1]).doesNotContain("partition 'z'"); // empty both times: nothing to say
    JobSpec spec = JobSpecParser.parse(job);
    try (ControlStore control = ControlStore.open(spec.control())) {
      Map<String, PartitionState> states =
          control.partitions(name).stream()
              .collect(Collectors.toMap(p -> p.key().prefix(), p -> p));
      assertThat(states.get("a").status()).isEqualTo(PartitionStatus.SUCCEEDED);
      assertThat(states.get("a").error()).isEqualTo(warning);
      assertThat(states.get("z").error()).isNull();
      RunRecord last = control.history(name, 1).get(0);
      PartitionResult a = control.partitionRuns(last.runId()).get(0).result();
      assertThat(a.succeeded()).isTrue();
      assertThat(a.warning()).isEqualTo(warning);
      assertThat(a.firstError()).isNull();
    }
    assertThat(copyjob("partitions", "list", job.toString())[1])
        .contains("warning: listed no file");
  }

  @Test
  public void aDeltaPartitionThatListsNoFileKeepsItsWatermarkSoTheChangesMadeMeanwhileAreCopied()
      throws Exception {
    Path source = dir.resolve("source");
    TestTrees.write(source, "a/1.txt", 100);
    jobFile("./source/", "delta");
    assertThat(copyjob("run", job.toString())[0]).isEqualTo("0");
    Instant watermark = state("a").lastSuccessTime();
    assertThat(watermark).isNotNull();
    // The share is unmounted (its folder lists empty) while a file is written on its server.
    Path server = dir.resolve("server");
    Files.createDirectories(server);
    Files.move(source.resolve("a/1.txt"), server.resolve("1.txt"));
    byte[] written = TestTrees.write(server, "2.txt", 200);
    Thread.sleep(20); // past the next window's end, which lies a few ms before the run's start

    String[] unmounted = copyjob("run", job.toString());

    String warning =
        "listed no file under "
            + source.toUri()
            + "a; its delta watermark stays at "
            + watermark
            + " until it lists a file again: is the source folder there and mounted?";
    assertThat(unmounted[0]).isEqualTo("0");
    assertThat(unmounted[1]).contains("  warning     partition 'a': " + warning);
    assertThat(unmounted[1]).doesNotContain("partition 'z'"); // never had a watermark to keep
    assertThat(state("a").status()).isEqualTo(PartitionStatus.SUCCEEDED);
    assertThat(state("a").lastSuccessTime()).isEqualTo(watermark);
    assertThat(state("a").error()).isEqualTo(warning);
    assertThat(state("z").lastSuccessTime()).isNull();

    // Mounted again: the file written meanwhile, older than the empty run's window end, is copied.
    Files.move(server.resolve("1.txt"), source.resolve("a/1.txt"));
    Files.move(server.resolve("2.txt"), source.resolve("a/2.txt"));
    Thread.sleep(20);
    String[] mounted = copyjob("run", job.toString());

    assertThat(mounted[0]).isEqualTo("0");
    assertThat(dir.resolve("out/a/2.txt")).hasBinaryContent(written);
    assertThat(state("a").lastSuccessTime()).isAfter(watermark);
    assertThat(state("a").error()).isNull();
  }

  @Test
  public void aFileStampedLaterThanItsListingIsLeftForALaterRunAndSaidSo() throws Exception {
    Path source = dir.resolve("source");
    byte[] now = TestTrees.write(source, "a/now.txt", 100);
    byte[] ahead = TestTrees.write(source, "a/ahead.txt", 200);
    // Its writer's clock is a day ahead: past this run's window end, and the next few runs'.
    Instant stamp =
        Instant.now().plus(java.time.Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
    Files.setLastModifiedTime(source.resolve("a/ahead.txt"), FileTime.from(stamp));
    jobFile("./source/", "delta");

    String[] first = copyjob("run", job.toString());

    String reason =
        "a/ahead.txt: stamped "
            + stamp
            + ", later than this run's listing; a run after that time copies it";
    assertThat(first[0]).isEqualTo("0");
    assertThat(first[1]).contains("  warning     partition 'a': 1 entry not copied: " + reason);
    assertThat(dir.resolve("out/a/now.txt")).hasBinaryContent(now);
    assertThat(dir.resolve("out/a/ahead.txt")).doesNotExist();
    assertThat(state("a").error()).contains(reason);
    assertThat(copyjob("history", job.toString(), "--run", "1", "--files")[1])
        .containsPattern("a/ahead.txt.*STAMPED_LATER");

    // Its time has come (here: the stamp corrected): the next run copies it.
    Files.setLastModifiedTime(source.resolve("a/ahead.txt"), FileTime.from(Instant.now()));
    Thread.sleep(20);
    String[] second = copyjob("run", job.toString());

    assertThat(second[0]).isEqualTo("0");
    assertThat(second[1]).doesNotContain("not copied");
    assertThat(dir.resolve("out/a/ahead.txt")).hasBinaryContent(ahead);
    assertThat(state("a").error()).isNull();
  }

  @Test
  public void entriesOfALocalSourceThatAreNotFilesAreSaidNotDroppedAndTheRestIsCopied()
      throws Exception {
    Path source = dir.resolve("source");
    byte[] real = TestTrees.write(source, "a/real.txt", 100);
    byte[] linked = TestTrees.write(source, "a/linked.txt", 50);
    TestTrees.write(dir, "elsewhere/inside.txt", 10);
    Files.createSymbolicLink(source.resolve("a/folder-link"), dir.resolve("elsewhere"));
    Files.createSymbolicLink(source.resolve("a/file-link"), source.resolve("a/linked.txt"));
    Files.createSymbolicLink(source.resolve("a/dangling"), dir.resolve("gone"));
    Process mkfifo = new ProcessBuilder("mkfifo", source.resolve("a/pipe").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    jobFile("./source/", "full");

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("0");
    assertThat(result[1])
        .contains(
            "  warning     partition 'a': 3 entries not copied; the first: a/dangling: a symbolic"
                + " link whose target is not there");
    assertThat(dir.resolve("out/a/real.txt")).hasBinaryContent(real);
    assertThat(dir.resolve("out/a/file-link")).hasBinaryContent(linked); // a file link: its file
    assertThat(dir.resolve("out/a/folder-link")).doesNotExist();
    assertThat(state("a").status()).isEqualTo(PartitionStatus.SUCCEEDED);
    String files = copyjob("history", job.toString(), "--run", "1", "--files")[1];
    assertThat(files)
        .containsPattern("a/dangling.*NOT_A_FILE.*a symbolic link whose target is not there")
        .containsPattern("a/folder-link.*NOT_A_FILE.*a symbolic link to a folder, not followed")
        .containsPattern(
            "a/pipe.*NOT_A_FILE.*not a regular file \\(a named pipe, a socket or a device\\)");
  }

  /**
   * A file whose name's bytes the JVM cannot decode (Latin-1 on a UTF-8 system) is a failure naming
   * why: it had been listed, then failed as a file not found, and its neighbours are copied.
   */
  @Test
  public void aFileWhoseNameDoesNotDecodeFailsSayingWhyAndTheRestIsCopied() throws Exception {
    Path source = dir.resolve("source");
    byte[] real = TestTrees.write(source, "a/real.txt", 100);
    // Written by the shell: Java could not name it.
    Process write =
        new ProcessBuilder(
                "bash", "-c", "printf latin1 > \"$1\"/a/$'caf\\xe9.txt'", "-", source.toString())
            .start();
    assertThat(write.waitFor()).isZero();
    jobFile("./source/", "full");

    String[] result = copyjob("run", job.toString());

    assertThat(result[0]).isEqualTo("1");
    assertThat(result[1])
        .containsPattern("partition 'a': a/caf.\\.txt: its name holds bytes that are not valid ");
    assertThat(dir.resolve("out/a/real.txt")).hasBinaryContent(real);
    assertThat(state("a").status()).isEqualTo(PartitionStatus.FAILED);
    String files = copyjob("history", job.toString(), "--run", "1", "--files")[1];
    assertThat(files).containsPattern("FAILED.*so it cannot be opened by name");
  }

  private PartitionState state(String prefix) throws Exception {
    JobSpec spec = JobSpecParser.parse(job);
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.partitions(name).stream()
          .filter(p -> p.key().prefix().equals(prefix))
          .findFirst()
          .orElseThrow();
    }
  }

  private void assertNothingRecorded() throws Exception {
    JobSpec spec = JobSpecParser.parse(job);
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.history(name, 10)).isEmpty();
      assertThat(control.partitions(name)).noneMatch(p -> p.status() == PartitionStatus.SUCCEEDED);
    }
  }
}
