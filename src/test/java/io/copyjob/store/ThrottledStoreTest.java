package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.spec.Connection;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The caps hold: these assert lower bounds on time only (a cap can be slower, never faster), so a
 * busy machine cannot make them fail, or count what the caps were asked for. Each test has a rate
 * of its own: the caps are shared per rate in the JVM.
 */
public class ThrottledStoreTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();

  /** Distinct rates, so that no test meets a cap another one has used. */
  private static final AtomicLong RATES = new AtomicLong(1024 * 1024 + 1000);

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

  /**
   * A local -> local copy goes through the kernel without its bytes passing the JVM: the cap holds
   * for it too, even for one file (the whole file used to be let through at once).
   */
  @Test
  public void aKernelCopyOfOneFileHoldsTheByteCap() throws Exception {
    byte[] content = new byte[2 * 1024 * 1024];
    new Random(8).nextBytes(content);
    Path from = tmp.newFolder("from").toPath();
    Files.write(from.resolve("big.bin"), content);
    Store source = new LocalStore(from.toUri());
    FileInfo file = source.stat("big.bin").orElseThrow();
    Path to = tmp.newFolder("to").toPath();
    Store sink = ThrottledStore.wrap(new LocalStore(to.toUri()), 0, 1024 * 1024 + 2);

    long start = System.nanoTime();
    sink.serverSideCopy().orElseThrow().copy(source, file, "big.bin");
    double seconds = (System.nanoTime() - start) / 1e9;

    assertThat(Files.readAllBytes(to.resolve("big.bin"))).isEqualTo(content);
    assertThat(seconds).isGreaterThan(1.5); // 2 MiB at 1 MiB/s, less the cap's saved second
  }

  /**
   * S3 -> Azure as the engine does it: Azurite refuses to read a URL outside itself, and the files
   * are streamed instead. Each file's bytes are counted once, the refused copies' not at all (they
   * used to be counted before the copy was tried, so a capped run went at half the cap).
   */
  @Test
  public void aServerSideCopyTheSinkRefusesCostsNothing() throws Exception {
    long rate = RATES.incrementAndGet();
    String id = UUID.randomUUID().toString().substring(0, 8);
    Connection.S3 aws = S3.connection("aws", true);
    Connection.Azure lake = AzuriteServer.connection("lake", true);
    byte[] content = new byte[100_000];
    new Random(9).nextBytes(content);
    try (Store source =
            ThrottledStore.wrap(Stores.open(URI.create("s3://thr-" + id + "/"), aws), 0, rate);
        Store sink =
            ThrottledStore.wrap(
                Stores.open(URI.create("azfs://devstoreaccount1/thr-" + id + "/"), lake),
                0,
                rate)) {
      source.prepare(true);
      sink.prepare(true);
      for (String key : new String[] {"a.bin", "b.bin", "c.bin"}) {
        ForwardingStore.unwrap(source)
            .put(
                key,
                new ByteArrayInputStream(content),
                new FileInfo(key, content.length, null, null));
      }
      long before = ThrottledStore.bytesGranted(rate);

      int streamed = 0;
      try (Listing listing = source.list("", true)) {
        while (listing.hasNext()) {
          FileInfo file = listing.next();
          try {
            sink.serverSideCopy().orElseThrow().copy(source, file, file.key());
          } catch (CantCopyException refused) {
            try (SourceStream in = source.open(file)) {
              sink.put(file.key(), in, in.file());
            }
            streamed++;
          }
          assertThat(sink.md5(file.key())).isEqualTo(file.md5());
        }
      }

      assertThat(streamed).isEqualTo(3);
      assertThat(ThrottledStore.bytesGranted(rate) - before).isEqualTo(3L * content.length);
    }
  }
}
