package io.copyjob.store;

import io.copyjob.store.s3.S3Store;
import java.net.URI;
import java.time.Duration;
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
  protected URI server() {
    return S3.endpoint();
  }

  @Override
  protected Store open(String name, URI endpoint, Duration requestTimeout) throws Exception {
    return S3Store.open(
        URI.create("s3://" + name + "/base/"),
        S3.connection(connection(), true, endpoint),
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
