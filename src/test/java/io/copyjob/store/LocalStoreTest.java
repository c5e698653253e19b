package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The store contract on local files, and the kernel copy between two local folders. */
public class LocalStoreTest extends StoreContractTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Override
  protected Store newStore() throws Exception {
    return new LocalStore(tmp.newFolder("root").toURI());
  }

  @Override
  protected int pageSize() {
    return 1000; // a directory is read entry by entry; there are no pages
  }

  @Override
  protected int partSize() {
    return 1 << 20; // one stream, whatever the size
  }

  @Override
  protected boolean versioned() {
    return false; // a file system keeps no version tag: size and modification time stand for it
  }

  @Override
  protected boolean holdsNamesEndingInSlash() {
    return false; // a folder cannot hold content under such a name: it has no markers either
  }

  /**
   * Keys that would resolve to the root, its parent or beyond are refused before anything is
   * written: no file, no folder and no temporary file outside the root, even for a moment (the
   * content stream looks while it is read), and a delete touches nothing outside it.
   */
  @Test
  public void nothingIsEverWrittenOrDeletedOutsideTheRoot() throws Exception {
    Path parent = tmp.newFolder("parent").toPath();
    Path root = Files.createDirectory(parent.resolve("root"));
    Path victim = Files.writeString(parent.resolve("victim"), "keep me");
    LocalStore store = new LocalStore(root.toUri());
    List<String> seenOutside = new ArrayList<>();
    for (String key : List.of("p/..", "..", ".", "../x", "a/../../x", "d/./..", "../victim")) {
      byte[] data = random(100);
      InputStream watching =
          new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
              try (var entries = Files.list(parent)) {
                entries
                    .map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals("root") && !n.equals("victim"))
                    .forEach(seenOutside::add);
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              return super.read(b, off, len);
            }
          };
      assertThatThrownBy(() -> store.put(key, watching, new FileInfo(key, 100, null, null)))
          .as(key)
          .isInstanceOf(java.io.IOException.class);
      assertThat(seenOutside).as("beside the root while writing " + key).isEmpty();
      assertThat(store.stat(key)).as(key).isEmpty();
      store.delete(key);
      assertThat(store.keyProblem(key)).as(key).isPresent();
    }
    try (var entries = Files.list(parent)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("root", "victim");
    }
    try (var entries = Files.list(root)) {
      assertThat(entries).isEmpty();
    }
    assertThat(Files.readString(victim)).isEqualTo("keep me");
  }

  private static byte[] random(int size) {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return data;
  }

  /**
   * The read-back after a kernel copy reuses its thread's buffer: a buffer allocated outside the
   * heap per file read back stayed until the next collection, 2 MiB per copied file, and a run of
   * 10,000 small files peaked at 2.5 GB resident.
   */
  @Test
  public void copiesOfManySmallFilesHoldNoBufferPerFile() throws Exception {
    LocalStore source = new LocalStore(tmp.newFolder("many-from").toURI());
    LocalStore sink = new LocalStore(tmp.newFolder("many-to").toURI());
    List<FileInfo> listed = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] data = random(1000 + i);
      source.put(
          "f" + i, new ByteArrayInputStream(data), new FileInfo("f" + i, data.length, null, null));
      listed.add(source.stat("f" + i).orElseThrow());
    }
    java.lang.management.BufferPoolMXBean direct =
        java.lang.management.ManagementFactory.getPlatformMXBeans(
                java.lang.management.BufferPoolMXBean.class)
            .stream()
            .filter(pool -> pool.getName().equals("direct"))
            .findFirst()
            .orElseThrow();
    long before = direct.getTotalCapacity();

    for (FileInfo file : listed) {
      sink.serverSideCopy().orElseThrow().copy(source, file, file.key());
    }

    // At most the one buffer of this thread, however many files were read back.
    assertThat(direct.getTotalCapacity() - before).isLessThanOrEqualTo(1 << 20);
    for (FileInfo file : listed) {
      try (InputStream in = sink.open(file.key())) {
        assertThat(in.readAllBytes()).isEqualTo(random((int) file.size()));
      }
    }
  }

  @Test
  public void copiesFromAnotherFolderInTheKernelAndVerifies() throws Exception {
    LocalStore source = new LocalStore(tmp.newFolder("from").toURI());
    LocalStore sink = new LocalStore(tmp.newFolder("to").toURI());
    byte[] data = random(3 << 20);
    Instant modified = Instant.parse("2024-05-01T10:00:00Z");
    source.put(
        "d/big.bin",
        new ByteArrayInputStream(data),
        new FileInfo("x", data.length, modified, null));
    FileInfo listed = source.stat("d/big.bin").orElseThrow();

    FileInfo written =
        sink.serverSideCopy()
            .orElseThrow()
            .copy(ThrottledStore.wrap(source, 0, 0), listed, "e/big.bin");

    assertThat(written.size()).isEqualTo(data.length);
    assertThat(written.lastModified()).isEqualTo(modified);
    try (InputStream in = sink.open("e/big.bin")) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
    assertThat(Files.list(Path.of(sink.root()).resolve("e"))).hasSize(1); // no temporary left
  }

  @Test
  public void refusesAFileThatChangedSinceTheListing() throws Exception {
    LocalStore source = new LocalStore(tmp.newFolder("from").toURI());
    LocalStore sink = new LocalStore(tmp.newFolder("to").toURI());
    byte[] data = random(1000);
    source.put("a.bin", new ByteArrayInputStream(data), new FileInfo("a.bin", 1000, null, null));
    FileInfo stale = new FileInfo("a.bin", 999, Instant.now(), null);

    assertThatThrownBy(() -> sink.serverSideCopy().orElseThrow().copy(source, stale, "a.bin"))
        .isInstanceOf(SourceChangedException.class)
        .hasMessageContaining("a.bin changed since it was listed (now 1000 bytes");
    assertThat(sink.stat("a.bin")).isEmpty();
    assertThat(Files.list(Path.of(sink.root()))).isEmpty();
  }

  @Test
  public void streamsFromAnyOtherStore() throws Exception {
    LocalStore sink = new LocalStore(tmp.newFolder("to").toURI());
    Store other = new FaultlessWrapper(new LocalStore(tmp.newFolder("from").toURI()));
    assertThatThrownBy(
            () ->
                sink.serverSideCopy()
                    .orElseThrow()
                    .copy(other, new FileInfo("a", 1, Instant.now(), null), "a"))
        .isInstanceOf(CantCopyException.class);
  }

  @Test
  public void listingAFolderThatIsNotThereIsAnErrorNotAnEmptyListing() throws Exception {
    Path missing = tmp.getRoot().toPath().resolve("unmounted");
    LocalStore gone = new LocalStore(missing.toUri());

    assertThatThrownBy(() -> gone.list("", true))
        .isInstanceOf(FileNotFoundException.class)
        .hasMessage("folder " + missing + " does not exist");
    assertThatThrownBy(() -> gone.list("a/b", false)).isInstanceOf(FileNotFoundException.class);
  }

  @Test
  public void aFileWhoseNameTakesAll255BytesIsWritten() throws Exception {
    // 127 two-byte characters and one more byte: the most a file name may take.
    String name = "é".repeat(127) + "x";
    assertThat(name.getBytes(StandardCharsets.UTF_8)).hasSize(255);
    byte[] data = random(1000);

    put("d/" + name, data);

    assertThat(read("d/" + name)).isEqualTo(data);
  }

  @Test
  public void removesOnlyTheTemporaryFilesOfItsJobsOtherRuns() throws Exception {
    TempOwner killed = new TempOwner("job-a", 1);
    TempOwner current = new TempOwner("job-a", 2);
    Path killedTemp = leftBehind(store.ownedBy(killed), "p/deep/x.bin");
    Path killedTempAbove = leftBehind(store.ownedBy(killed), "p.csv");
    Path currentTemp = leftBehind(store.ownedBy(current), "p/x.bin");
    Path otherJobs = leftBehind(store.ownedBy(new TempOwner("job-b", 1)), "p/x.bin");
    Path unowned = leftBehind(store, "p/x.bin");
    Path outsideThePrefix = leftBehind(store.ownedBy(killed), "q/x.bin");
    // The longest name still carries its owner (cut to fit 255 bytes).
    Path longName = leftBehind(store.ownedBy(killed), "p/" + "é".repeat(127) + "x");
    assertThat(longName.getFileName().toString().getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(255);

    assertThat(store.removeLeftovers("p", current)).isEqualTo(3);

    assertThat(killedTemp).doesNotExist();
    assertThat(killedTempAbove).doesNotExist();
    assertThat(longName).doesNotExist();
    assertThat(currentTemp).exists();
    assertThat(otherJobs).exists();
    assertThat(unowned).exists();
    assertThat(outsideThePrefix).exists();
    assertThat(store.removeLeftovers("nothing/here/", current)).isZero();
  }

  /**
   * Only the names copyjob makes for its temporary files are left out of a listing: a user's file
   * that merely looks like one (hidden, the mark, ".tmp") is listed and so copied.
   */
  @Test
  public void listsAUsersFileThatOnlyLooksLikeATemporaryOne() throws Exception {
    Path ownedTemp = leftBehind(store.ownedBy(new TempOwner("job-a", 1)), "p/x.bin");
    Path unownedTemp = leftBehind(store, "p/y.bin");
    List<String> lookalikes =
        List.of(
            "p/.notes.copyjob-draft.tmp",
            "p/.x.copyjob-0123.tmp",
            "p/.x.copyjob-" + "0".repeat(32) + ".tmp.bak",
            "p/.x.copyjob-" + "G".repeat(32) + ".tmp");
    for (String key : lookalikes) {
      put(key, random(10));
    }
    List<String> listed = new ArrayList<>();
    try (Listing listing = store.list("p/", true)) {
      listing.forEachRemaining(f -> listed.add(f.key()));
    }

    List<String> expected = new ArrayList<>(lookalikes);
    expected.addAll(List.of("p/x.bin", "p/y.bin")); // the puts that left the temporaries
    assertThat(listed).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(ownedTemp).exists();
    assertThat(unownedTemp).exists();
  }

  /**
   * The temporary file a put of {@code key} writes, as a kill during the write would leave it: its
   * name is taken while the put reads its content, and the file made again after the put.
   */
  private Path leftBehind(Store writer, String key) throws Exception {
    Path folder = Path.of(store.root()).resolve(key).getParent();
    Files.createDirectories(folder);
    List<Path> before = temps(folder);
    AtomicReference<Path> temp = new AtomicReference<>();
    InputStream content =
        new InputStream() {
          @Override
          public int read() throws IOException {
            if (temp.get() != null) {
              return -1;
            }
            List<Path> now = temps(folder);
            now.removeAll(before);
            temp.set(now.get(0));
            return 1;
          }
        };
    writer.put(key, content, new FileInfo(key, 1, null, null));
    Files.write(temp.get(), new byte[] {1});
    return temp.get();
  }

  private static List<Path> temps(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return new ArrayList<>(files.filter(f -> f.toString().endsWith(".tmp")).toList());
    }
  }

  /** A store that is not a LocalStore, over one. */
  private record FaultlessWrapper(Store inner) implements Store {
    @Override
    public java.net.URI root() {
      return inner.root();
    }

    @Override
    public Listing list(String prefix, boolean recursive) throws java.io.IOException {
      return inner.list(prefix, recursive);
    }

    @Override
    public java.util.Optional<FileInfo> stat(String key) throws java.io.IOException {
      return inner.stat(key);
    }

    @Override
    public InputStream open(String key) throws java.io.IOException {
      return inner.open(key);
    }

    @Override
    public FileInfo put(String key, InputStream content, FileInfo source)
        throws java.io.IOException {
      return inner.put(key, content, source);
    }

    @Override
    public java.util.Optional<String> keyProblem(String key) {
      return inner.keyProblem(key);
    }

    @Override
    public void delete(String key) throws java.io.IOException {
      inner.delete(key);
    }
  }
}
