package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.FileRecord;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.FluentBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the file results of a bundle and writes them to the run's manifest ({@code
 * copyjob_files}), {@value #BATCH} files a transaction, on a connection of its own per write. Not
 * thread-safe: one per DoFn instance, used from its own thread. Results that are not about a file
 * (a partition's listing) are not written.
 *
 * <p>The caller flushes before its bundle completes, so a bundle that completed has its files in
 * the manifest: a manifest that cannot be written fails the bundle, and so the run, with a message
 * naming the table.
 */
final class ManifestWriter {
  /** Files per manifest write: one round trip and one transaction each. */
  static final int BATCH = 1000;

  private static final Logger LOG = LoggerFactory.getLogger(ManifestWriter.class);

  /** About a minute of tries: long enough for a failover, short of hiding a dead store. */
  static final FluentBackoff BACKOFF =
      FluentBackoff.DEFAULT
          .withInitialBackoff(org.joda.time.Duration.millis(200))
          .withMaxBackoff(org.joda.time.Duration.standardSeconds(10))
          .withMaxCumulativeBackoff(org.joda.time.Duration.standardSeconds(60));

  /**
   * Errors of a statement that fail the same way on any connection (SQL Server's SQLStates, where
   * its driver does not use the standard classes): a missing table or column, a refused row.
   */
  private static final Set<String> PERMANENT_CLASSES = Set.of("21", "22", "23", "42");

  private final JobSpec spec;
  private final RunContext run;
  private final LeaseKeeper lease;
  private final FluentBackoff backoff;
  private final List<FileRecord> pending = new ArrayList<>();

  ManifestWriter(JobSpec spec, RunContext run, LeaseKeeper lease) {
    this(spec, run, lease, BACKOFF);
  }

  ManifestWriter(JobSpec spec, RunContext run, LeaseKeeper lease, FluentBackoff backoff) {
    this.spec = spec;
    this.run = run;
    this.lease = lease;
    this.backoff = backoff;
  }

  /** Adds a result; writes a batch when {@value #BATCH} are pending. */
  void add(FileResult r) throws SQLException {
    if (r.key() == null) {
      return;
    }
    pending.add(
        new FileRecord(
            r.partition().prefix(),
            r.key(),
            r.sinkKey(),
            r.size(),
            r.bytes(),
            r.md5(),
            r.outcome().name(),
            r.error()));
    if (pending.size() >= BATCH) {
      flush();
    }
  }

  /** Writes what is pending; returns when it is committed. */
  void flush() throws SQLException {
    if (pending.isEmpty()) {
      return;
    }
    lease.check(); // a run that lost its lease writes nothing more
    // A fresh connection per try: a cloud gateway or a database restart kills connections, and
    // rows written twice by a retried write count once (readers keep a file's last row).
    BackOff tries = backoff.backoff();
    while (true) {
      try (ControlStore control = ControlStore.openExisting(spec.control())) {
        control.recordFiles(run.runId(), spec.name(), pending);
        pending.clear();
        return;
      } catch (SQLException e) {
        long wait = retryable(e) ? nextWait(tries) : BackOff.STOP;
        if (wait == BackOff.STOP) {
          // Not as the cause but suppressed: a failed run reports its innermost cause, and this
          // message is the one that says what was being written.
          SQLException failed =
              new SQLException(
                  "writing "
                      + pending.size()
                      + " files to the run's manifest failed: "
                      + e.getMessage(),
                  e.getSQLState(),
                  e.getErrorCode());
          failed.addSuppressed(e);
          throw failed;
        }
        LOG.warn(
            "writing {} files of run id {} to the manifest failed ({}); trying again in {} ms",
            pending.size(),
            run.runId(),
            e.getMessage(),
            wait);
        sleep(wait);
        lease.check();
      }
    }
  }

  /**
   * Whether another connection may succeed: anything but an error the statement itself causes (a
   * missing table, a refused row), which would only be repeated for a minute before failing alike.
   */
  static boolean retryable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
    }
    String state = e.getSQLState();
    return state == null
        || state.length() < 2
        || !PERMANENT_CLASSES.contains(state.substring(0, 2));
  }

  private static long nextWait(BackOff backoff) {
    try {
      return backoff.nextBackOffMillis();
    } catch (IOException e) {
      return BackOff.STOP;
    }
  }

  private static void sleep(long millis) throws SQLException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while writing the manifest", e);
    }
  }
}
