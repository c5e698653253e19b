package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.PartitionKey;
import io.copyjob.pipeline.FileResult.Outcome;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.ForwardingStore;
import io.copyjob.store.Store;
import io.copyjob.store.StoreChecksum;
import io.copyjob.store.Stores;
import io.copyjob.store.hadoop.MiniHdfs;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Copies between two folders of one HDFS (a MiniDFSCluster) verified by HDFS's own file checksum
 * (MD5-of-MD5-of-CRC32C) where the two files' checksums are comparable, by MD5 where they are not.
 * The sink keeps no block size of its own ({@code dfs.blocksize} unset), so that it writes each
 * copy in its source file's.
 */
public class HdfsChecksumTest {
  @ClassRule public static final MiniHdfs HDFS = new MiniHdfs();

  private static final int MIB = 1 << 20;

  private final List<Store> opened = new ArrayList<>();
  private String id;
  private Store source;
  private Store sink;

  @Before
  public void setUp() throws IOException {
    id = UUID.randomUUID().toString().substring(0, 8);
    source = open("hdfs", "source", MiniHdfs.BLOCK);
    sink = open("hdfs", "sink", 0);
    source.prepare(true);
    sink.prepare(true);
  }

  @After
  public void tearDown() throws IOException {
    for (Store store : opened) {
      store.close();
    }
  }

  /** The folder {@code which} of this test, over {@code scheme}, writing in {@code blockSize}. */
  private Store open(String scheme, String which, long blockSize) {
    Store store =
        Stores.open(
            HDFS.root(scheme, "sums-" + id + "/" + which),
            MiniHdfs.connection(which + "-" + blockSize, blockSize));
    opened.add(store);
    return store;
  }

  private static byte[] data(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private static void write(Store store, String key, byte[] data) throws IOException {
    store.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
  }

  private static byte[] read(Store store, String key) throws IOException {
    try (InputStream in = store.open(key)) {
      return in.readAllBytes();
    }
  }

  private FileResult copy(Store from, Store to, String key) throws IOException {
    FileInfo listed = from.stat(key).orElseThrow();
    return new FileCopier(from, to, millis -> {})
        .copy(new FileToCopy(new PartitionKey(from.root().toString(), ""), listed), key);
  }

  /** The bytes HDFS clients of this JVM have read from DataNodes (Hadoop's statistics). */
  @SuppressWarnings("deprecation")
  private static long bytesRead() {
    return FileSystem.getAllStatistics().stream()
        .filter(s -> s.getScheme().equals("hdfs"))
        .mapToLong(FileSystem.Statistics::getBytesRead)
        .sum();
  }

  @Test
  public void aCopyIsWrittenInItsSourcesBlockSizeSoThatTheirChecksumsAreEqual() throws Exception {
    byte[] big = data(2 * MIB + 500_000, 1);
    byte[] wide = data(5 * MIB + 1, 2);
    write(source, "big.bin", big);
    write(open("hdfs", "source", 2 * MIB), "wide.bin", wide); // blocks of 2 MiB
    write(source, "small.bin", data(1000, 3));
    write(source, "empty.bin", new byte[0]);

    for (String key : List.of("big.bin", "wide.bin", "small.bin", "empty.bin")) {
      FileResult result = copy(source, sink, key);

      assertThat(result.outcome()).as(key).isEqualTo(Outcome.COPIED);
      assertThat(read(sink, key)).as(key).isEqualTo(read(source, key));
      StoreChecksum atSource = source.checksum(key).orElseThrow();
      assertThat(sink.checksum(key)).as(key).contains(atSource);
      // The streamed MD5 is still what the manifest records.
      assertThat(result.md5()).as(key).isEqualTo(Checksums.md5Hex(sink.open(key)));
    }
    assertThat(sink.checksum("big.bin").orElseThrow().algorithm())
        .isEqualTo("MD5-of-2048MD5-of-512CRC32C");
    assertThat(sink.checksum("wide.bin").orElseThrow().algorithm())
        .isEqualTo("MD5-of-4096MD5-of-512CRC32C");
  }

  /**
   * Only the file checksums can tell: HDFS gives no MD5, so the MD5 the sink computes of what it
   * was given has nothing to be compared with.
   */
  @Test
  public void aByteChangedOnItsWayIntoTheSinkFailsTheFileWithBothChecksums() throws Exception {
    byte[] big = data(2 * MIB + 500_000, 4);
    write(source, "big.bin", big);

    FileResult result = copy(source, corrupting(sink), "big.bin");

    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.error())
        .startsWith(
            "big.bin: ChecksumMismatchException: sink checksum MD5-of-2048MD5-of-512CRC32C ")
        .contains(" differs from the source's " + source.checksum("big.bin").orElseThrow().value())
        .doesNotContain("\n");
    assertThat(sink.stat("big.bin")).isEmpty();
  }

