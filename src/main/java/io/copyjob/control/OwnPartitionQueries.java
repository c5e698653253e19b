package io.copyjob.control;

import io.copyjob.spec.JobSpec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** The partitions in copyjob's own table, {@code copyjob_partitions}. */
record OwnPartitionQueries(JobSpec.ControlSpec connection, String job) implements PartitionQueries {

  @Override
  public String partitionsToCopy(JobSpec.Mode mode) {
    return ControlQueries.partitionsToCopy(mode);
  }

  @Override
  public String lastSuccessTimes(JobSpec.Mode mode) {
    return ControlQueries.lastSuccessTimes();
  }

  @Override
  public void bind(PreparedStatement statement) throws SQLException {
    statement.setString(1, job);
  }

  @Override
  public PartitionKey key(ResultSet row) throws SQLException {
    return new PartitionKey(row.getString("source_root"), row.getString("prefix"));
  }

  @Override
  public Instant lastSuccess(ResultSet row) throws SQLException {
    return Dialect.forUrl(connection.url()).getInstant(row, "last_success_time");
  }
}
