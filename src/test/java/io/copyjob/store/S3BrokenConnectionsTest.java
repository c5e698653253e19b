package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.store.FaultProxy.Fault;
import io.copyjob.store.s3.S3Store;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * S3 calls whose connection breaks once, reset half-way or with its answer cut short (the fault
 * proxy in front of s3proxy), are retried by the SDK and complete. Before, an XML answer cut short
 * (a listing page, the id of a multipart upload) failed its call with "Could not parse XML
 * response", which the SDK's retry condition does not look into; and a put in one request, whose
 * body streams from the source, was retried with nothing left to send and waited out its timeout.
 */
public class S3BrokenConnectionsTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public Timeout guard = Timeout.seconds(60);

  private static final int PAGE_SIZE = 10;
  private static final int PART_SIZE = 5 << 20; // S3's smallest
  private static final RequestTimeouts TIMEOUTS = new RequestTimeouts(Duration.ofSeconds(2));

  private FaultProxy proxy;
  private Store store;

  @Before
  public void setUp() throws Exception {
    proxy = FaultProxy.start(S3.endpoint(), FaultProxy.Flavor.S3, 5);
    store =
        S3Store.open(
            URI.create("s3://flaky-" + UUID.randomUUID().toString().substring(0, 8) + "/base/"),
            S3.connection("flaky", true, proxy.endpoint()),
            new S3Store.Tuning(PAGE_SIZE, PART_SIZE).withRequestTimeout(TIMEOUTS.request()));
    store.prepare(true);
    listAll(); // what a store asks once (the bucket's encryption) is asked here
  }

  @After
  public void tearDown() throws Exception {
    proxy.close();
    store.close();
  }

  private List<String> listAll() throws Exception {
    List<String> keys = new ArrayList<>();
    try (Listing listing = store.list("", true)) {
      while (listing.hasNext()) {
        keys.add(listing.next().key());
      }
    }
    return keys;
  }

  private static byte[] bytes(int size) {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return data;
  }

  /** Puts {@code data} from a stream that can be read once, as a source's body is. */
  private FileInfo put(String key, byte[] data, String md5) throws Exception {
    InputStream once =
        new FilterInputStream(new ByteArrayInputStream(data)) {
          @Override
          public boolean markSupported() {
            return false;
          }
        };
    return store.put(key, once, new FileInfo(key, data.length, null, md5));
  }

  private byte[] read(String key) throws Exception {
    try (InputStream in = store.open(key)) {
      return in.readAllBytes();
    }
  }

  private static String md5(byte[] data) {
    return Checksums.hex(Checksums.newMd5().digest(data));
  }

  @Test
  public void aListingPageCutShortOrResetIsAskedAgain() throws Exception {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 2 * PAGE_SIZE + 5; i++) {
      keys.add(String.format("k/%02d", i));
      put(keys.get(i), bytes(10 + i), null);
    }
    for (Fault fault : List.of(Fault.RESET, Fault.TRUNCATE)) {
      proxy.faultAt(proxy.exchanges() + 2, fault); // the second page

      assertThat(listAll()).as(fault.name()).containsExactlyElementsOf(keys);
      assertThat(proxy.injected(fault)).isEqualTo(1);
    }
  }

  @Test
  public void aPutWhoseConnectionBreaksIsSentAgainWhole() throws Exception {
    byte[] data = bytes(300_000);
    for (Fault fault : List.of(Fault.RESET, Fault.TRUNCATE)) {
      for (String md5 : new String[] {md5(data), null}) {
        String key = fault + "-" + (md5 != null);
        proxy.faultAt(proxy.exchanges() + 1, fault);
        long start = System.nanoTime();

        FileInfo written = put(key, data, md5);

        // Within one attempt's bound: the retry did not wait out the call's whole time.
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .isLessThan(TIMEOUTS.attempt(data.length));
        assertThat(written.md5()).isEqualTo(md5(data));
        assertThat(read(key)).as(key).isEqualTo(data);
      }
    }
    assertThat(proxy.injected(Fault.RESET) + proxy.injected(Fault.TRUNCATE)).isEqualTo(4);
  }

  /** The upload's creation, each of its three parts: each request is retried once it breaks. */
  @Test
  public void eachRequestOfAPutInPartsIsRetriedWhenItsConnectionBreaks() throws Exception {
    byte[] data = bytes(2 * PART_SIZE + 1000);
    for (int request = 1; request <= 4; request++) {
      Fault fault = request % 2 == 0 ? Fault.RESET : Fault.TRUNCATE;
      String key = "parts-" + request;
      proxy.faultAt(proxy.exchanges() + request, fault);

      FileInfo written = put(key, data, md5(data));

      assertThat(written.md5()).isEqualTo(md5(data));
      assertThat(read(key)).as(key).isEqualTo(data);
    }
    assertThat(proxy.injected(Fault.RESET) + proxy.injected(Fault.TRUNCATE)).isEqualTo(4);
  }

  /**
   * The bucket is made, but the answer is lost: the SDK asks again and S3 answers that the bucket
   * is already this account's (409 BucketAlreadyOwnedByYou), as it answers a run that makes the
   * bucket at the same moment as another. Either way the bucket is there.
   */
  @Test
  public void aBucketWhoseCreationsAnswerIsLostIsThere() throws Exception {
    String bucket = "made-" + UUID.randomUUID().toString().substring(0, 8);
    try (Store made =
        S3Store.open(
            URI.create("s3://" + bucket + "/"),
            S3.connection("flaky", true, proxy.endpoint()),
            new S3Store.Tuning(PAGE_SIZE, PART_SIZE).withRequestTimeout(TIMEOUTS.request()))) {
      proxy.faultAt(proxy.exchanges() + 2, Fault.TRUNCATE); // after the bucket was looked for

      made.prepare(true);

      assertThat(proxy.injected(Fault.TRUNCATE)).isEqualTo(1);
      made.prepare(false); // it is there
    }
  }
}
