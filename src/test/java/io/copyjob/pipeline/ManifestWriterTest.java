package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import org.junit.Test;

/** Which manifest write errors another connection may cure, and so are tried again. */
public class ManifestWriterTest {
  @Test
  public void connectionErrorsAreTriedAgainAndStatementErrorsAreNot() {
    // A killed connection (PostgreSQL), a refused connect, a driver's recoverable error.
    assertThat(ManifestWriter.retryable(new SQLException("terminated", "57P01"))).isTrue();
    assertThat(ManifestWriter.retryable(new SQLException("refused", "08001"))).isTrue();
    assertThat(ManifestWriter.retryable(new SQLRecoverableException("broken", "23000"))).isTrue();
    assertThat(ManifestWriter.retryable(new SQLException("no state"))).isTrue();
    // A refused row, a missing table, a value too long: the same on any connection.
    assertThat(ManifestWriter.retryable(new SQLException("check", "23513"))).isFalse();
    assertThat(ManifestWriter.retryable(new SQLException("no table", "42S02"))).isFalse();
    assertThat(ManifestWriter.retryable(new SQLException("too long", "22001"))).isFalse();
    // Wrapped by the control store, the driver's state is kept.
    assertThat(
            ManifestWriter.retryable(
                new SQLException("copyjob_files: failed", "23513", new SQLException("x"))))
        .isFalse();
  }
}
