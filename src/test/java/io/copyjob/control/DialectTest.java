package io.copyjob.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.Test;

public class DialectTest {

  @Test
  public void theDialectAndDriverComeFromTheUrl() {
    assertThat(Dialect.forUrl("jdbc:h2:file:/x/db;AUTO_SERVER=TRUE")).isEqualTo(Dialect.H2);
    assertThat(Dialect.forUrl("jdbc:postgresql://h:5432/db")).isEqualTo(Dialect.POSTGRESQL);
    assertThat(Dialect.forUrl("JDBC:SQLSERVER://h:1433;databaseName=d"))
        .isEqualTo(Dialect.SQLSERVER);
    assertThat(Dialect.driverClass("jdbc:h2:mem:x")).isEqualTo("org.h2.Driver");
    assertThat(Dialect.driverClass("jdbc:postgresql://h/db")).isEqualTo("org.postgresql.Driver");
    assertThat(Dialect.driverClass("jdbc:sqlserver://h"))
        .isEqualTo("com.microsoft.sqlserver.jdbc.SQLServerDriver");
  }

  @Test
  public void anUnsupportedUrlIsNamedByItsSchemeOnly() {
    assertThatThrownBy(() -> Dialect.forUrl("jdbc:mysql://u:secret@h/db?password=secret"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "control.url: unsupported JDBC URL jdbc:mysql:, expected jdbc:h2:, jdbc:postgresql:"
                + " or jdbc:sqlserver:");
  }

  @Test
  public void redactionDropsCredentialsAndProperties() {
    assertThat(Jdbc.redact("jdbc:postgresql://h:5432/db?user=u&password=p"))
        .isEqualTo("jdbc:postgresql://h:5432/db");
    assertThat(Jdbc.redact("jdbc:sqlserver://h:1433;databaseName=d;password=p"))
        .isEqualTo("jdbc:sqlserver://h:1433");
    assertThat(Jdbc.redact("jdbc:h2:file:/x/db;PASSWORD=p")).isEqualTo("jdbc:h2:file:/x/db");
    assertThat(Jdbc.redact("jdbc:postgresql://u:p@h/db")).isEqualTo("jdbc:postgresql://h/db");
  }

  @Test
  public void truncationKeepsSurrogatePairsWhole() {
    assertThat(Jdbc.truncate("ab😀", 3)).isEqualTo("ab");
    assertThat(Jdbc.truncate("abc", 3)).isEqualTo("abc");
    assertThat(Jdbc.truncate(null, 3)).isNull();
  }
}
