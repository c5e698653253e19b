package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.TableSinks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;

/** Drives the tabular pipeline's steps directly, as a runner retrying them would. */
public final class TabularJobTestSupport {
  private static final ConcurrentLinkedQueue<String> OUTCOMES = new ConcurrentLinkedQueue<>();

  private TabularJobTestSupport() {}

  /** What became of each attempt: its outcome, and its error when it failed. */
  public record Driven(List<String> outcomes) {}

  /**
   * Loads the same piece twice in one run, on two workers at once where the runner allows: the
   * second attempt stands for a bundle the runner retries after the first one committed.
   */
  public static Driven transferTwice(JobSpec spec, String table, String file) throws Exception {
    TableSpec tableSpec = spec.tabular().table(table);
    long runId;
    try (ControlStore control = ControlStore.open(spec.control())) {
      runId = control.startRun(spec.name(), Instant.now(), "full", "direct", "{}");
    }
    RunContext run = new RunContext(runId, Instant.now(), "test-owner", Duration.ofMinutes(2));
    SinkTable sinkTable;
    FileInfo info;
    try (TableSink sink = TableSinks.of(spec);
        StoreCache stores = new StoreCache(spec)) {
      sink.prepare();
      sinkTable = sink.describe(tableSpec);
      info =
          stores.get(spec.source().root().toString()).stat(tableSpec.files() + file).orElseThrow();
    }
    Piece piece =
        new Piece(new TableKey(spec.source().root().toString(), table, 0), info, sinkTable);
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline pipeline = Pipeline.create(options);
    OUTCOMES.clear();
    pipeline
        .apply(Create.of(piece, piece).withCoder(SerializableCoder.of(Piece.class)))
        .apply(Reshuffle.viaRandomKey())
        .apply(new TransferPieces(spec, run, 1))
        .apply(ParDo.of(new CollectFn()));
    pipeline.run().waitUntilFinish();
    return new Driven(new ArrayList<>(OUTCOMES));
  }

  static final class CollectFn extends DoFn<PieceResult, Void> {
    @ProcessElement
    public void process(@Element PieceResult result) {
      OUTCOMES.add(result.outcome().name() + (result.error() == null ? "" : ": " + result.error()));
    }
  }
}
