package io.copyjob.tabular;

import io.copyjob.spec.JobSpec;
import io.copyjob.tabular.files.FileSink;
import io.copyjob.tabular.jdbc.JdbcSink;

/** The sink a tabular job's file names. */
public final class TableSinks {
  private TableSinks() {}

  /** A new sink of the job: connections are made on first use, where it runs. */
  public static TableSink of(JobSpec spec) {
    if (spec.tabular().writesFiles()) {
      return new FileSink(spec);
    }
    return new JdbcSink(spec.name(), spec.tabular().database());
  }
}
