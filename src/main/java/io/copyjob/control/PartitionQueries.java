package io.copyjob.control;

import io.copyjob.spec.JobSpec;
import java.io.Serializable;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Where a run reads its partitions and their delta watermarks from: copyjob's own partitions table,
 * or an adopted Azure Data Factory control table. The pipeline runs these queries through Beam's
 * JdbcIO, so they are plain SQL with {@link #bind} setting their parameters and {@link #key} and
 * {@link #lastSuccess} reading their rows.
 */
public interface PartitionQueries extends Serializable {

  /** The queries for the job's partitions, wherever its job file says they are. */
  static PartitionQueries of(JobSpec spec) {
    return spec.partitionTable() == null
        ? new OwnPartitionQueries(spec.control(), spec.name())
        : new AdfPartitionTable(spec.partitionTable(), spec.source().root().toString());
  }

  /** The database the queries run on. */
  JobSpec.ControlSpec connection();

  /** The partitions a run in {@code mode} copies; rows read with {@link #key}. */
  String partitionsToCopy(JobSpec.Mode mode);

  /** Each partition's last successful run time; rows read with {@link #key} and lastSuccess. */
  String lastSuccessTimes(JobSpec.Mode mode);

  /** Sets the parameters of either query. */
  void bind(PreparedStatement statement) throws SQLException;

  PartitionKey key(ResultSet row) throws SQLException;

  /** The start of the partition's next delta window, read from a lastSuccessTimes row. */
  Instant lastSuccess(ResultSet row) throws SQLException;
}
