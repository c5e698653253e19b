package io.copyjob.store;

import io.copyjob.store.azure.AzureBlobStore;
import java.net.URI;
import java.time.Duration;

/** Calls into a stalled Azure Blob Storage (Azurite behind the fault proxy) fail within bounds. */
public class AzureStalledStoreTest extends StalledStoreContractTest {
  private static final int BLOCK_SIZE = 1 << 20;

  @Override
  protected FaultProxy startProxy() throws Exception {
    return FaultProxy.start(AzuriteServer.endpoint(), FaultProxy.Flavor.AZURE, 11);
  }

  @Override
  protected URI server() {
    return AzuriteServer.endpoint();
  }

  @Override
  protected Store open(String name, URI endpoint, Duration requestTimeout) throws Exception {
    return AzureBlobStore.open(
        URI.create("azfs://devstoreaccount1/" + name + "/base/"),
        FaultProxy.at(AzuriteServer.connection(connection(), true), endpoint),
        new AzureBlobStore.Tuning(100, BLOCK_SIZE, requestTimeout));
  }

  @Override
  protected String connection() {
    return "stalled-lake";
  }

  @Override
  protected int partSize() {
    return BLOCK_SIZE;
  }
}
