package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec.ControlSpec;
import org.apache.beam.sdk.io.jdbc.JdbcIO;

/** The control store as a JdbcIO data source. */
final class ControlJdbc {
  private ControlJdbc() {}

  static JdbcIO.DataSourceConfiguration dataSource(ControlSpec control) {
    JdbcIO.DataSourceConfiguration config =
        JdbcIO.DataSourceConfiguration.create(driverClass(control.url()), control.url());
    if (control.user() != null) {
      config = config.withUsername(control.user());
    }
    String password = control.password();
    if (password != null) {
      config = config.withPassword(password);
    }
    return config;
  }

  static String driverClass(String url) {
    if (url.startsWith("jdbc:h2:")) {
      return "org.h2.Driver";
    } else if (url.startsWith("jdbc:postgresql:")) {
      return "org.postgresql.Driver";
    } else if (url.startsWith("jdbc:sqlserver:")) {
      return "com.microsoft.sqlserver.jdbc.SQLServerDriver";
    }
    throw new IllegalArgumentException("control.url: unsupported JDBC URL kind");
  }
}
