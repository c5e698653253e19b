package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.cli.CopyJob;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.RunTotals;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * One file, one partition, one sink name: overlapping partitions copy and count each file once, and
 * two source keys that would land on one sink key (flattened names, another root's folder) both
 * fail, naming each other. End to end on the DirectRunner with local folders and H2.
 */
public class PartitionLayoutTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private String job;
  private Path source;
  private Path sink;

  @Before
  public void setUp() throws Exception {
    job = "layout-" + UUID.randomUUID().toString().substring(0, 8);
    source = tmp.newFolder("source", "main").toPath();
    sink = tmp.getRoot().toPath().resolve("sink");
  }

  private JobSpec spec(List<String> partitions, CopyBehavior behavior) {
    return new JobSpec(
        job,
        new SourceSpec(source.toUri(), partitions),
        new SinkSpec(sink.toUri()),
        new CopySpec(behavior, true, 4),
        Mode.FULL,
        DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:" + tmp.getRoot().toPath().resolve("control") + ";AUTO_SERVER=TRUE",
            null,
            null));
  }

  /** One run, its progress lines (the warning among them) kept in {@code progress}. */
  private static RunRecord run(JobSpec spec, ByteArrayOutputStream progress) throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return new FileCopyJob(
            spec, options, "direct", "{}", new PrintStream(progress, true, "UTF-8"), false)
        .run();
  }

  private static Map<String, PartitionResult> results(JobSpec spec, RunRecord run)
      throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      Map<String, PartitionResult> byPrefix = new TreeMap<>();
      for (PartitionRunRecord p : control.partitionRuns(run.runId())) {
        byPrefix.put(p.result().key().root() + "|" + p.result().key().prefix(), p.result());
      }
      return byPrefix;
    }
  }

  private String main(String prefix) {
    return source.toUri() + "|" + prefix;
  }

  @Test
  public void overlappingPartitionsCopyAndCountEachFileOnce() throws Exception {
    Map<String, byte[]> files = new TreeMap<>();
    for (String key : List.of("a/1.txt", "a/b/2.txt", "ab/3.txt", "apple.csv", "c/4.txt")) {
      files.put(key, TestTrees.write(source, key, 1000 + key.length()));
    }
    // "" is what a job left when it later named prefixes; "a/b" lies under "a", "ab" too.
    JobSpec spec = spec(List.of("", "a", "ab", "a/b"), CopyBehavior.PRESERVE_HIERARCHY);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();

    RunRecord run = run(spec, progress);

    assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
    long bytes = files.values().stream().mapToLong(b -> b.length).sum();
    assertThat(run.totals()).isEqualTo(new RunTotals(4, 0, 5, 0, 0, bytes));
    Map<String, PartitionResult> results = results(spec, run);
    assertThat(results.get(main("")).filesCopied()).isEqualTo(1); // c/4.txt
    assertThat(results.get(main("a")).filesCopied()).isEqualTo(2); // a/1.txt, apple.csv
    assertThat(results.get(main("a/b")).filesCopied()).isEqualTo(1);
    assertThat(results.get(main("ab")).filesCopied()).isEqualTo(1);
    TestTrees.assertTree(sink, files);
    assertThat(progress.toString(StandardCharsets.UTF_8).lines())
        .containsOnlyOnce(
            "copyjob: warning: partitions overlap: '' covers 'a', 'a' covers 'a/b', 'a' covers"
                + " 'ab'; each file is copied and counted once, by the longest prefix that covers"
                + " it");

    // The longer prefixes own their files whatever their status: "" copied again alone still
    // passes over everything under "a" and "ab", which stay SUCCEEDED.
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.resetPartitions(job, List.of(""))).isEqualTo(1);
    }
    RunRecord again = run(spec, new ByteArrayOutputStream());

    assertThat(again.totals()).isEqualTo(new RunTotals(1, 0, 0, 1, 0, 0));
  }

  @Test
  public void planWarnsOnceAndCountsEachFileOnce() throws Exception {
    for (String key : List.of("a/1.txt", "a/b/2.txt", "ab/3.txt", "c/4.txt")) {
      TestTrees.write(source, key, 10);
    }
    Path jobFile = tmp.getRoot().toPath().resolve("job.yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + job,
            "source:",
            "  root: " + source.toUri(),
            "  partitions: ['', a, ab, a/b]",
            "sink:",
            "  root: " + sink.toUri(),
            ""));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int exit =
        CopyJob.execute(
            new PrintWriter(out, true), new PrintWriter(err, true), "plan", jobFile.toString());

    assertThat(exit).isZero();
    assertThat(err.toString().lines())
        .containsExactly(
            "copyjob: warning: partitions overlap: '' covers 'a', 'a' covers 'a/b', 'a' covers"
                + " 'ab'; each file is copied and counted once, by the longest prefix that covers"
                + " it");
    assertThat(out.toString().lines())
        .contains(
            "partition '' of " + source.toUri() + ": 1 files, 10 B",
            "partition 'a' of " + source.toUri() + ": 1 files, 10 B")
        .last()
        .isEqualTo("plan for job '" + job + "' (full): 4 partition(s), 4 files, 40 B");
  }

  @Test
  public void flattenedNamesThatMeetFailBothFilesNamingEachOther() throws Exception {
    byte[] ok = TestTrees.write(source, "a/ok.csv", 100);
    TestTrees.write(source, "a/b_c.csv", 200);
    TestTrees.write(source, "a_b/c.csv", 300);
    // Two partitions: the two files meet across them.
    JobSpec spec = spec(List.of("a/", "a_"), CopyBehavior.FLATTEN_HIERARCHY);

    RunRecord run = run(spec, new ByteArrayOutputStream());

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(run.totals()).isEqualTo(new RunTotals(0, 2, 1, 0, 2, 100));
    TestTrees.assertTree(sink, Map.of("a_ok.csv", ok));
    Map<String, PartitionResult> results = results(spec, run);
    assertThat(results.get(main("a/")).firstError())
        .isEqualTo("a/b_c.csv: not copied, a_b/c.csv would land on the same sink key 'a_b_c.csv'");
    assertThat(results.get(main("a_")).firstError())
        .isEqualTo("a_b/c.csv: not copied, a/b_c.csv would land on the same sink key 'a_b_c.csv'");
  }

  @Test
  public void anotherRootsFolderMeetingAKeyOfTheMainRootFailsBoth() throws Exception {
    byte[] kept = TestTrees.write(source, "x/g.txt", 100);
    TestTrees.write(source, "x/f.txt", 200);
    Path other = tmp.newFolder("source", "x").toPath(); // its files land below "x/" in the sink
    TestTrees.write(other, "f.txt", 300);
    JobSpec spec = spec(List.of("x"), CopyBehavior.PRESERVE_HIERARCHY);
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.addPartitions(job, List.of(new PartitionKey(other.toUri().toString(), "")));
    }

    RunRecord run = run(spec, new ByteArrayOutputStream());

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    TestTrees.assertTree(sink, Map.of("x/g.txt", kept));
    Map<String, PartitionResult> results = results(spec, run);
    assertThat(results.get(main("x")).firstError())
        .isEqualTo(
            "x/f.txt: not copied, "
                + other.toUri()
                + "f.txt would land on the same sink key 'x/f.txt'");
    assertThat(results.get(other.toUri() + "|").firstError())
        .isEqualTo(
            "f.txt: not copied, "
                + source.toUri()
                + "x/f.txt would land on the same sink key"
                + " 'x/f.txt'");
  }

  @Test
  public void twoRootsOfOneNameAreRefusedBeforeTheRun() throws Exception {
    Path one = tmp.newFolder("one", "x").toPath();
    Path two = tmp.newFolder("two", "x").toPath();
    JobSpec spec = spec(List.of("a"), CopyBehavior.PRESERVE_HIERARCHY);
    try (ControlStore control = ControlStore.open(spec.control())) {
      control.addPartitions(
          job,
          List.of(
              new PartitionKey(one.toUri().toString(), "p"),
              new PartitionKey(two.toUri().toString(), "q")));
    }

    assertThatThrownBy(() -> run(spec, new ByteArrayOutputStream()))
        .isInstanceOf(JobException.class)
        .hasMessage(
            "source roots "
                + one.toUri()
                + " and "
                + two.toUri()
                + " would both land below 'x/' in the sink: give their partitions to one root, or"
                + " copy them in two jobs");
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.history(job, 10)).isEmpty();
    }
  }

  /** Whether the run must look for collisions: never for one root copied as it is. */
  @Test
  public void onlyAMappingThatIsNotOneToOneIsCheckedForCollisions() {
    String root = source.toUri().toString();
    JobSpec preserve = spec(List.of(), CopyBehavior.PRESERVE_HIERARCHY);
    JobSpec flatten = spec(List.of(), CopyBehavior.FLATTEN_HIERARCHY);
    PartitionKey a = new PartitionKey(root, "a");
    PartitionKey elsewhere = new PartitionKey("s3://x/", "");

    assertThat(PartitionLayout.of(preserve, List.of(a)).keysMayCollide()).isFalse();
    assertThat(PartitionLayout.of(flatten, List.of(a)).keysMayCollide()).isTrue();
    assertThat(PartitionLayout.of(preserve, List.of(a, elsewhere)).keysMayCollide()).isFalse();
    assertThat(
            PartitionLayout.of(preserve, List.of(new PartitionKey(root, "x/"), elsewhere))
                .keysMayCollide())
        .isTrue();
    assertThat(
            PartitionLayout.of(preserve, List.of(new PartitionKey(root, ""), elsewhere))
                .keysMayCollide())
        .isTrue();
  }

  @Test
  public void aFileBelongsToTheLongestPrefixThatCoversIt() {
    String root = URI.create("s3://b/").toString();
    PartitionKey all = new PartitionKey(root, "");
    PartitionKey a = new PartitionKey(root, "a");
    PartitionLayout layout =
        PartitionLayout.of(
            spec(List.of(), CopyBehavior.PRESERVE_HIERARCHY),
            List.of(
                all,
                a,
                new PartitionKey(root, "ab"),
                new PartitionKey(root, "a/b"),
                new PartitionKey(root, "c"),
                new PartitionKey("s3://other/", "a")));

    assertThat(layout.ownedByLonger(all, "ab/x")).isTrue();
    assertThat(layout.ownedByLonger(all, "b/x")).isFalse();
    assertThat(layout.ownedByLonger(all, "c")).isTrue();
    assertThat(layout.ownedByLonger(a, "a/x")).isFalse();
    assertThat(layout.ownedByLonger(a, "a/b/x")).isTrue();
    assertThat(layout.ownedByLonger(a, "abc")).isTrue();
    assertThat(layout.ownedByLonger(a, "a/c")).isFalse();
    assertThat(layout.ownedByLonger(new PartitionKey("s3://other/", "a"), "ab")).isFalse();
  }
}
