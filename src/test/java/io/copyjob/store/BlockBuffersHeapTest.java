package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.store.azure.AzureBlobStore;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * More transfers in flight than the heap holds blocks: 16 puts of 17 MiB at once to Azurite, each
 * in 16 MiB blocks, in a JVM of its own whose heap is capped at 96 MiB. The pool bounds the blocks
 * out at once (a quarter of the heap), so puts wait for their turn and all arrive; before, each put
 * allocated its own block (and the SDK copied it again) and the JVM died of OutOfMemoryError.
 */
public class BlockBuffersHeapTest {
  private static final int PUTS = 16;
  private static final int SIZE = 17 << 20;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void morePutsInFlightThanTheHeapHoldsBlocksAllArrive() throws Exception {
    String container = "heap-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx96m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(BlockBuffersHeapTest.class.getName());
    command.add(container);
    Path log = tmp.getRoot().toPath().resolve("puts.log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("finished in time").isTrue();
    String output = Files.readString(log);
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).doesNotContain("OutOfMemoryError");

    try (Store store = open(container)) {
      for (int i = 0; i < PUTS; i++) {
        try (InputStream in = store.open("f" + i)) {
          assertThat(in.readAllBytes()).as("f" + i).isEqualTo(content(i));
        }
      }
      for (int i = 0; i < PUTS; i++) {
        store.delete("f" + i);
      }
    }
  }

  private static Store open(String container) throws Exception {
    Store store =
        AzureBlobStore.open(
            URI.create("azfs://devstoreaccount1/" + container + "/"),
            AzuriteServer.connection("lake", true),
            AzureBlobStore.Tuning.DEFAULT);
    store.prepare(true);
    return store;
  }

  private static byte[] content(int seed) {
    byte[] data = new byte[SIZE];
    new Random(seed).nextBytes(data);
    return data;
  }

  /** The puts, in the JVM with the small heap: each reads its content as it goes. */
  public static void main(String[] args) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PUTS);
    try (Store store = open(args[0])) {
      List<Future<FileInfo>> puts = new ArrayList<>();
      for (int i = 0; i < PUTS; i++) {
        int seed = i;
        puts.add(
            pool.submit(
                () ->
                    store.put(
                        "f" + seed,
                        new SeededStream(seed),
                        new FileInfo("f" + seed, SIZE, null, null))));
      }
      for (Future<FileInfo> put : puts) {
        put.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The bytes of {@link #content} made as they are read, so the test's own heap holds none. */
  private static final class SeededStream extends InputStream {
    private final Random random;
    private final byte[] chunk = new byte[1 << 16];
    private long left = SIZE;
    private int at = chunk.length;

    SeededStream(int seed) {
      random = new Random(seed);
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      if (at == chunk.length) {
        random.nextBytes(chunk);
        at = 0;
      }
      int n = (int) Math.min(Math.min(len, chunk.length - at), left);
      System.arraycopy(chunk, at, b, off, n);
      at += n;
      left -= n;
      return n;
    }
  }
}
