package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.spec.Connection;
import io.copyjob.store.s3.S3Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.ClassRule;
import org.junit.Test;

/** The store contract on S3, against s3proxy, with small pages and parts so both are crossed. */
public class S3StoreTest extends StoreContractTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();

  private static final S3Store.Tuning TUNING = new S3Store.Tuning(100, 5 << 20);

  private String bucket;

  @Override
  protected Store newStore() throws Exception {
    bucket = "test-" + UUID.randomUUID().toString().substring(0, 8);
    Store store =
        S3Store.open(
            URI.create("s3://" + bucket + "/base/"), S3.connection("s3test", true), TUNING);
    store.prepare(true);
    return store;
  }

  @Override
  protected int pageSize() {
    return TUNING.pageSize();
  }

  @Override
  protected int partSize() {
    return TUNING.partSize();
  }

  @Test
  public void aSinglePartObjectsMd5ComesFromTheListing() throws Exception {
    byte[] data = bytes(2000, 9);
    put("listed.bin", data);
    try (Listing listing = store.list("listed", true)) {
      assertThat(listing.next().md5())
          .isEqualTo(HexFormat.of().formatHex(Checksums.newMd5().digest(data)));
    }
  }

  /**
   * Keys with characters XML cannot carry (or that its parsers change: a CR reads back as LF) list
   * exactly, because listings ask S3 for URL-encoded keys.
   */
  @Test
  public void keysWithControlCharactersListExactly() throws Exception {
    // (Not U+FFFF: s3proxy's in-memory store lists a prefix up to prefix + U+FFFF, and so misses
    // the keys that go on with it.)
    List<String> keys = List.of("c/\u0001one", "c/cr\rlf", "c/\u001fus", "c/lf\nx");
    for (String key : keys) {
      put(key, bytes(10, key.hashCode()));
    }
    try (Listing listing = store.list("c/", true)) {
      assertThat(keysOf(listing)).containsExactlyInAnyOrderElementsOf(keys);
    }
  }

  @Test
  public void aWrongContentMd5IsRefusedAndNothingIsWritten() {
    byte[] data = bytes(1000, 10);
    FileInfo lying = new FileInfo("bad.bin", data.length, Instant.now(), "0".repeat(32));
    assertThatThrownBy(() -> store.put("bad.bin", new ByteArrayInputStream(data), lying))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("connection 's3test': writing s3://" + bucket + "/base/bad.bin");
  }

  @Test
  public void serverSideCopyWithinTheConnection() throws Exception {
    byte[] data = bytes(3000, 11);
    FileInfo written = put("from.bin", data);
    FileInfo copied =
        store
            .serverSideCopy()
            .orElseThrow()
            .copy(store, new FileInfo("from.bin", data.length, null, written.md5()), "to/copy.bin");
    assertThat(copied.size()).isEqualTo(data.length);
    assertThat(read("to/copy.bin")).isEqualTo(data);
  }

  @Test
  public void objectsAboveTheCopyThresholdAreCopiedInParts() throws Exception {
    byte[] data = bytes((6 << 20) + 123, 13);
    put("big.bin", data);
    String md5 = HexFormat.of().formatHex(Checksums.newMd5().digest(data));
    try (Store small =
        S3Store.open(
            URI.create("s3://" + bucket + "/base/"),
            S3.connection("s3test", true),
            new S3Store.Tuning(100, 5 << 20, 5 << 20, 5 << 20))) {
      FileInfo copied =
          small
              .serverSideCopy()
              .orElseThrow()
              .copy(small, new FileInfo("big.bin", data.length, null, md5), "copied.bin");
      assertThat(copied.size()).isEqualTo(data.length);
    }
    assertThat(read("copied.bin")).isEqualTo(data);
    assertThat(store.stat("copied.bin").orElseThrow().md5()).isEqualTo(md5);
  }

  @Test
  public void aMultipartUploadKeepsTheMd5ItComputedInTheMetadata() throws Exception {
    byte[] data = bytes(partSize() + 4567, 14);
    put("multi.bin", data); // no MD5 known before the upload
    assertThat(store.stat("multi.bin").orElseThrow().md5())
        .isEqualTo(HexFormat.of().formatHex(Checksums.newMd5().digest(data)));
  }

  @Test
  public void aReadGivesTheMd5KeptInTheMetadataWhereTheEtagIsNone() throws Exception {
    byte[] data = bytes(partSize() + 4567, 19);
    String md5 = HexFormat.of().formatHex(Checksums.newMd5().digest(data));
    // Uploaded in parts with the MD5 known beforehand: a multipart ETag, the MD5 in the metadata.
    store.put(
        "multi.bin",
        new ByteArrayInputStream(data),
        new FileInfo("multi.bin", data.length, Instant.now(), md5));
    FileInfo listed;
    try (Listing listing = store.list("multi.bin", true)) {
      listed = listing.next();
    }
    assertThat(listed.md5()).isNull();

    try (SourceStream in = store.open(listed)) {
      assertThat(in.file().md5()).isEqualTo(md5);
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  public void aMissingBucketIsOneClearLineUnlessCreationIsAllowed() throws Exception {
    Connection.S3 noCreate = S3.connection("archive", false);
    try (Store missing = S3Store.open(URI.create("s3://no-such-bucket-x/"), noCreate, TUNING)) {
      assertThatThrownBy(() -> missing.prepare(true))
          .isInstanceOf(IOException.class)
          .hasMessage(
              "connection 'archive': bucket 'no-such-bucket-x' does not exist"
                  + " (set createBucket: true to create it)");
    }
  }

  @Test
  public void wrongCredentialsNameTheConnectionAndNoSecret() throws Exception {
    Connection.S3 wrong =
        new Connection.S3(
            "prod-s3",
            "us-east-1",
            S3.endpoint(),
            true,
            "COPYJOB_TEST_S3_KEY",
            "COPYJOB_TEST_S3_WRONG_SECRET",
            null,
            false);
    try (Store store = S3Store.open(URI.create("s3://" + bucket + "/"), wrong, TUNING)) {
      assertThatThrownBy(() -> store.prepare(false))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("connection 'prod-s3': bucket '" + bucket + "': access denied")
          .hasMessageNotContaining(S3ProxyServer.SECRET_KEY)
          .hasMessageNotContaining("wrong-secret");
    }
  }
}
