package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Field by field coders of what the partitions' record groups. A runner may encode a group's
 * elements many times (the direct runner copies a key's whole bag for every bundle it adds to):
 * Java serialization of these records took most of a run of thousands of partitions.
 */
final class RecordCoders {
  private RecordCoders() {}

  private static final Coder<String> STRING = StringUtf8Coder.of();
  private static final Coder<String> NULLABLE_STRING = NullableCoder.of(StringUtf8Coder.of());
  private static final Coder<Long> LONG = VarLongCoder.of();
  private static final Coder<Boolean> BOOLEAN = BooleanCoder.of();

  /** A {@link PartitionKey}: its root, then its prefix. */
  static final class PartitionKeyCoder extends AtomicCoder<PartitionKey> {
    private static final PartitionKeyCoder INSTANCE = new PartitionKeyCoder();

    static PartitionKeyCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(PartitionKey key, OutputStream out) throws IOException {
      STRING.encode(key.root(), out);
      STRING.encode(key.prefix(), out);
    }

    @Override
    public PartitionKey decode(InputStream in) throws IOException {
      return new PartitionKey(STRING.decode(in), STRING.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** A {@link PartitionTally}, field by field. */
  static final class PartitionTallyCoder extends AtomicCoder<PartitionTally> {
    private static final PartitionTallyCoder INSTANCE = new PartitionTallyCoder();

    static PartitionTallyCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(PartitionTally t, OutputStream out) throws IOException {
      LONG.encode(t.copied(), out);
      LONG.encode(t.skipped(), out);
      LONG.encode(t.failed(), out);
      LONG.encode(t.bytes(), out);
      NULLABLE_STRING.encode(t.firstErrorKey(), out);
      NULLABLE_STRING.encode(t.firstError(), out);
      BOOLEAN.encode(t.listedEmpty(), out);
      LONG.encode(t.left(), out);
      NULLABLE_STRING.encode(t.firstLeftKey(), out);
      NULLABLE_STRING.encode(t.firstLeft(), out);
    }

    @Override
    public PartitionTally decode(InputStream in) throws IOException {
      return new PartitionTally(
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          LONG.decode(in),
          NULLABLE_STRING.decode(in),
          NULLABLE_STRING.decode(in),
          BOOLEAN.decode(in),
          LONG.decode(in),
          NULLABLE_STRING.decode(in),
          NULLABLE_STRING.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
