package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpecParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A run keeps every failed file with its whole reason in {@code .copyjob/logs/JOB-run-N.log} beside
 * the job file, and its summary says where; the control store keeps only each partition's first.
 */
public class FailureLogTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path dir;
  private Path jobFile;
  private String root;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Before
  public void makeJob() throws Exception {
    dir = tmp.getRoot().toPath();
    Path source = dir.resolve("src");
    // Flattened, three files of partition 'a' land on one name, and two of partition 'z' on
    // another: each fails, naming the others.
    TestTrees.write(source, "a/b_c.csv", 10);
    TestTrees.write(source, "a_b/c.csv", 20);
    TestTrees.write(source, "a/b/c.csv", 30);
    TestTrees.write(source, "ok.txt", 40);
    TestTrees.write(source, "z/x_y.bin", 50);
    TestTrees.write(source, "z_x/y.bin", 60);
    jobFile = dir.resolve("job.yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: logged",
            "source:",
            "  root: ./src/",
            "  partitions: [a, o, z]",
            "sink:",
            "  root: ./dst/",
            "copy:",
            "  behavior: flattenHierarchy",
            ""));
    root = JobSpecParser.parse(jobFile).source().root().toString();
  }

  private int copyjob(String... args) {
    return CopyJob.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  public void everyFailedFileIsLoggedWithItsWholeReasonAndTheSummarySaysWhere() throws Exception {
    assertThat(copyjob("run", jobFile.toString())).isEqualTo(1);

    Path log = dir.resolve(".copyjob/logs/logged-run-1.log");
    assertThat(out.toString())
        .contains("files       1 copied, 0 skipped, 5 failed")
        .contains("  failures    " + log + " (every failed file and why)");
    List<String> lines = Files.readAllLines(log);
    assertThat(lines)
        .hasSize(5)
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith(root + "a/b_c.csv: not copied, ")
                    .contains("a/b/c.csv")
                    .contains("a_b/c.csv"))
        .anySatisfy(line -> assertThat(line).startsWith(root + "a_b/c.csv: not copied, "))
        .anySatisfy(line -> assertThat(line).startsWith(root + "a/b/c.csv: not copied, "))
        .anySatisfy(
            line ->
                assertThat(line).startsWith(root + "z/x_y.bin: not copied, ").contains("z_x/y.bin"))
        .anySatisfy(
            line ->
                assertThat(line).startsWith(root + "z_x/y.bin: not copied, ").contains("z/x_y.bin"))
        .allSatisfy(line -> assertThat(line).doesNotEndWith("..."));
    // The control store, and so the run's error, keeps the first failure of partition 'a' alone.
    assertThat(err.toString()).hasLineCount(1).doesNotContain("z/x_y.bin");

    // A run that fails nothing writes no log and says nothing of one.
    Files.delete(dir.resolve("src/a/b_c.csv"));
    Files.delete(dir.resolve("src/a/b/c.csv"));
    Files.delete(dir.resolve("src/z_x/y.bin"));
    out.getBuffer().setLength(0);
    assertThat(copyjob("run", jobFile.toString())).isZero();
    assertThat(out.toString())
        .startsWith("run 2 of job 'logged': SUCCEEDED")
        .doesNotContain("failures");
    assertThat(dir.resolve(".copyjob/logs/logged-run-2.log")).doesNotExist();
  }
}
