package io.copyjob.tabular;

/** The tabular copy into an H2 database (batched INSERT). */
public class H2TabularCopyTest extends TabularCopyContractTest {
  @Override
  SinkDatabase database() {
    return SinkDatabase.h2();
  }
}
