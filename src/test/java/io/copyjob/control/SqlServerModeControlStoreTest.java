package io.copyjob.control;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

/**
 * The contract with the SQL Server dialect (its DDL, DATETIME2 in UTC, no IF NOT EXISTS) on H2's
 * MSSQLServer compatibility mode. Not a substitute for a real SQL Server, but it runs every
 * statement the dialect emits.
 */
public class SqlServerModeControlStoreTest extends ControlStoreContractTest {
  @Rule public TemporaryFolder folder = new TemporaryFolder();

  @Override
  protected ControlStore openStore() throws Exception {
    return ControlStore.open(connect(), Dialect.SQLSERVER, Clock.systemUTC());
  }

  @Override
  protected Connection connect() throws Exception {
    return DriverManager.getConnection(
        "jdbc:h2:file:"
            + folder.getRoot().getAbsolutePath()
            + "/control;MODE=MSSQLServer;AUTO_SERVER=TRUE");
  }
}
