package io.copyjob.tabular;

import java.util.List;

/** The write behaviours on SqlServerMode. */
public class SqlServerModeWriteBehaviourTest extends WriteBehaviourContractTest {
  @Override
  SinkDatabase database() {
    return SinkDatabase.sqlServerMode();
  }

  @Override
  List<String> createdColumns() {
    // SQL Server DDL (BIGINT, NVARCHAR(20), DECIMAL, FLOAT, BIT, DATETIME2(7), UNIQUEIDENTIFIER,
    // NVARCHAR(MAX)) as H2 reads it back in its MSSQLServer mode.
    return List.of(
        "id bigint not null",
        "name character varying(20)",
        "amount decimal(12,2)",
        "ratio double precision",
        "paid boolean",
        "day date",
        "at timestamp",
        "uid uuid",
        "note character varying(1000000000)");
  }
}
