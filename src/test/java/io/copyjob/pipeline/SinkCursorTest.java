package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.store.AzuriteServer;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.LocalStore;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The sink's state from one listing: a merge in key order against real S3 and Azure listings, and
 * the fall back to asking per file whenever the order cannot be trusted.
 */
public class SinkCursorTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static Listing listing(String... keys) {
    Iterator<String> it = List.of(keys).iterator();
    return new Listing() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public FileInfo next() {
        return new FileInfo(it.next(), 1, Instant.EPOCH, null);
      }

      @Override
      public void close() {}
    };
  }

  @Test
  public void mergesInKeyOrder() throws Exception {
    try (SinkCursor cursor = new SinkCursor(() -> listing("a/1", "a/3", "b/1"))) {
      assertThat(cursor.find("a/0")).isEqualTo(new SinkCursor.Lookup(true, null));
      assertThat(cursor.find("a/1").file().key()).isEqualTo("a/1");
      assertThat(cursor.find("a/2").known()).isTrue();
      assertThat(cursor.find("a/2x").file()).isNull();
      assertThat(cursor.find("b/1").file().key()).isEqualTo("b/1");
      assertThat(cursor.find("c").known()).isTrue();
    }
  }

  @Test
  public void opensTheListingOnlyWhenAsked() throws Exception {
    AtomicInteger opened = new AtomicInteger();
    try (SinkCursor cursor =
        new SinkCursor(
            () -> {
              opened.incrementAndGet();
              return listing();
            })) {
      assertThat(opened).hasValue(0);
      assertThat(cursor.find("x")).isEqualTo(new SinkCursor.Lookup(true, null));
      assertThat(opened).hasValue(1);
    }
  }

  @Test
  public void givesUpWhenTheSinkIsOutOfOrder() throws Exception {
    try (SinkCursor cursor = new SinkCursor(() -> listing("b", "a", "c"))) {
      assertThat(cursor.find("c").known()).isFalse();
      assertThat(cursor.find("d").known()).isFalse(); // and stays unknown
    }
  }

  @Test
  public void givesUpWhenAskedOutOfOrder() throws Exception {
    // FLATTEN_HIERARCHY maps a/b (after a.x in the source) to a_b (before it): keys come unordered.
    try (SinkCursor cursor = new SinkCursor(() -> listing("a.x", "a_b"))) {
      assertThat(cursor.find("a_b").known()).isTrue();
      assertThat(cursor.find("a.x").known()).isFalse();
      assertThat(cursor.find("a_c").known()).isFalse();
    }
  }

  @Test
  public void givesUpWhenTheListingFails() throws Exception {
    try (SinkCursor cursor =
        new SinkCursor(
            () -> {
              throw new UncheckedIOException(new java.io.IOException("denied"));
            })) {
      assertThat(cursor.find("a").known()).isFalse();
    }
  }

  @Test
  public void ordersKeysByCodePointAsTheServicesDo() {
    // UTF-16 puts U+FF21 after U+1F600's surrogates; UTF-8 bytes (and S3) put it before.
    assertThat(SinkCursor.KEY_ORDER.compare("\uFF21", "\uD83D\uDE00")).isNegative();
    assertThat(SinkCursor.KEY_ORDER.compare("a", "ab")).isNegative();
    assertThat(SinkCursor.KEY_ORDER.compare("ab", "ab")).isZero();
  }

  @Test
  public void aLocalSinkIsAskedPerFile() throws Exception {
    Store local = new LocalStore(tmp.getRoot().toURI());
    try (SinkCursor cursor = SinkCursor.over(local, "", true)) {
      assertThat(cursor.find("a").known()).isFalse();
    }
  }

  @Test
  public void readsWhatAnS3SinkHolds() throws Exception {
    String bucket = "cursor-" + UUID.randomUUID().toString().substring(0, 8);
    try (Store s3 =
        Stores.open(URI.create("s3://" + bucket + "/base/"), S3.connection("aws", true))) {
      s3.prepare(true);
      checkAgainst(s3);
    }
  }

  @Test
  public void readsWhatAnAzureSinkHolds() throws Exception {
    String container = "cursor-" + UUID.randomUUID().toString().substring(0, 8);
    try (Store azure =
        Stores.open(
            URI.create(AzuriteServer.endpoint() + "/" + container + "/base/"),
            AzuriteServer.connection("lake", true))) {
      azure.prepare(true);
      checkAgainst(azure);
    }
  }

  private static void checkAgainst(Store sink) throws Exception {
    for (String key : List.of("p/a.csv", "p/c/d.csv", "p/\u00e9.csv", "q/z.csv")) {
      byte[] data = key.getBytes(StandardCharsets.UTF_8);
      sink.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
    }
    try (SinkCursor cursor = SinkCursor.over(sink, "p/", true)) {
      SinkCursor.Lookup a = cursor.find("p/a.csv");
      assertThat(a.known()).isTrue();
      assertThat(a.file().size()).isEqualTo(7);
      assertThat(a.file().md5())
          .isEqualTo(
              Checksums.md5Hex(
                  new ByteArrayInputStream("p/a.csv".getBytes(StandardCharsets.UTF_8))));
      assertThat(cursor.find("p/b.csv")).isEqualTo(new SinkCursor.Lookup(true, null));
      assertThat(cursor.find("p/c/d.csv").file().key()).isEqualTo("p/c/d.csv");
      assertThat(cursor.find("p/d.csv").file()).isNull();
      assertThat(cursor.find("p/\u00e9.csv").file().key()).isEqualTo("p/\u00e9.csv");
      assertThat(cursor.find("q/z.csv")).isEqualTo(new SinkCursor.Lookup(true, null));
    }
  }
}
