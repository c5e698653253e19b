package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The store contract, run against every store: a store's test class supplies a fresh, empty store
 * (its own bucket or container) and removes it afterwards. What a store cannot do is said by
 * overriding the test with the reason.
 */
public abstract class StoreContractTest {
  protected Store store;

  /** A new, empty store for one test. */
  protected abstract Store newStore() throws Exception;

  /** The listing page size the store was opened with, so that paging is exercised. */
  protected abstract int pageSize();

  /** Bytes above which the store uploads in parts or blocks (so a test can cross it). */
  protected abstract int partSize();

  /** Whether the store tags each version of a file ({@link FileInfo#version}). */
  protected boolean versioned() {
    return true;
  }

  @Before
  public void open() throws Exception {
    store = newStore();
  }

  @After
  public void close() throws Exception {
    if (store != null) {
      store.close();
    }
  }

  protected static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  protected FileInfo put(String key, byte[] data) throws IOException {
    return store.put(
        key, new ByteArrayInputStream(data), new FileInfo(key, data.length, Instant.now(), null));
  }

  protected byte[] read(String key) throws IOException {
    try (InputStream in = store.open(key)) {
      return in.readAllBytes();
    }
  }

  private Set<String> list(String prefix, boolean recursive) throws IOException {
    Set<String> keys = new TreeSet<>();
    try (Listing listing = store.list(prefix, recursive)) {
      while (listing.hasNext()) {
        keys.add(listing.next().key());
      }
    }
    return keys;
  }

  private static String md5(byte[] data) {
    return HexFormat.of().formatHex(Checksums.newMd5().digest(data));
  }

  @Test
  public void listingAnEmptyPrefixGivesNothing() throws Exception {
    assertThat(list("", true)).isEmpty();
    assertThat(list("nothing/here/", true)).isEmpty();
  }

  @Test
  public void writesAndReadsBackTheSameBytes() throws Exception {
    byte[] data = bytes(300_000, 1);
    FileInfo written = put("dir/file.bin", data);

    assertThat(read("dir/file.bin")).isEqualTo(data);
    assertThat(written.size()).isEqualTo(data.length);
    if (written.md5() != null) {
      assertThat(written.md5()).isEqualTo(md5(data));
    }
    assertThat(store.md5("dir/file.bin")).isEqualTo(md5(data));
    Optional<FileInfo> stat = store.stat("dir/file.bin");
    assertThat(stat).isPresent();
    assertThat(stat.get().size()).isEqualTo(data.length);
    assertThat(stat.get().lastModified()).isNotNull();
  }

  @Test
  public void aZeroByteFileIsAFile() throws Exception {
    put("empty.txt", new byte[0]);
    assertThat(read("empty.txt")).isEmpty();
    assertThat(list("", true)).containsExactly("empty.txt");
    assertThat(store.stat("empty.txt").get().size()).isZero();
  }

  @Test
  public void overwritingReplacesTheContent() throws Exception {
    put("k", bytes(1000, 1));
    byte[] second = bytes(500, 2);
    put("k", second);
    assertThat(read("k")).isEqualTo(second);
    assertThat(list("", true)).containsExactly("k");
  }

  @Test
  public void aMissingFileIsEmptyOnStatAndNotFoundOnOpen() throws Exception {
    assertThat(store.stat("missing.bin")).isEmpty();
    assertThatThrownBy(() -> store.open("missing.bin").read())
        .isInstanceOf(FileNotFoundException.class);
  }

  @Test
  public void aPrefixIsAKeyPrefixNotAFolder() throws Exception {
    for (String key : List.of("a/x", "apple.csv", "ab/c", "b/a", "a/deep/er/y")) {
      put(key, bytes(10, key.hashCode()));
    }
    assertThat(list("a", true)).containsExactly("a/deep/er/y", "a/x", "ab/c", "apple.csv");
    assertThat(list("a", false)).containsExactly("apple.csv");
    assertThat(list("a/", false)).containsExactly("a/x");
    assertThat(list("a/", true)).containsExactly("a/deep/er/y", "a/x");
  }

