package io.copyjob.spec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A {@link JobSpec} as it travels in a serialized step: its bytes, made once per spec, and read
 * back once per JVM for each distinct content. Every step of a run carries the job's spec, and
 * Beam's direct runner serializes and deserializes each step for every bundle: with 2,000
 * partitions the spec is an object tree of thousands of nodes, and walking it was a fifth of a
 * run's CPU. Bytes are copied, not walked, and an equal spec read again is the one already read (a
 * spec is immutable).
 */
final class SerializedSpec implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /** Distinct specs read back in this JVM, kept: a worker runs few jobs. */
  private static final int READ_KEPT = 16;

  private static final ThreadLocal<Boolean> WRITING = ThreadLocal.withInitial(() -> false);
  private static final Map<JobSpec, byte[]> WRITTEN =
      Collections.synchronizedMap(new WeakHashMap<>());
  private static final Map<ByteBuffer, JobSpec> READ =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ByteBuffer, JobSpec> eldest) {
              return size() > READ_KEPT;
            }
          });

  private final byte[] bytes;

  private SerializedSpec(byte[] bytes) {
    this.bytes = bytes;
  }

  /** What {@code spec} is written as: its bytes, or the spec itself while they are being made. */
  static Object of(JobSpec spec) {
    if (WRITING.get()) {
      return spec;
    }
    byte[] bytes = WRITTEN.get(spec);
    if (bytes == null) {
      bytes = write(spec);
      WRITTEN.put(spec, bytes);
    }
    return new SerializedSpec(bytes);
  }

  private static byte[] write(JobSpec spec) {
    WRITING.set(true);
    try {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
        out.writeObject(spec);
      }
      return buffer.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize the job's spec", e);
    } finally {
      WRITING.set(false);
    }
  }

  @Serial
  private Object readResolve() throws InvalidObjectException {
    ByteBuffer key = ByteBuffer.wrap(bytes);
    JobSpec spec = READ.get(key);
    if (spec != null) {
      return spec;
    }
    try (ObjectInputStream in = new SpecInput(bytes)) {
      spec = (JobSpec) in.readObject();
    } catch (IOException | ClassNotFoundException | ClassCastException e) {
      InvalidObjectException invalid = new InvalidObjectException("unreadable job spec: " + e);
      invalid.initCause(e);
      throw invalid;
    }
    READ.put(key, spec);
    WRITTEN.put(spec, bytes);
    return spec;
  }

  /** Resolves classes with copyjob's class loader: a Flink worker loads the job's jar apart. */
  private static final class SpecInput extends ObjectInputStream {
    SpecInput(byte[] bytes) throws IOException {
      super(new ByteArrayInputStream(bytes));
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc)
        throws IOException, ClassNotFoundException {
      try {
        return Class.forName(desc.getName(), false, SerializedSpec.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        return super.resolveClass(desc);
      }
    }
  }
}
