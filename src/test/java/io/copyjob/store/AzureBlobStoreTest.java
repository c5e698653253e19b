package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.spec.Connection;
import io.copyjob.store.azure.AzureBlobStore;
import io.copyjob.store.s3.S3Store;
import java.io.IOException;
import java.net.URI;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.ClassRule;
import org.junit.Test;

/** The store contract on Azure Blob Storage, against Azurite, with small pages and blocks. */
public class AzureBlobStoreTest extends StoreContractTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();

  private static final AzureBlobStore.Tuning TUNING = new AzureBlobStore.Tuning(100, 1 << 20);

  private String container;

  @Override
  protected Store newStore() throws Exception {
    container = "test-" + UUID.randomUUID().toString().substring(0, 8);
    Store store =
        AzureBlobStore.open(
            URI.create("azfs://devstoreaccount1/" + container + "/base/"),
            AzuriteServer.connection("lake", true),
            TUNING);
    store.prepare(true);
    return store;
  }

  @Override
  protected int pageSize() {
    return TUNING.pageSize();
  }

  @Override
  protected int partSize() {
    return TUNING.blockSize();
  }

  @Test
  public void theListingGivesTheContentMd5ThatThePutSet() throws Exception {
    byte[] data = bytes(2000, 9);
    put("listed.bin", data);
    try (Listing listing = store.list("listed", true)) {
      assertThat(listing.next().md5())
          .isEqualTo(HexFormat.of().formatHex(Checksums.newMd5().digest(data)));
    }
  }

  @Test
  public void serverSideCopyWithinTheAccount() throws Exception {
    byte[] data = bytes(3000, 11);
    FileInfo written = put("from.bin", data);
    FileInfo copied =
        store
            .serverSideCopy()
            .orElseThrow()
            .copy(store, new FileInfo("from.bin", data.length, null, written.md5()), "to/copy.bin");
    assertThat(copied.size()).isEqualTo(data.length);
    assertThat(read("to/copy.bin")).isEqualTo(data);
    assertThat(store.stat("to/copy.bin").get().md5()).isEqualTo(written.md5());
  }

  @Test
  public void putBlockFromUrlRefusesBytesWhoseMd5IsNotTheListedOne() throws Exception {
    byte[] data = bytes(3000, 15);
    put("from.bin", data);
    FileInfo listed = store.stat("from.bin").orElseThrow();
    String wrong = "0".repeat(32);
    ServerSideCopy copy = store.serverSideCopy().orElseThrow();

    // The listed MD5 goes as x-ms-source-content-md5: the service checks what it fetched. The
    // listed version's own bytes without that MD5: its Content-MD5 is wrong, no copy.
    FileInfo pinned = new FileInfo("from.bin", data.length, null, wrong, listed.version());
    assertThatThrownBy(() -> copy.copy(store, pinned, "to.bin"))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(CantCopyException.class)
        .hasMessageContaining("from.bin: the listed version's bytes do not have the listed MD5 ")
        .satisfies(e -> assertThat(e.getCause()).hasMessageContaining("Md5Mismatch"));
    // From a URL that names no version: streamed instead, by a read pinned to the listed version.
    FileInfo unpinned = new FileInfo("from.bin", data.length, null, wrong, null);
    assertThatThrownBy(() -> copy.copy(store, unpinned, "to.bin"))
        .isInstanceOf(CantCopyException.class)
        .hasMessageContaining("does not have the listed MD5");
    assertThat(store.stat("to.bin")).isEmpty();
  }

  @Test
  public void aFileWhoseMd5IsNotKnownIsStreamedNotCopiedFromItsUrl() throws Exception {
    byte[] data = bytes(3000, 16);
    put("from.bin", data);
    FileInfo unknown = new FileInfo("from.bin", data.length, null, null);

    assertThatThrownBy(() -> store.serverSideCopy().orElseThrow().copy(store, unknown, "to.bin"))
        .isInstanceOf(CantCopyException.class);
    assertThat(store.stat("to.bin")).isEmpty();
  }

  @Test
  public void aBlobReplacedWhileItIsReadFailsAtItsNextChunk() throws Exception {
    // Above the 4 MiB the SDK's stream fetches at once: the read takes a second request.
    byte[] data = bytes((5 << 20) + 100, 17);
    put("read.bin", data);
    FileInfo file;
    try (Listing listing = store.list("read.bin", true)) {
      file = listing.next();
    }
    try (SourceStream in = store.open(file)) {
      assertThat(in.readNBytes(1000)).isEqualTo(java.util.Arrays.copyOf(data, 1000));
      put("read.bin", bytes(data.length, 18));

      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(SourceChangedException.class)
          .hasMessageContaining("read.bin changed since it was listed");
    }
  }

  @Test
  public void copyFromAnS3UrlIsRefusedByTheEmulatorAsCantCopy() throws Exception {
    String bucket = "src-" + UUID.randomUUID().toString().substring(0, 8);
    try (Store s3 =
        S3Store.open(
            URI.create("s3://" + bucket + "/"),
            S3.connection("s3", true),
            S3Store.Tuning.DEFAULT)) {
      s3.prepare(true);
      byte[] data = bytes(5000, 12);
      FileInfo source =
          s3.put(
              "x.bin",
              new java.io.ByteArrayInputStream(data),
              new FileInfo("x.bin", data.length, null, null));
      ServerSideCopy copy = store.serverSideCopy().orElseThrow();
      FileInfo file = new FileInfo("x.bin", data.length, null, source.md5());
      // Azurite reads no URL outside itself: the specific refusal, then no second try.
      assertThatThrownBy(() -> copy.copy(s3, file, "x.bin"))
          .isInstanceOf(CantCopyException.class)
          .hasMessageContaining("cannot copy from s3://" + bucket + "/");
      assertThatThrownBy(() -> copy.copy(s3, file, "x.bin"))
          .isInstanceOf(CantCopyException.class)
          .hasMessage("streamed");
      assertThat(store.stat("x.bin")).isEmpty();
    }
  }

  @Test
  public void aMissingContainerIsOneClearLineUnlessCreationIsAllowed() throws Exception {
    try (Store missing =
        AzureBlobStore.open(
            URI.create("azfs://devstoreaccount1/no-such-container/"),
            AzuriteServer.connection("archive", false),
            TUNING)) {
      assertThatThrownBy(() -> missing.prepare(true))
          .isInstanceOf(IOException.class)
          .hasMessage(
              "connection 'archive': container 'no-such-container' does not exist"
                  + " (set createContainer: true to create it)");
    }
  }

  @Test
  public void wrongCredentialsNameTheConnectionAndNoSecret() throws Exception {
    Connection.Azure wrong =
        new Connection.Azure(
            "prod-lake",
            "devstoreaccount1",
            AzuriteServer.endpoint(),
            "COPYJOB_TEST_AZURE_WRONG_KEY",
            null,
            null,
            false);
    try (Store store =
        AzureBlobStore.open(
            URI.create("azfs://devstoreaccount1/" + container + "/"), wrong, TUNING)) {
      assertThatThrownBy(() -> store.prepare(false))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("connection 'prod-lake': container '" + container + "':")
          .hasMessageNotContaining(System.getenv("COPYJOB_TEST_AZURE_WRONG_KEY"))
          .hasMessageNotContaining(System.getenv("COPYJOB_TEST_AZURE_KEY"));
    }
  }
}