  /**
   * Three pages and a file more. The tests' stores page by 100 (the servers' own 1,000 would cost a
   * thousand puts more a store); a directory has no pages: a thousand and one files.
   */
  @Test
  public void listingPagesThroughEveryPage() throws Exception {
    int count = Math.min(1_001, pageSize() * 3 + 1);
    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < count; i++) {
      String key = String.format("many/f%05d", i);
      put(key, new byte[] {(byte) i});
      expected.add(key);
    }
    assertThat(list("many/", true)).isEqualTo(expected);
  }

  @Test
  public void listingGivesSizeAndLastModified() throws Exception {
    Instant before = Instant.now().minusSeconds(5);
    put("sized.bin", bytes(1234, 3));
    try (Listing listing = store.list("sized", true)) {
      FileInfo info = listing.next();
      assertThat(info.key()).isEqualTo("sized.bin");
      assertThat(info.size()).isEqualTo(1234);
      assertThat(info.lastModified()).isAfter(before);
      assertThat(listing.hasNext()).isFalse();
    }
  }

  /**
   * What a delta window relies on: a file written after the store's time (where its next window
   * ends) is listed no earlier than that time rounded down to the store's resolution (where the
   * window after starts, with no overlap). S3 and Azure list whole seconds; a local file system's
   * clock lags this machine's by up to a tick.
   */
  @Test
  public void aFileWrittenAfterTheStoresTimeIsListedNoEarlierThanThatTimeRoundedDown()
      throws Exception {
    long step = store.timeResolution().toMillis();
    for (int i = 0; i < 5; i++) {
      Instant now = store.now().orElse(Instant.now());
      byte[] data = bytes(10, i);
      // No time to keep: the store stamps the file itself.
      store.put("t/" + i, new ByteArrayInputStream(data), new FileInfo("t/" + i, 10, null, null));
      Instant listed;
      try (Listing listing = store.list("t/" + i, true)) {
        listed = listing.next().lastModified();
      }
      Instant start = Instant.ofEpochMilli(Math.floorDiv(now.toEpochMilli(), step) * step);
      assertThat(listed).as("file %d, written after %s", i, now).isAfterOrEqualTo(start);
    }
  }

  @Test
  public void theListingAndStatGiveTheVersionThatAReplacementChanges() throws Exception {
    put("v.bin", bytes(100, 1));
    FileInfo listed;
    try (Listing listing = store.list("v.bin", true)) {
      listed = listing.next();
    }
    assertThat(store.stat("v.bin").orElseThrow().version()).isEqualTo(listed.version());
    put("v.bin", bytes(100, 2));
    String replaced = store.stat("v.bin").orElseThrow().version();
    if (versioned()) {
      assertThat(listed.version()).isNotNull();
      assertThat(replaced).isNotNull().isNotEqualTo(listed.version());
    } else {
      assertThat(replaced).isNull();
    }
  }

  private FileInfo listed(String key) throws IOException {
    try (Listing listing = store.list(key, true)) {
      FileInfo file = listing.next();
      assertThat(file.key()).isEqualTo(key);
      return file;
    }
  }

  private byte[] readListed(FileInfo file) throws IOException {
    try (SourceStream in = store.open(file)) {
      return in.readAllBytes();
    }
  }

  @Test
  public void aListedFileReadsAsListed() throws Exception {
    byte[] data = bytes(70_000, 21);
    put("as-listed.bin", data);
    put("empty.bin", new byte[0]);
    FileInfo file = listed("as-listed.bin");

    try (SourceStream in = store.open(file)) {
      assertThat(in.readAllBytes()).isEqualTo(data);
      assertThat(in.file().size()).isEqualTo(data.length);
      assertThat(in.file().version()).isEqualTo(file.version());
      if (file.md5() != null) {
        assertThat(in.file().md5()).isEqualTo(file.md5());
      }
    }
    assertThat(readListed(listed("empty.bin"))).isEmpty();
  }

  @Test
  public void aFileReplacedAfterItsListingIsNotReadAsListed() throws Exception {
    put("replaced.bin", bytes(5_000, 22));
    FileInfo file = listed("replaced.bin");
    put("replaced.bin", bytes(5_000, 23)); // same size, other bytes, written later

    assertThatThrownBy(() -> readListed(file))
        .isInstanceOf(SourceChangedException.class)
        .hasMessageContaining("replaced.bin changed since it was listed");
  }

  @Test
  public void aFileReplacedWhileItIsReadGivesTheListedBytesOrFails() throws Exception {
    byte[] data = bytes(partSize() + 5_000, 24);
    put("moving.bin", data);
    FileInfo file = listed("moving.bin");
    try (SourceStream in = store.open(file)) {
      byte[] first = in.readNBytes(1000);
      put("moving.bin", bytes(partSize() * 2, 25));
      byte[] rest;
      try {
        rest = in.readAllBytes();
      } catch (SourceChangedException e) {
        assertThat(e).hasMessageContaining("moving.bin changed since it was listed");
        return;
      }
      byte[] whole = new byte[first.length + rest.length];
      System.arraycopy(first, 0, whole, 0, first.length);
      System.arraycopy(rest, 0, whole, first.length, rest.length);
      assertThat(whole).isEqualTo(data);
    }
  }

  @Test
  public void aFileOfAnotherSizeThanListedFailsItsRead() throws Exception {
    put("sized.bin", bytes(3_000, 26));
    FileInfo file = listed("sized.bin");
    FileInfo shorter = new FileInfo(file.key(), 2_999, file.lastModified(), null, file.version());
    FileInfo longer = new FileInfo(file.key(), 3_001, file.lastModified(), null, file.version());

    assertThatThrownBy(() -> readListed(shorter))
        .isInstanceOf(SourceChangedException.class)
        .hasMessageContaining("sized.bin changed since it was listed");
    assertThatThrownBy(() -> readListed(longer))
        .isInstanceOf(SourceChangedException.class)
        .hasMessageContaining("sized.bin changed since it was listed");
  }

  @Test
  public void keysWithSpacesUnicodeAndSymbolsRoundTrip() throws Exception {
    List<String> keys =
        List.of(
            "with space/file name.txt",
            "ünïcödé/文件.txt",
            "plus+sign.txt",
            "percent%20sign.txt",
            "hash#tag.txt");
    for (String key : keys) {
      put(key, key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertThat(list("", true)).containsExactlyInAnyOrderElementsOf(keys);
    for (String key : keys) {
      assertThat(new String(read(key), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(key);
    }
  }

  @Test
  public void aKeyOfAThousandCharacters() throws Exception {
    StringBuilder key = new StringBuilder();
    while (key.length() < 999) {
      key.append(key.length() % 200 == 199 ? "/" : "k");
    }
    key.append("x"); // 1,000 characters in folders of 199, as local file names allow
    byte[] data = bytes(100, 4);
    put(key.toString(), data);
    assertThat(read(key.toString())).isEqualTo(data);
    assertThat(list("k", true)).containsExactly(key.toString());
  }

  @Test
  public void aPutWhoseStreamFailsLeavesNothing() throws Exception {
    byte[] data = bytes(partSize() + 1000, 5);
    InputStream failing =
        new InputStream() {
          private int read;

          @Override
          public int read() throws IOException {
            if (read++ > data.length / 2) {
              throw new IOException("the source went away");
            }
            return data[read - 1] & 0xff;
          }
        };
    assertThatThrownBy(
            () ->
                store.put(
                    "broken.bin", failing, new FileInfo("broken.bin", data.length, null, null)))
        .isInstanceOf(IOException.class);
    assertThat(store.stat("broken.bin")).isEmpty();
    assertThat(list("", true)).isEmpty();
  }

  @Test
  public void aFileLargerThanOnePartGoesUpInPartsIntact() throws Exception {
    byte[] data = bytes(partSize() * 2 + 12_345, 6);
    FileInfo source = new FileInfo("big.bin", data.length, Instant.now(), md5(data));
    FileInfo written = store.put("big.bin", new ByteArrayInputStream(data), source);
    assertThat(written.size()).isEqualTo(data.length);
    assertThat(read("big.bin")).isEqualTo(data);
    assertThat(store.md5("big.bin")).isEqualTo(md5(data));
  }

  /**
   * Many puts at once, each in several parts (a multipart upload, staged blocks): every file
   * arrives whole, and every block buffer comes back to the pool, after a failed put too, so that
   * no later transfer waits for an array that no one will give back.
   */
  @Test
  public void manyPutsAtOnceArriveWholeAndGiveTheirBuffersBack() throws Exception {
    int files = 8;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(files);
    try {
      List<java.util.concurrent.Future<?>> puts = new java.util.ArrayList<>();
      for (int i = 0; i < files; i++) {
        byte[] data = bytes(partSize() * 2 + 100 * i, 40 + i);
        String key = "many/" + i + ".bin";
        puts.add(
            pool.submit(
                () ->
                    store.put(
                        key,
                        new ByteArrayInputStream(data),
                        new FileInfo(key, data.length, Instant.now(), md5(data)))));
      }
      for (java.util.concurrent.Future<?> put : puts) {
        put.get();
      }
    } finally {
      pool.shutdownNow();
    }
    for (int i = 0; i < files; i++) {
      assertThat(read("many/" + i + ".bin")).isEqualTo(bytes(partSize() * 2 + 100 * i, 40 + i));
    }
    byte[] short_ = bytes(partSize() + 10, 50);
    assertThatThrownBy(
            () ->
                store.put(
                    "short.bin",
                    new ByteArrayInputStream(short_),
                    new FileInfo("short.bin", short_.length + partSize(), null, null)))
        .isInstanceOf(IOException.class);
    assertThat(BlockBuffers.shared().out()).isZero();
  }

  @Test
  public void deleteRemovesAndToleratesMissing() throws Exception {
    put("gone.txt", bytes(10, 7));
    store.delete("gone.txt");
    store.delete("gone.txt");
    assertThat(store.stat("gone.txt")).isEmpty();
  }

  /**
   * Hostile names, each either refused by {@link Store#keyProblem} with a reason, or held under
   * exactly that name: listed, stated and read back as given, with nothing else beside it. A write
   * the server refuses is an error and leaves nothing, never a file under another name. (Control
   * characters other than tab, LF and CR are left out: Azurite cannot list them.)
   */
  @Test
  public void everyNameIsHeldExactlyOrRefusedWithAReason() throws Exception {
    List<String> names =
        List.of(
            "a/../x",
            "a/./x",
            "a//x",
            "a\\x",
            "p/..",
            "./x",
            "../x",
            "x/",
            "x.",
            "a./x",
            "%41",
            "a%2Fb",
            "s\uD800s",
            "t\tab",
            "l\nf",
            "c\rr",
            "d\u007fl",
            "nb\u00a0sp",
            "e\u0301",
            "L".repeat(1025));
    for (int i = 0; i < names.size(); i++) {
      String dir = "k" + i + "/";
      String key = dir + names.get(i);
      Optional<String> problem = store.keyProblem(key);
      if (problem.isPresent()) {
        assertThat(problem.get()).as(key).isNotBlank();
        assertThat(store.stat(key)).as(key).isEmpty();
        continue;
      }
      byte[] data = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      try {
        put(key, data);
      } catch (IOException refused) {
        assertThat(list(dir, true)).as("after the refused write of " + key).isEmpty();
        continue;
      }
      assertThat(list(dir, true)).as(key).containsExactly(key);
      assertThat(store.stat(key).map(FileInfo::size)).as(key).contains((long) data.length);
      assertThat(read(key)).as(key).isEqualTo(data);
    }
  }

  /** Whether the store can be given names ending in '/' (a folder cannot). */
  protected boolean holdsNamesEndingInSlash() {
    return true;
  }

  @Test
  public void zeroByteFolderMarkersAreSkippedAndCountedAndOneWithContentIsAFile() throws Exception {
    org.junit.Assume.assumeTrue(holdsNamesEndingInSlash());
    put("m/", new byte[0]);
    put("m/n/", new byte[0]);
    byte[] content = bytes(100, 8);
    put("x/", content);
    put("m/n/f", bytes(10, 9));
    try (Listing listing = store.list("", true)) {
      assertThat(keysOf(listing)).containsExactly("m/n/f", "x/");
      assertThat(listing.markersSkipped()).isEqualTo(2);
    }
    assertThat(read("x/")).isEqualTo(content);
  }

  protected static List<String> keysOf(Listing listing) {
    List<String> keys = new ArrayList<>();
    listing.forEachRemaining(f -> keys.add(f.key()));
    return keys;
  }
}
