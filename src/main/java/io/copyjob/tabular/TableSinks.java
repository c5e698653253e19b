package io.copyjob.tabular;

import io.copyjob.spec.JobSpec;
import io.copyjob.tabular.files.FileSink;
import io.copyjob.tabular.jdbc.JdbcSink;
import io.copyjob.tabular.kusto.KustoSink;

/** The sink a tabular job's file names. */
public final class TableSinks {
  private TableSinks() {}

  /** A new sink of the job: connections are made on first use, where it runs. */
  public static TableSink of(JobSpec spec) {
    if (spec.tabular().writesFiles()) {
      return new FileSink(spec);
    }
    if (spec.tabular().kusto() != null) {
      return new KustoSink(spec.name(), spec.tabular().kusto());
    }
    return new JdbcSink(spec.name(), spec.tabular().database());
  }
}
