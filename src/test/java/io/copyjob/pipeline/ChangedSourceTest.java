package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.PartitionKey;
import io.copyjob.pipeline.FileResult.Outcome;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.LocalStore;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.SourceStream;
import io.copyjob.store.Store;
import io.copyjob.store.azure.AzureBlobStore;
import io.copyjob.store.s3.S3Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.After;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A source file that changes between its listing and its copy, or while it is read, is a failed
 * file whose reason says so, and the sink is left without it: on every copy path (streamed, S3
 * CopyObject and UploadPartCopy, Azure copy from URL, the local kernel copy), against the real
 * servers. The change is made on the server itself, after the file was listed as the engine lists
 * it.
 */
public class ChangedSourceTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** Single puts up to 8 MiB; CopyObject up to 5 MiB, UploadPartCopy in 5 MiB ranges above. */
  private static final S3Store.Tuning S3_TUNING =
      new S3Store.Tuning(100, 8 << 20, 5 << 20, 5 << 20);

  private final String id = UUID.randomUUID().toString().substring(0, 8);
  private final List<Store> opened = new ArrayList<>();

  @After
  public void closeStores() throws Exception {
    for (Store store : opened) {
      store.close();
    }
  }

  private Store s3(String bucket) throws IOException {
    Store store =
        S3Store.open(
            URI.create("s3://" + bucket + "-" + id + "/data/"),
            S3.connection("aws", true),
            S3_TUNING);
    store.prepare(true);
    opened.add(store);
    return store;
  }

  private Store azure(String container) throws IOException {
    Store store =
        AzureBlobStore.open(
            URI.create("azfs://devstoreaccount1/" + container + "-" + id + "/data/"),
            AzuriteServer.connection("lake", true),
            AzureBlobStore.Tuning.DEFAULT);
    store.prepare(true);
    opened.add(store);
    return store;
  }

  private LocalStore local(String folder) throws IOException {
    return new LocalStore(tmp.newFolder(folder).toURI());
  }

  private static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private static void write(Store store, String key, byte[] data) throws IOException {
    store.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
  }

  /** The file as the engine learns of it: from a listing. */
  private static FileInfo listed(Store store, String key) throws IOException {
    try (Listing listing = store.list(key, false)) {
      FileInfo file = listing.next();
      assertThat(file.key()).isEqualTo(key);
      return file;
    }
  }

  /** Replaces a local file with other bytes of the same size and a later modification time. */
  private static void replaceLocal(LocalStore store, FileInfo file, byte[] data)
      throws IOException {
    Path path = Path.of(store.root()).resolve(file.key());
    Files.write(path, data);
    Files.setLastModifiedTime(path, FileTime.from(file.lastModified().plusSeconds(2)));
  }

  private static FileResult copy(Store source, Store sink, FileInfo file) {
    FileCopier copier = new FileCopier(source, sink, millis -> {});
    return copier.copy(
        new FileToCopy(new PartitionKey(source.root().toString(), ""), file), "out.bin");
  }

  private static void assertChanged(FileResult result, Store sink) throws IOException {
    assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(result.error()).startsWith("f.bin: ").contains("changed since it was listed");
    assertThat(sink.stat("out.bin")).isEmpty();
  }

  // A file replaced (same size, other bytes) between its listing and its copy.

  @Test
  public void streamedFromS3() throws Exception {
    Store source = s3("src");
    write(source, "f.bin", bytes(10_000, 1));
    FileInfo file = listed(source, "f.bin");
    write(source, "f.bin", bytes(10_000, 2));
    LocalStore sink = local("sink");

    assertChanged(copy(source, sink, file), sink);
  }

  @Test
  public void streamedFromAzure() throws Exception {
    Store source = azure("src");
    write(source, "f.bin", bytes(10_000, 1));
    FileInfo file = listed(source, "f.bin");
    write(source, "f.bin", bytes(10_000, 2));
    LocalStore sink = local("sink");

    assertChanged(copy(source, sink, file), sink);
  }

  @Test
  public void streamedFromALocalFolder() throws Exception {
    LocalStore source = local("src");
    write(source, "f.bin", bytes(10_000, 1));
    FileInfo file = listed(source, "f.bin");
    replaceLocal(source, file, bytes(10_000, 2));
    Store sink = s3("sink");

    assertChanged(copy(source, sink, file), sink);
  }

  @Test
  public void s3CopyObject() throws Exception {
    Store source = s3("src");
    write(source, "f.bin", bytes(10_000, 1));
    FileInfo file = listed(source, "f.bin");
    write(source, "f.bin", bytes(10_000, 2));
    Store sink = s3("sink");

    assertChanged(copy(source, sink, file), sink);
  }

  @Test
  public void s3UploadPartCopy() throws Exception {
    Store source = s3("src");
    int size = (6 << 20) + 100; // above the copy threshold: copied in two ranges
    write(source, "f.bin", bytes(size, 1));
    FileInfo file = listed(source, "f.bin");
    write(source, "f.bin", bytes(size, 2));
    Store sink = s3("sink");

    assertChanged(copy(source, sink, file), sink);
  }

  @Test
  public void azureCopyFromUrlWithinTheAccount() throws Exception {
    Store source = azure("src");
    write(source, "f.bin", bytes(10_000, 1));
    FileInfo file = listed(source, "f.bin");
    write(source, "f.bin", bytes(10_000, 2));
    Store sink = azure("sink");

    assertChanged(copy(source, sink, file), sink);
  }

  @Test
  public void localKernelCopy() throws Exception {
    LocalStore source = local("src");
    write(source, "f.bin", bytes(10_000, 1));
    FileInfo file = listed(source, "f.bin");
    replaceLocal(source, file, bytes(10_000, 2));
    LocalStore sink = local("sink");

    assertChanged(copy(source, sink, file), sink);
  }

  // A local file still being appended to while it is read.

  @Test
  public void aGrowingFileIntoAnS3SinglePut() throws Exception {
    Store sink = s3("sink");
    assertChanged(copyGrowing(sink), sink);
  }

  @Test
  public void aGrowingFileIntoAzure() throws Exception {
    Store sink = azure("sink");
    assertChanged(copyGrowing(sink), sink);
  }

  @Test
  public void aGrowingFileIntoALocalFolder() throws Exception {
    LocalStore sink = local("sink");
    assertChanged(copyGrowing(sink), sink);
  }

  private FileResult copyGrowing(Store sink) throws IOException {
    LocalStore files = local("src");
    write(files, "f.bin", bytes(100_000, 1));
    FileInfo file = listed(files, "f.bin");
    return copy(new Growing(files), sink, file);
  }

  /**
   * Local files that a writer appends to as soon as they are opened: the reader sees more bytes
   * than were listed. Not a LocalStore, so a local sink streams from it.
   */
  private record Growing(LocalStore files) implements Store {
    private void append(String key) throws IOException {
      Files.write(Path.of(files.root()).resolve(key), bytes(5_000, 3), StandardOpenOption.APPEND);
    }

    @Override
    public InputStream open(String key) throws IOException {
      InputStream in = files.open(key);
      append(key);
      return in;
    }

    @Override
    public SourceStream open(FileInfo file) throws IOException {
      SourceStream in = files.open(file);
      append(file.key());
      return in;
    }

    @Override
    public URI root() {
      return files.root();
    }

    @Override
    public Optional<String> keyProblem(String key) {
      return files.keyProblem(key);
    }

    @Override
    public Listing list(String prefix, boolean recursive) throws IOException {
      return files.list(prefix, recursive);
    }

    @Override
    public Optional<FileInfo> stat(String key) throws IOException {
      return files.stat(key);
    }

    @Override
    public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
      return files.put(key, content, source);
    }

    @Override
    public void delete(String key) throws IOException {
      files.delete(key);
    }
  }
}
