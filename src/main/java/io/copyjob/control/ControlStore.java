package io.copyjob.control;

import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JDBC control store: partitions, runs, partition runs, watermarks and leases of every job. The
 * schema is created on first use; every statement is parameterised.
 */
public final class ControlStore implements AutoCloseable {

  /** Connects and creates the tables that are missing. */
  public static ControlStore open(JobSpec.ControlSpec spec) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Inserts the partitions not yet in the table as PENDING; existing ones are left as they are. */
  public int addPartitions(String job, List<PartitionKey> keys) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Every partition of the job, ordered by root then prefix. */
  public List<PartitionState> partitions(String job) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Marks the given partitions (all of the job's when empty) PENDING; returns how many. */
  public int resetPartitions(String job, List<String> prefixes) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Inserts a RUNNING run and returns its id. */
  public long startRun(
      String job, Instant startedAt, String mode, String runner, String settingsJson)
      throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Sets a run's end, status, totals and error (null when none). */
  public void finishRun(
      long runId, RunStatus status, RunTotals totals, Instant endedAt, String error)
      throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  public Optional<RunRecord> run(long runId) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /** The job's last {@code limit} runs, newest first. */
  public List<RunRecord> history(String job, int limit) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * In one transaction: the partition_runs row of this run (replaced if it exists, so a retried
   * bundle writes it once) and the partition's row (status, last run time, last success time when
   * it succeeded, counts, error).
   */
  public void recordPartitionResult(long runId, String job, Instant runTime, PartitionResult result)
      throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  public List<PartitionRunRecord> partitionRuns(long runId) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Last success time per partition ({@link PartitionKey#id()}), for those that have one. */
  public Map<String, Instant> lastSuccessTimes(String job) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Takes the job's lease for {@code owner} until {@code now + ttl}: succeeds when no lease exists,
   * the existing one has expired, or it is this owner's.
   */
  public boolean acquireLease(String job, String owner, Instant now, Duration ttl)
      throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  public void releaseLease(String job, String owner) throws SQLException {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public void close() throws SQLException {}
}