  /** The sink, with the 1000th byte of every file it is given changed as it passes. */
  private static Store corrupting(Store sink) {
    return new ForwardingStore(sink) {
      @Override
      public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
        return super.put(key, flipped(content, 1000), source);
      }
    };
  }

  private static InputStream flipped(InputStream content, long at) {
    return new FilterInputStream(content) {
      private long position;

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0 && position <= at && at < position + n) {
          buffer[offset + (int) (at - position)] ^= 1;
        }
        position += Math.max(n, 0);
        return n;
      }
    };
  }

  /** The sink's connection sets its block size: the checksums differ in kind, MD5 verifies. */
  @Test
  public void aCopyInAnotherBlockSizeThanItsSourceIsVerifiedByMd5() throws Exception {
    byte[] wide = data(3 * MIB, 5);
    write(open("hdfs", "source", 2 * MIB), "wide.bin", wide);
    Store pinned = open("hdfs", "sink", MiniHdfs.BLOCK);

    FileResult result = copy(source, pinned, "wide.bin");

    assertThat(result.outcome()).isEqualTo(Outcome.COPIED);
    assertThat(read(pinned, "wide.bin")).isEqualTo(wide);
    assertThat(result.md5()).isEqualTo(Checksums.md5Hex(new ByteArrayInputStream(wide)));
    assertThat(source.checksum("wide.bin").orElseThrow().algorithm())
        .isEqualTo("MD5-of-4096MD5-of-512CRC32C");
    assertThat(pinned.checksum("wide.bin").orElseThrow().algorithm())
        .isEqualTo("MD5-of-2048MD5-of-512CRC32C");
    // A rerun compares them by MD5 too: both read.
    long before = bytesRead();
    assertThat(copy(source, pinned, "wide.bin").outcome()).isEqualTo(Outcome.SKIPPED);
    assertThat(bytesRead() - before).isEqualTo(2L * wide.length);
  }

  @Test
  public void aRerunSkipsIdenticalFilesByTheirChecksumsReadingNone() throws Exception {
    List<String> keys = List.of("a.bin", "b.bin", "c.bin");
    for (int i = 0; i < keys.size(); i++) {
      write(source, keys.get(i), data(MIB + 100_000 * i, 10 + i));
      assertThat(copy(source, sink, keys.get(i)).outcome()).isEqualTo(Outcome.COPIED);
    }

    long before = bytesRead();
    for (String key : keys) {
      assertThat(copy(source, sink, key).outcome()).as(key).isEqualTo(Outcome.SKIPPED);
    }

    assertThat(bytesRead() - before).isZero();
  }

  /** Rewritten with other bytes, the same length and blocks: its checksum tells, not its size. */
  @Test
  public void aTamperedSinkFileIsFoundByItsChecksumAndCopiedAgain() throws Exception {
    byte[] big = data(2 * MIB + 7, 20);
    write(source, "big.bin", big);
    write(source, "same.bin", data(5000, 21));
    assertThat(copy(source, sink, "big.bin").outcome()).isEqualTo(Outcome.COPIED);
    assertThat(copy(source, sink, "same.bin").outcome()).isEqualTo(Outcome.COPIED);
    byte[] tampered = big.clone();
    tampered[MIB + 3] ^= 1;
    write(open("hdfs", "sink", MiniHdfs.BLOCK), "big.bin", tampered);
    assertThat(sink.checksum("big.bin").orElseThrow().algorithm())
        .isEqualTo(source.checksum("big.bin").orElseThrow().algorithm());

    assertThat(copy(source, sink, "big.bin").outcome()).isEqualTo(Outcome.COPIED);
    assertThat(copy(source, sink, "same.bin").outcome()).isEqualTo(Outcome.SKIPPED);

    assertThat(read(sink, "big.bin")).isEqualTo(big);
  }

  /**
   * A file appended in a new block has a short block in its middle; its copy, written from start to
   * end, has the same algorithm name (the CRCs per block come from the first block) but other block
   * boundaries, so its checksum could never be equal: such a file is verified by MD5.
   */
  @Test
  public void aFileWithAShortBlockInItsMiddleIsVerifiedByMd5() throws Exception {
    byte[] head = data(MIB + MIB / 2, 30);
    byte[] tail = data(200_000, 31);
    URI root = HDFS.root("hdfs", "sums-" + id + "/source");
    try (FileSystem fs = FileSystem.newInstance(root, new Configuration())) {
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(root + "appended.bin");
      try (FSDataOutputStream out = fs.create(path, true, 4096, (short) 1, MiniHdfs.BLOCK)) {
        out.write(head);
      }
      try (FSDataOutputStream out =
          ((DistributedFileSystem) fs)
              .append(path, EnumSet.of(CreateFlag.APPEND, CreateFlag.NEW_BLOCK), 4096, null)) {
        out.write(tail);
      }
    }
    byte[] whole = new byte[head.length + tail.length];
    System.arraycopy(head, 0, whole, 0, head.length);
    System.arraycopy(tail, 0, whole, head.length, tail.length);

    FileResult result = copy(source, sink, "appended.bin");

    assertThat(result.outcome()).isEqualTo(Outcome.COPIED);
    assertThat(read(sink, "appended.bin")).isEqualTo(whole);
    assertThat(source.checksum("appended.bin")).isEmpty();
  }

  /** WebHDFS answers the same checksum over HTTP, and takes the block size of a copy. */
  @Test
  public void webHdfsChecksumsCompareWithHdfsOnes() throws Exception {
    byte[] wide = data(5 * MIB + 3, 40);
    write(open("hdfs", "source", 2 * MIB), "wide.bin", wide);
    Store webSource = open("webhdfs", "source", MiniHdfs.BLOCK);
    Store webSink = open("webhdfs", "sink", 0);
    assertThat(webSource.checksum("wide.bin")).isEqualTo(source.checksum("wide.bin"));

    FileResult corrupted = copy(source, corrupting(webSink), "wide.bin");
    FileResult toWeb = copy(source, webSink, "wide.bin");
    Store back = open("hdfs", "back", 0);
    FileResult fromWeb = copy(webSink, back, "wide.bin");

    assertThat(corrupted.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(corrupted.error()).contains("sink checksum MD5-of-4096MD5-of-512CRC32C ");
    assertThat(toWeb.outcome()).isEqualTo(Outcome.COPIED);
    assertThat(read(sink, "wide.bin")).isEqualTo(wide);
    assertThat(sink.checksum("wide.bin")).isEqualTo(source.checksum("wide.bin"));
    assertThat(fromWeb.outcome()).isEqualTo(Outcome.COPIED);
    assertThat(back.checksum("wide.bin")).isEqualTo(source.checksum("wide.bin"));
  }
}
