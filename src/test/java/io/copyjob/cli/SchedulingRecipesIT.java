package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.copyjob.control.ControlStore;
import io.copyjob.control.RunStatus;
import io.copyjob.pipeline.TestTrees;
import io.copyjob.spec.JobSpecParser;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The scheduling recipes of docs/scheduling.md (files under examples/scheduling/), checked as far
 * as this machine allows: the crontab line run twice at once with the real launcher (flock lets one
 * through), the systemd units by {@code systemd-analyze verify}, the Kubernetes CronJob decoded by
 * {@code kubectl} (no schema validator is packaged here, and kubectl's needs a cluster), the
 * Airflow DAG compiled (Airflow itself is not installed).
 */
public class SchedulingRecipesIT {
  private static final Path ROOT =
      Path.of(System.getProperty("copyjob.root", ".")).toAbsolutePath().normalize();
  private static final Path RECIPES = ROOT.resolve("examples/scheduling");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private record Result(int exit, String out) {}

  private static Result sh(Path dir, String command, int timeoutSeconds) throws Exception {
    Process p =
        new ProcessBuilder("bash", "-c", command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static boolean onPath(String command) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(d, command).canExecute()) {
        return true;
      }
    }
    return false;
  }

  @Test
  public void theCrontabLineLetsOneRunThroughAtATime() throws Exception {
    Assume.assumeTrue("flock is not installed", onPath("flock"));
    Path dir = tmp.getRoot().toPath();
    Files.createDirectories(dir.resolve("jobs"));
    TestTrees.write(dir.resolve("src"), "a/1.bin", 400_000);
    // 400 kB at 100 kB/s: a run of about four seconds, long enough to be caught going.
    Files.writeString(
        dir.resolve("jobs/sales.yaml"),
        "name: sales\nsource:\n  root: ../src/\n  partitions: [a]\nsink:\n  root: ../dst/\n"
            + "copy: {maxBytesPerSecond: 100000}\n");
    String line =
        Files.readAllLines(RECIPES.resolve("crontab")).stream()
            .filter(l -> !l.isBlank() && !l.startsWith("#"))
            .findFirst()
            .orElseThrow();
    // The command part of the crontab line, pointed at this checkout and this folder.
    String command =
        line.replaceFirst("^(\\S+\\s+){5}", "")
            .replace("cd /opt/copyjob", "cd " + dir)
            .replace("scripts/copyjob", ROOT.resolve("scripts/copyjob").toString())
            .replace("/tmp/copyjob-sales.lock", dir.resolve("sales.lock").toString())
            .replace("/var/log/copyjob/sales.log", dir.resolve("sales.log").toString());

    Process first = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(dir.resolve("jobs/.copyjob")) && System.nanoTime() < deadline) {
      Thread.sleep(100); // the first run has started: its control store exists
    }
    Result second = sh(dir, command, 60);
    assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();

    assertThat(second.exit()).as("flock -n refuses the second start").isEqualTo(1);
    assertThat(first.exitValue()).as(Files.readString(dir.resolve("sales.log"))).isZero();
    JsonNode summary =
        new ObjectMapper()
            .readTree(
                Files.readString(dir.resolve("sales.log"))
                    .substring(Files.readString(dir.resolve("sales.log")).indexOf('{')));
    assertThat(summary.get("status").asText()).isEqualTo("SUCCEEDED");
    try (ControlStore control =
        ControlStore.open(JobSpecParser.parse(dir.resolve("jobs/sales.yaml")).control())) {
      assertThat(control.history("sales", 10))
          .extracting(r -> r.status())
          .containsExactly(RunStatus.SUCCEEDED);
    }
  }

  /**
   * cron and systemd start the launcher with no locale: Java then reads file names as ASCII, and
   * every local file whose name is outside it failed to copy. The launcher sets a UTF-8 locale.
   */
  @Test
  public void aRunStartedWithNoLocaleCopiesNamesOutsideAscii() throws Exception {
    Path dir = tmp.getRoot().toPath();
    String name = "caf\u00e9 na\u00efve \u65e5\u672c.txt";
    // Written by the shell: this JVM may be one without a UTF-8 locale itself.
    Result write =
        sh(
            dir,
            "mkdir -p src/a && printf 'x%.0s' {1..1000} > \"src/a/$(printf '"
                + bashEscaped(name)
                + "')\"",
            30);
    assertThat(write.exit()).as(write.out()).isZero();
    Files.writeString(
        dir.resolve("job.yaml"),
        "name: names\nsource:\n  root: ./src/\n  partitions: [a]\nsink:\n  root: ./dst/\n");

    Result run =
        sh(
            dir,
            "env -i PATH=\"$PATH\" HOME=\"$HOME\" "
                + ROOT.resolve("scripts/copyjob")
                + " run job.yaml",
            300);

    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.out()).contains("files       1 copied, 0 skipped, 0 failed");
    Result listed = sh(dir, "ls dst/a | od -An -tx1 | tr -d ' \\n'", 30);
    StringBuilder hex = new StringBuilder();
    for (byte b : (name + "\n").getBytes(StandardCharsets.UTF_8)) {
      hex.append(String.format("%02x", b));
    }
    assertThat(listed.out()).isEqualTo(hex.toString());
  }

  /** {@code text} as printf's format writes its UTF-8 bytes: each byte as \\xHH. */
  private static String bashEscaped(String text) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      out.append(String.format("\\x%02x", b));
    }
    return out.toString();
  }

  @Test
  public void theSystemdUnitsVerifyAndTheirCalendarIsHourly() throws Exception {
    Assume.assumeTrue("systemd-analyze is not installed", onPath("systemd-analyze"));
    Path dir = tmp.getRoot().toPath();
    for (String unit : List.of("copyjob-sales.service", "copyjob-sales.timer")) {
      Files.writeString(
          dir.resolve(unit),
          Files.readString(RECIPES.resolve(unit))
              .replace("/opt/copyjob", ROOT.toString())
              .replace("User=copyjob", "User=root"));
    }

    Result verify =
        sh(dir, "systemd-analyze verify ./copyjob-sales.service ./copyjob-sales.timer", 60);
    Result calendar = sh(dir, "systemd-analyze calendar hourly --iterations=2", 30);

    assertThat(verify.exit()).as(verify.out()).isZero();
    assertThat(verify.out()).as("no warning").isBlank();
    assertThat(calendar.out()).contains("Normalized form: *-*-* *:00:00");
  }

  /**
   * No Kubernetes schema validator is packaged here and kubectl needs a cluster to decode a
   * manifest, so the CronJob is read as YAML and its fields that matter are checked.
   */
  @Test
  public void theKubernetesCronJobForbidsOverlappingRuns() throws Exception {
    JsonNode cronJob =
        new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readTree(RECIPES.resolve("cronjob.yaml").toFile());

    assertThat(cronJob.get("apiVersion").asText()).isEqualTo("batch/v1");
    assertThat(cronJob.get("kind").asText()).isEqualTo("CronJob");
    assertThat(cronJob.at("/spec/concurrencyPolicy").asText()).isEqualTo("Forbid");
    assertThat(cronJob.at("/spec/schedule").asText()).isEqualTo("0 * * * *");
    assertThat(cronJob.at("/spec/jobTemplate/spec/backoffLimit").asInt()).isZero();
    assertThat(cronJob.at("/spec/jobTemplate/spec/template/spec/restartPolicy").asText())
        .isEqualTo("Never");
    assertThat(cronJob.at("/spec/jobTemplate/spec/template/spec/containers/0/args/0").asText())
        .isEqualTo("run");
  }

  @Test
  public void theAirflowDagCompiles() throws Exception {
    Assume.assumeTrue("python3 is not installed", onPath("python3"));
    Result compiled =
        sh(
            tmp.getRoot().toPath(),
            "python3 -c 'import ast,sys; ast.parse(open(sys.argv[1]).read())' "
                + RECIPES.resolve("airflow_copyjob_dag.py"),
            30);

    assertThat(compiled.exit()).as(compiled.out()).isZero();
    assertThat(Files.readString(RECIPES.resolve("airflow_copyjob_dag.py")))
        .contains("max_active_runs=1")
        .contains("catchup=False");
  }
}
