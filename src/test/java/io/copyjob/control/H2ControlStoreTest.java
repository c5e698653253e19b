package io.copyjob.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.spec.JobSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The contract on an H2 file database, the embedded default; a new file per test. */
public class H2ControlStoreTest extends ControlStoreContractTest {
  @Rule public TemporaryFolder folder = new TemporaryFolder();

  private String url() {
    return "jdbc:h2:file:" + folder.getRoot().getAbsolutePath() + "/control;AUTO_SERVER=TRUE";
  }

  @Override
  protected ControlStore openStore() throws Exception {
    return ControlStore.open(new JobSpec.ControlSpec(url(), null, null));
  }

  @Override
  protected Connection connect() throws Exception {
    return DriverManager.getConnection(url());
  }

  @Test
  public void aConnectErrorNamesTheUrlWithoutItsProperties() {
    String base = "jdbc:h2:file:" + folder.getRoot().getAbsolutePath() + "/missing";
    String url = base + ";IFEXISTS=TRUE;PASSWORD=hunter2";
    assertThatThrownBy(() -> ControlStore.open(new JobSpec.ControlSpec(url, "sa", null)))
        .isInstanceOf(SQLException.class)
        .hasMessageStartingWith("control store " + base + ": cannot connect: ")
        .hasMessageNotContaining("hunter2")
        .satisfies(
            e ->
                assertThat(e.getCause() == null ? "" : e.getCause().getMessage())
                    .doesNotContain("hunter2"));
  }

  @Test
  public void aHoldKeepsAnEmbeddedDatabaseOpenBetweenConnections() throws Exception {
    // An in-memory H2 database lives as long as a connection to it: what the hold keeps open
    // shows in what a later connection still finds.
    JobSpec.ControlSpec spec =
        new JobSpec.ControlSpec(
            "jdbc:h2:mem:hold-" + java.util.UUID.randomUUID() + ";AUTO_SERVER=FALSE", null, null);
    try (AutoCloseable held = ControlStore.holdOpen(spec)) {
      try (ControlStore control = ControlStore.open(spec)) {
        control.startRun("held", java.time.Instant.now(), "full", "direct", "{}");
      }
      try (ControlStore control = ControlStore.open(spec)) {
        assertThat(control.history("held", 10)).hasSize(1);
      }
    }
    try (ControlStore control = ControlStore.open(spec)) {
      assertThat(control.history("held", 10)).isEmpty(); // closed with the hold: a new database
    }
    // A database server is not held: the hold opens nothing.
    JobSpec.ControlSpec server =
        new JobSpec.ControlSpec("jdbc:postgresql://127.0.0.1:1/none", null, null);
    try (AutoCloseable held = ControlStore.holdOpen(server)) {
      assertThat(held).isNotNull();
    }
  }
}
