package io.copyjob.pipeline;

import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The same runs, with the same assertions on bytes, statuses and counts, on Beam's FlinkRunner with
 * an embedded Flink mini cluster ({@code --flink-master=[local]}) and the embedded H2 store.
 */
public class FileCopyPipelineFlinkIT extends FileCopyPipelineTest {
  @Override
  protected PipelineOptions options() {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setFasterCopy(true);
    return options;
  }
}
