package io.copyjob.pipeline;

import io.copyjob.control.Dialect;
import io.copyjob.spec.JobSpec.ControlSpec;
import org.apache.beam.sdk.io.jdbc.JdbcIO;

/** The control store as a JdbcIO data source. */
final class ControlJdbc {
  private ControlJdbc() {}

  static JdbcIO.DataSourceConfiguration dataSource(ControlSpec control) {
    JdbcIO.DataSourceConfiguration config =
        JdbcIO.DataSourceConfiguration.create(Dialect.driverClass(control.url()), control.url());
    if (control.user() != null) {
      config = config.withUsername(control.user());
    }
    String password = control.password();
    if (password != null) {
      config = config.withPassword(password);
    }
    return config;
  }
}
