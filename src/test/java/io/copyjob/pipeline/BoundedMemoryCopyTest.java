package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.store.AzuriteServer;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A file larger than the whole heap copies: 300 MiB from S3 to Azure by the copyjob command in a
 * JVM of its own whose heap is capped at 256 MiB. Every copy path streams with bounded buffers, so
 * this passes; one that held a file in memory would die of OutOfMemoryError.
 */
public class BoundedMemoryCopyTest {
  private static final long SIZE = 300L << 20;

  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** {@code SIZE} seeded random bytes, made as they are read. */
  private static InputStream content() {
    return new InputStream() {
      private final Random random = new Random(300);
      private final byte[] chunk = new byte[1 << 16];
      private long left = SIZE;
      private int at = chunk.length;

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
    };
  }

  @Test
  public void aFileLargerThanTheHeapCopiesFromS3ToAzure() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    MessageDigest md5 = Checksums.newMd5();
    try (InputStream in = content()) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        md5.update(buffer, 0, n);
      }
    }
    String expectedMd5 = HexFormat.of().formatHex(md5.digest());
    try (Store s3 = Stores.open(URI.create("s3://big-" + id + "/"), S3.connection("aws", true))) {
      s3.prepare(true);
      s3.put("big/300MiB.bin", content(), new FileInfo("big/300MiB.bin", SIZE, null, null));
    }
    Path job = tmp.getRoot().toPath().resolve("job.yaml");
    Files.writeString(
        job,
        String.join(
            "\n",
            "name: big",
            "connections:",
            "  aws: {type: s3, endpoint: '" + S3.endpoint() + "', pathStyle: true,",
            "        accessKeyIdEnv: COPYJOB_TEST_S3_KEY, secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET}",
            "  lake: {type: azure, account: devstoreaccount1, endpoint: '"
                + AzuriteServer.endpoint()
                + "',",
            "         accountKeyEnv: COPYJOB_TEST_AZURE_KEY, createContainer: true}",
            "source: {root: 's3://big-" + id + "/', connection: aws, partitions: [big/]}",
            "sink: {root: 'azfs://devstoreaccount1/big-" + id + "/', connection: lake}",
            ""));

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.copyjob.cli.CopyJob");
    command.add("run");
    command.add(job.toString());
    Path log = tmp.getRoot().toPath().resolve("run.log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("finished in time").isTrue();

    String output = Files.readString(log);
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("files       1 copied, 0 skipped, 0 failed")
        .doesNotContain("OutOfMemoryError");
    try (Store azure =
        Stores.open(
            URI.create("azfs://devstoreaccount1/big-" + id + "/"),
            AzuriteServer.connection("lake", false))) {
      FileInfo copied = azure.stat("big/300MiB.bin").orElseThrow();
      assertThat(copied.size()).isEqualTo(SIZE);
      assertThat(copied.md5()).isEqualTo(expectedMd5);
      azure.delete("big/300MiB.bin"); // 300 MiB less in the emulator's folder
    }
  }
}
