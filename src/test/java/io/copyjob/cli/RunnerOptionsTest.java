package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.copyjob.pipeline.JobException;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.junit.After;
import org.junit.Test;

/** The pipeline options a run command's runner settings become; no cluster is started here. */
public class RunnerOptionsTest {
  private static final JobSpec POSTGRES =
      JobSpecParser.parse(
          String.join(
              "\n",
              "name: remote",
              "source:",
              "  root: /data/src/",
              "sink:",
              "  root: /data/dst/",
              "control:",
              "  url: jdbc:postgresql://db.example:5432/copyjob",
              ""),
          Path.of("/jobs"),
          "job.yaml");

  private HttpServer restEndpoint;

  @After
  public void stopRestEndpoint() {
    if (restEndpoint != null) {
      restEndpoint.stop(0);
    }
  }

  @Test
  public void aRemoteMasterWithoutParallelismUsesEveryTaskSlotOfTheCluster() throws Exception {
    String master = fakeCluster("{\"taskmanagers\":2,\"slots-total\":6,\"slots-available\":6}");

    FlinkPipelineOptions options =
        RunnerOptions.create(POSTGRES, RunnerOptions.Runner.FLINK, master, null, List.of())
            .as(FlinkPipelineOptions.class);

    assertThat(options.getRunner()).isEqualTo(FlinkRunner.class);
    assertThat(options.getFlinkMaster()).isEqualTo(master);
    assertThat(options.getParallelism()).isEqualTo(6);
    assertThat(options.getFasterCopy()).isTrue();
  }

  @Test
  public void anExplicitParallelismOrFilesToStageIsKept() throws Exception {
    FlinkPipelineOptions options =
        RunnerOptions.create(
                POSTGRES,
                RunnerOptions.Runner.FLINK,
                "127.0.0.1:1",
                3,
                List.of("--filesToStage=/opt/copyjob.jar"))
            .as(FlinkPipelineOptions.class);

    assertThat(options.getParallelism()).isEqualTo(3);
    assertThat(options.getFilesToStage()).containsExactly("/opt/copyjob.jar");
  }

  @Test
  public void anUnreachableClusterIsOneLineNamingTheOption() {
    assertThatThrownBy(
            () ->
                RunnerOptions.create(
                    POSTGRES, RunnerOptions.Runner.FLINK, "127.0.0.1:1", null, List.of()))
        .isInstanceOf(JobException.class)
        .hasMessageStartingWith(
            "--flink-master: cannot reach the Flink cluster at http://127.0.0.1:1/overview: ");
  }

  @Test
  public void aClusterWithoutTaskManagersIsRefused() throws Exception {
    String master = fakeCluster("{\"taskmanagers\":0,\"slots-total\":0,\"slots-available\":0}");

    assertThatThrownBy(
            () ->
                RunnerOptions.create(POSTGRES, RunnerOptions.Runner.FLINK, master, null, List.of()))
        .hasMessageEndingWith("the cluster reports no task slots (is a TaskManager registered?)");
  }

  @Test
  public void testsRunFromClassesSoNoJarIsNamedAndBeamDetectsTheClassPath() throws Exception {
    String master = fakeCluster("{\"slots-total\":2}");

    FlinkPipelineOptions options =
        RunnerOptions.create(POSTGRES, RunnerOptions.Runner.FLINK, master, null, List.of())
            .as(FlinkPipelineOptions.class);

    assertThat(RunnerOptions.runningJar()).isEmpty();
    assertThat(options.getFilesToStage()).isNull();
  }

  @Test
  public void theLocalMiniClusterNeedsNoClusterAndAllowsTheEmbeddedStore() {
    JobSpec embedded =
        JobSpecParser.parse(
            "name: local\nsource:\n  root: /s/\nsink:\n  root: /d/\n", Path.of("/jobs"), "j.yaml");

    FlinkPipelineOptions options =
        RunnerOptions.create(embedded, RunnerOptions.Runner.FLINK, null, null, List.of())
            .as(FlinkPipelineOptions.class);

    assertThat(options.getFlinkMaster()).isEqualTo("[local]");
    assertThat(options.getParallelism()).isEqualTo(-1); // Flink's local default: the cores
    assertThat(options.getFilesToStage()).isNull();
  }

  @Test
  public void aContinuousRunOnFlinkCheckpointsAndRestartsUnlessToldOtherwise() {
    JobSpec continuous =
        JobSpecParser.parse(
            "name: c\nsource:\n  root: /s/\nsink:\n  root: /d/\nmode: continuous\n"
                + "continuous: {interval: 10s}\n",
            Path.of("/jobs"),
            "j.yaml");

    FlinkPipelineOptions options =
        RunnerOptions.create(continuous, RunnerOptions.Runner.FLINK, null, null, List.of())
            .as(FlinkPipelineOptions.class);
    assertThat(options.isStreaming()).isTrue();
    assertThat(options.getCheckpointingInterval()).isEqualTo(10_000L);
    // A lost TaskManager's tasks come back from the last checkpoint only on a restart.
    assertThat(options.getNumberOfExecutionRetries()).isEqualTo(10);
    assertThat(options.getExecutionRetryDelay()).isEqualTo(10_000L);

    FlinkPipelineOptions told =
        RunnerOptions.create(
                continuous,
                RunnerOptions.Runner.FLINK,
                null,
                null,
                List.of("--numberOfExecutionRetries=0"))
            .as(FlinkPipelineOptions.class);
    assertThat(told.getNumberOfExecutionRetries()).isZero();
  }

