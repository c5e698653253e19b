package io.copyjob.store;

import io.copyjob.spec.Connection;
import io.copyjob.store.s3.S3Store;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.junit.ClassRule;

/** Calls into a stalled S3 (s3proxy behind the fault proxy) fail within their bounds. */
public class S3StalledStoreTest extends StalledStoreContractTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();

  private static final int PART_SIZE = 5 << 20; // S3's smallest

  @Override
  protected FaultProxy startProxy() throws Exception {
    return FaultProxy.start(S3.endpoint(), FaultProxy.Flavor.S3, 11);
  }

  @Override
  protected Store open(URI endpoint, Duration requestTimeout) throws Exception {
    Connection.S3 direct = S3.connection("stalled-s3", true);
    Connection.S3 proxied =
        new Connection.S3(
            direct.name(),
            direct.region(),
            endpoint,
            true,
            direct.accessKeyIdEnv(),
            direct.secretAccessKeyEnv(),
            null,
            true);
    return S3Store.open(
        URI.create("s3://stall-" + UUID.randomUUID().toString().substring(0, 8) + "/base/"),
        proxied,
        new S3Store.Tuning(100, PART_SIZE, PART_SIZE, PART_SIZE, requestTimeout));
  }

  @Override
  protected String connection() {
    return "stalled-s3";
  }

  @Override
  protected int partSize() {
    return PART_SIZE;
  }
}
