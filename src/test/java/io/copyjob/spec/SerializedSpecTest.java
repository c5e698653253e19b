package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.Test;

/** A job's spec travels in every serialized step as bytes made once, and reads back equal. */
public class SerializedSpecTest {
  private static JobSpec spec(int partitions) {
    String prefixes =
        IntStream.range(0, partitions)
            .mapToObj(i -> String.format("p%04d/", i))
            .collect(Collectors.joining(", "));
    return JobSpecParser.parse(
        "name: spec-bytes\n"
            + "source:\n  root: s3://bucket/data/\n  partitions: ["
            + prefixes
            + "]\n  connection: s3\n"
            + "sink:\n  root: ./out/\n"
            + "mode: delta\n"
            + "connections:\n  s3:\n    type: s3\n    region: eu-west-1\n",
        Path.of("/tmp"),
        "job.yaml");
  }

  /** A step holding the spec twice, as a DoFn holds it beside other fields. */
  record Step(JobSpec spec, String name, List<JobSpec> again) implements java.io.Serializable {}

  @Test
  public void aSpecReadsBackEqualAndAnEqualOneIsReadOnce() {
    JobSpec spec = spec(2_000);
    Step step = new Step(spec, "list", List.of(spec));

    Step copy = SerializableUtils.clone(step);
    assertThat(copy.spec()).isEqualTo(spec).isNotSameAs(spec);
    assertThat(copy.spec().source().partitions()).hasSize(2_000);
    assertThat(copy.again().get(0)).isSameAs(copy.spec());
    assertThat(copy.name()).isEqualTo("list");
    // Read again, in another step: the spec already read, not a second tree.
    assertThat(SerializableUtils.clone(step).spec()).isSameAs(copy.spec());
    // A different spec is a different object.
    JobSpec other = spec(3);
    assertThat(SerializableUtils.clone(new Step(other, "x", List.of())).spec())
        .isEqualTo(other)
        .isNotEqualTo(spec);
  }
}
