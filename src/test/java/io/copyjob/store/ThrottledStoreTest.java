package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The caps hold: these assert lower bounds on time only (a cap can be slower, never faster), so a
 * busy machine cannot make them fail.
 */
public class ThrottledStoreTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void noCapsMeansTheStoreItself() {
    LocalStore local = new LocalStore(tmp.getRoot().toURI());
    assertThat(ThrottledStore.wrap(local, 0, 0)).isSameAs(local);
  }

  @Test
  public void bytesPerSecondCapsReadsAndKeepsTheContent() throws Exception {
    byte[] content = new byte[2 * 1024 * 1024];
    new Random(7).nextBytes(content);
    Files.write(tmp.getRoot().toPath().resolve("big.bin"), content);
    Store store = ThrottledStore.wrap(new LocalStore(tmp.getRoot().toURI()), 0, 1024 * 1024 + 1);

    long start = System.nanoTime();
    byte[] read;
    try (InputStream in = store.open("big.bin")) {
      read = in.readAllBytes();
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    assertThat(read).isEqualTo(content);
    assertThat(seconds).isGreaterThan(1.5); // 2 MiB at 1 MiB/s, less the first read's burst
  }

  @Test
  public void requestsPerSecondCapsEveryCall() throws Exception {
    Path root = tmp.getRoot().toPath();
    Files.writeString(root.resolve("a.txt"), "a");
    Store store = ThrottledStore.wrap(new LocalStore(root.toUri()), 20, 0);

    long start = System.nanoTime();
    for (int i = 0; i < 11; i++) {
      assertThat(store.stat("a.txt")).isPresent();
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    assertThat(seconds).isGreaterThan(0.45); // 10 waits of 50 ms after the first
  }
}
