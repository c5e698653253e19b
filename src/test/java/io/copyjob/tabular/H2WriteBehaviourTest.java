package io.copyjob.tabular;

import java.util.List;

/** The write behaviours on H2. */
public class H2WriteBehaviourTest extends WriteBehaviourContractTest {
  @Override
  SinkDatabase database() {
    return SinkDatabase.h2();
  }

  @Override
  List<String> createdColumns() {
    // H2 reads back the types as its own names: an unbounded VARCHAR holds 1,000,000,000.
    return List.of(
        "id bigint not null",
        "name character varying(20)",
        "amount numeric(12,2)",
        "ratio double precision",
        "paid boolean",
        "day date",
        "at timestamp",
        "uid uuid",
        "note character varying(1000000000)");
  }
}
