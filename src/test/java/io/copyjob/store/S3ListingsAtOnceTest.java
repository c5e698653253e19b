package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.spec.Connection;
import io.copyjob.store.s3.S3Store;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * The listings of several partitions start together on one store (the lister's threads), and each
 * needs to know whether the bucket encrypts with SSE-KMS by default. The store asks that once:
 * s3proxy answers GetBucketEncryption by listing the whole bucket (a second of its CPU for 20,000
 * objects), and every listing that started before the first answer used to ask again.
 */
public class S3ListingsAtOnceTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public Timeout guard = Timeout.seconds(60);

  private static final int PARTITIONS = 8;

  @Test
  public void listingsThatStartTogetherAskTheBucketsEncryptionOnce() throws Exception {
    String bucket = "atonce-" + UUID.randomUUID().toString().substring(0, 8);
    Connection.S3 direct = S3.connection("atonce", true);
    Store writer = S3Store.open(URI.create("s3://" + bucket + "/"), direct, S3Store.Tuning.DEFAULT);
    writer.prepare(true);
    for (int p = 0; p < PARTITIONS; p++) {
      byte[] body = ("file of p" + p).getBytes(StandardCharsets.UTF_8);
      writer.put(
          "p" + p + "/f",
          new ByteArrayInputStream(body),
          new FileInfo("p" + p + "/f", body.length, null, null));
    }
    writer.close();

    try (FaultProxy proxy = FaultProxy.start(S3.endpoint(), FaultProxy.Flavor.S3, 1);
        Store store =
            S3Store.open(
                URI.create("s3://" + bucket + "/"),
                S3.connection("atonce", true, proxy.endpoint()),
                S3Store.Tuning.DEFAULT)) {
      ExecutorService threads = Executors.newFixedThreadPool(PARTITIONS);
      try {
        proxy.stallAll(); // every listing reaches its first request before any answer comes
        List<Future<List<String>>> listings = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          String prefix = "p" + p + "/";
          listings.add(threads.submit(() -> keys(store, prefix)));
        }
        Thread.sleep(Duration.ofMillis(500).toMillis());
        proxy.heal();

        for (int p = 0; p < PARTITIONS; p++) {
          assertThat(listings.get(p).get()).containsExactly("p" + p + "/f");
        }
      } finally {
        threads.shutdownNow();
      }
      assertThat(proxy.requests().stream().filter(r -> r.contains("?encryption")))
          .as("GetBucketEncryption requests among %s", proxy.requests())
          .hasSize(1);
    }
  }

  private static List<String> keys(Store store, String prefix) throws Exception {
    List<String> keys = new ArrayList<>();
    try (Listing listing = store.list(prefix, true)) {
      while (listing.hasNext()) {
        keys.add(listing.next().key());
      }
    }
    return keys;
  }
}
