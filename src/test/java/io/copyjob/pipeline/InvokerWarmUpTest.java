package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Test;

public class InvokerWarmUpTest {

  @Test
  public void makesTheInvokerOfEveryDoFnOfADirectRunnersPipelineBeforeItRuns() throws Exception {
    Pipeline pipeline = pipeline(DirectRunner.class);
    PCollection<String> upper = pipeline.apply(Create.of("a")).apply(ParDo.of(new UpperFn()));
    upper.apply(ParDo.of(new LengthFn()));

    InvokerWarmUp.start(pipeline);

    assertThat(invokerOf(UpperFn.class, Duration.ofSeconds(30))).isTrue();
    assertThat(invokerOf(LengthFn.class, Duration.ofSeconds(30))).isTrue();
  }

  @Test
  public void makesNothingForFlinkWhoseTaskManagersInvokeTheDoFns() throws Exception {
    Pipeline pipeline = pipeline(FlinkRunner.class);
    pipeline.apply(Create.of("a")).apply(ParDo.of(new ElsewhereFn()));

    InvokerWarmUp.start(pipeline);

    assertThat(invokerOf(ElsewhereFn.class, Duration.ofSeconds(2))).isFalse();
  }

  private static Pipeline pipeline(Class<? extends PipelineRunner<?>> runner) {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(runner);
    return Pipeline.create(options);
  }

  /** Whether Beam has made {@code fn}'s invoker class within {@code wait}. */
  private static boolean invokerOf(Class<?> fn, Duration wait) throws InterruptedException {
    Instant end = Instant.now().plus(wait);
    do {
      try {
        Class.forName(fn.getName() + "$DoFnInvoker", false, fn.getClassLoader());
        return true;
      } catch (ClassNotFoundException e) {
        Thread.sleep(20);
      }
    } while (Instant.now().isBefore(end));
    return false;
  }

  static final class UpperFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String s, OutputReceiver<String> out) {
      out.output(s.toUpperCase(java.util.Locale.ROOT));
    }
  }

  static final class LengthFn extends DoFn<String, Integer> {
    @ProcessElement
    public void process(@Element String s, OutputReceiver<Integer> out) {
      out.output(s.length());
    }
  }

  static final class ElsewhereFn extends DoFn<String, String> {
    @ProcessElement
    public void process(@Element String s, OutputReceiver<String> out) {
      out.output(s);
    }
  }
}
