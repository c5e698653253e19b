package io.copyjob.tabular.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StartRounds;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A continuous table copy's round records after a Flink failover: the results of a round recorded
 * before the failure that the checkpoint held (a bundle's outputs buffered at its barrier) come
 * again while the table's next round runs. They complete their own round, which stays as recorded,
 * and never the next one, which is recorded with its own pieces alone.
 */
public class RecordTableRoundTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void piecesOfAnEarlierRoundDeliveredAgainCountOnlyForTheirRound() throws Exception {
    String name = "table-rounds-" + UUID.randomUUID().toString().substring(0, 8);
    String database = "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
    try (Connection c = DriverManager.getConnection(database);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, at TIMESTAMP(6))");
    }
    Path jobFile = tmp.getRoot().toPath().resolve(name + ".yaml");
    Files.writeString(
        jobFile,
        String.join(
            "\n",
            "name: " + name,
            "source: {database: {url: '" + database + "'}}",
            "sink: {database: {url: '" + database + "'}}",
            "tables:",
            "  events: {table: events, target: events, keys: [id], write: upsert,"
                + " watermark: {column: at}}",
            "mode: continuous",
            "continuous: {interval: 5s}",
            "control: {url: 'jdbc:h2:file:"
                + tmp.getRoot().toPath().resolve("control")
                + ";AUTO_SERVER=TRUE'}",
            ""));
    JobSpec spec = JobSpecParser.parse(jobFile);
    String owner = "host:1:rounds";
    Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    // A table the spec does not name: its record is the control store's alone, no sink commit.
    TableKey table = new TableKey("db", "gone", 1);
    long runId;
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.acquireLease(name, owner, Duration.ofMinutes(1))).isTrue();
      runId = control.startRun(name, owner, start, "continuous", "direct", "{}");
      control.startRound(runId, name, 3, List.of(planned(runId, 3, table, start)));
      assertThat(
              control.recordRound(
                  runId,
                  name,
                  start,
                  3,
                  new PartitionResult(table.partition(), 1, 0, 0, 100, null, null, null)))
          .isTrue();
      control.startRound(runId, name, 6, List.of(planned(runId, 6, table, start)));
    }
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    PCollection<KV<String, TableRoundEvent>> planned =
        pipeline.apply(
            "Planned",
            Create.of(
                    KV.of(
                        StartRounds.resultKey(table.id(), 3),
                        TableRoundEvent.planned(new TableRound(3, table), 1)),
                    KV.of(
                        StartRounds.resultKey(table.id(), 6),
                        TableRoundEvent.planned(new TableRound(6, table), 2)))
                .withCoder(
                    KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(TableRoundEvent.class))));
    // Both rounds' plans are in first (round 3's was in the state the job was restored with),
    // then round 3's piece comes again, then round 6's two.
    long at = start.toEpochMilli();
    pipeline
        .apply(
            "Results",
            TestStream.create(SerializableCoder.of(PieceResult.class))
                .advanceWatermarkTo(new org.joda.time.Instant(at))
                .addElements(piece(table, "f1.csv", PieceResult.Outcome.LOADED, at).inRound(3))
                .addElements(
                    piece(table, "f2.csv", PieceResult.Outcome.SKIPPED, at).inRound(6),
                    piece(table, "f3.csv", PieceResult.Outcome.SKIPPED, at).inRound(6))
                .advanceWatermarkToInfinity())
        .apply(
            new RecordTableRound(
                spec, new RunContext(runId, start, owner, Duration.ofMinutes(1)), 1, planned));
    assertThat(pipeline.run().waitUntilFinish()).isEqualTo(PipelineResult.State.DONE);

    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.rounds(runId))
          .extracting(
              r ->
                  r.round()
                      + " "
                      + r.status()
                      + ", loaded "
                      + r.filesCopied()
                      + ", skipped "
                      + r.filesSkipped())
          .containsExactly("3 SUCCEEDED, loaded 1, skipped 0", "6 SUCCEEDED, loaded 0, skipped 2");
    }
  }

  private static PieceResult piece(
      TableKey table, String key, PieceResult.Outcome outcome, long at) {
    boolean loaded = outcome == PieceResult.Outcome.LOADED;
    return new PieceResult(
        table.id(), key, outcome, loaded ? 10 : 0, loaded ? 10 : 0, 0, 100, at, at, null);
  }

  private static RoundRecord planned(long runId, long round, TableKey table, Instant at) {
    return RoundRecord.planned(
        runId, round, table.partition(), RoundStatus.RUNNING, at, null, null, null);
  }
}
