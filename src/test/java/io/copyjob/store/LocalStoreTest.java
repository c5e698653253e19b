package io.copyjob.store;

import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

/** The store contract on local files. */
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
}