  @Test
  public void aTabularJobOnTheDirectRunnerTakesOneThreadUnlessToldMore() {
    String tabular =
        String.join(
            "\n",
            "name: t",
            "source:",
            "  root: /s/",
            "  format: csv",
            "sink:",
            "  database: {url: 'jdbc:h2:mem:t'}",
            "tables:",
            "  orders: {files: orders/, target: orders}",
            "");
    JobSpec spec = JobSpecParser.parse(tabular, Path.of("/jobs"), "j.yaml");
    JobSpec told =
        JobSpecParser.parse(tabular + "copy:\n  parallelism: 4\n", Path.of("/jobs"), "j.yaml");

    // A piece is one long bundle: any more threads would poll without pause while it runs.
    assertThat(direct(spec, null, List.of()).getTargetParallelism()).isEqualTo(1);
    assertThat(direct(told, null, List.of()).getTargetParallelism()).isEqualTo(4);
    assertThat(direct(spec, 3, List.of()).getTargetParallelism()).isEqualTo(3);
    assertThat(direct(spec, null, List.of("--targetParallelism=2")).getTargetParallelism())
        .isEqualTo(2);
    // A batch file copy too: its transfers and listings run on pools of their own.
    JobSpec files =
        JobSpecParser.parse(
            "name: f\nsource:\n  root: /s/\nsink:\n  root: /d/\n", Path.of("/jobs"), "j.yaml");
    assertThat(direct(files, null, List.of()).getTargetParallelism()).isEqualTo(1);
    // A continuous file copy keeps the runner's own default.
    JobSpec continuous =
        JobSpecParser.parse(
            "name: f\nmode: continuous\ncontinuous: {interval: 1m}\nsource:\n  root: /s/\nsink:\n  root: /d/\n",
            Path.of("/jobs"),
            "j.yaml");
    assertThat(direct(continuous, null, List.of()).getTargetParallelism())
        .isEqualTo(Math.max(Runtime.getRuntime().availableProcessors(), 3));
  }

  private static DirectOptions direct(JobSpec spec, Integer parallelism, List<String> args) {
    return RunnerOptions.create(spec, RunnerOptions.Runner.DIRECT, null, parallelism, args)
        .as(DirectOptions.class);
  }

  @Test
  public void theJobFilesParallelismAppliesUnlessTheCommandLineGivesOne() {
    JobSpec spec =
        JobSpecParser.parse(
            "name: p\nsource:\n  root: /s/\nsink:\n  root: /d/\ncopy:\n  parallelism: 3\n",
            Path.of("/jobs"),
            "j.yaml");

    assertThat(
            RunnerOptions.create(spec, RunnerOptions.Runner.FLINK, null, null, List.of())
                .as(FlinkPipelineOptions.class)
                .getParallelism())
        .isEqualTo(3);
    assertThat(
            RunnerOptions.create(spec, RunnerOptions.Runner.FLINK, null, 5, List.of())
                .as(FlinkPipelineOptions.class)
                .getParallelism())
        .isEqualTo(5);
    assertThat(
            RunnerOptions.create(spec, RunnerOptions.Runner.DIRECT, null, null, List.of())
                .as(org.apache.beam.runners.direct.DirectOptions.class)
                .getTargetParallelism())
        .isEqualTo(3);
  }

  /** See CappedRunTest: a thread of the direct runner that no bundle holds polls without pause. */
  @Test
  public void aCappedRunOnTheDirectRunnerTakesOneThreadUnlessAParallelismIsGiven() {
    JobSpec capped =
        JobSpecParser.parse(
            "name: p\nmode: continuous\ncontinuous: {interval: 1m}\nsource:\n  root: /s/\nsink:\n  root: /d/\n"
                + "copy:\n  maxBytesPerSecond: 2MB\n",
            Path.of("/jobs"),
            "j.yaml");
    JobSpec uncapped =
        JobSpecParser.parse(
            "name: p\nmode: continuous\ncontinuous: {interval: 1m}\nsource:\n  root: /s/\nsink:\n  root: /d/\n",
            Path.of("/jobs"),
            "j.yaml");

    assertThat(directParallelism(capped, null, List.of())).isEqualTo(1);
    assertThat(directParallelism(capped, 4, List.of())).isEqualTo(4);
    assertThat(directParallelism(capped, null, List.of("--targetParallelism=6"))).isEqualTo(6);
    assertThat(directParallelism(uncapped, null, List.of()))
        .isEqualTo(Math.max(3, Runtime.getRuntime().availableProcessors()));
  }

  private static int directParallelism(JobSpec spec, Integer parallelism, List<String> args) {
    return RunnerOptions.create(spec, RunnerOptions.Runner.DIRECT, null, parallelism, args)
        .as(org.apache.beam.runners.direct.DirectOptions.class)
        .getTargetParallelism();
  }

  /** A REST endpoint that answers /overview like a Flink JobManager; returns its HOST:PORT. */
  private String fakeCluster(String overview) throws Exception {
    restEndpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    restEndpoint.createContext(
        "/overview",
        exchange -> {
          byte[] body = overview.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    restEndpoint.start();
    return "127.0.0.1:" + restEndpoint.getAddress().getPort();
  }
}
