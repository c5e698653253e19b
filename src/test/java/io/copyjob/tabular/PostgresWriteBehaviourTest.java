package io.copyjob.tabular;

import java.util.List;

/** The write behaviours on Postgres. */
public class PostgresWriteBehaviourTest extends WriteBehaviourContractTest {
  @Override
  SinkDatabase database() {
    return SinkDatabase.postgres();
  }

  @Override
  List<String> createdColumns() {
    return List.of(
        "id int8 not null",
        "name varchar(20)",
        "amount numeric(12,2)",
        "ratio float8",
        "paid bool",
        "day date",
        "at timestamp",
        "uid uuid",
        "note text(2147483647)"); // pgjdbc gives text its largest size
  }
}
