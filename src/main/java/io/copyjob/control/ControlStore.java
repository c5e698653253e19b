package io.copyjob.control;

import static io.copyjob.control.Schema.PARTITIONS;
import static io.copyjob.control.Schema.PARTITION_RUNS;

import io.copyjob.spec.JobSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDBC control store: partitions, runs, partition runs, watermarks and leases of every job. The
 * schema is created on first use; every statement is parameterised.
 *
 * <p>One store holds one connection and is not thread-safe: open one per thread (in a DoFn, one per
 * instance in {@code @Setup}). Writes that touch several rows run in one transaction, retried when
 * a concurrent writer inserted the same key first, so two processes sharing the database stay
 * consistent. Errors name the table and the operation, never the password or the URL's properties.
 */
public final class ControlStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlStore.class);

  /** A transaction that lost an insert race is run again this many times in all. */
  private static final int ATTEMPTS = 3;

  private final Connection conn;
  private final Dialect dialect;
  private final Clock clock;
  private final int queryTimeout;
  private final RunTable runs;
  private final LeaseTable leases;
  private final WatermarkTable watermarks;
  private final RoundTable rounds;

  private ControlStore(Connection conn, Dialect dialect, Clock clock, int queryTimeoutSeconds) {
    this.conn = conn;
    this.dialect = dialect;
    this.clock = clock;
    this.queryTimeout = queryTimeoutSeconds;
    this.runs = new RunTable(conn, dialect, queryTimeoutSeconds);
    this.leases = new LeaseTable(conn, dialect, queryTimeoutSeconds);
    this.watermarks = new WatermarkTable(conn, dialect);
    this.rounds = new RoundTable(conn, dialect);
  }

  /** Connects and creates the tables that are missing. */
  public static ControlStore open(JobSpec.ControlSpec spec) throws SQLException {
    return open(spec, Clock.systemUTC());
  }

  /** As {@link #open(JobSpec.ControlSpec)}, stamping {@code recorded_at} from {@code clock}. */
  public static ControlStore open(JobSpec.ControlSpec spec, Clock clock) throws SQLException {
    Dialect dialect = Dialect.forUrl(spec.url());
    Connection conn = Jdbc.connect(spec, "control store");
    ControlStore store = open(conn, dialect, clock);
    LOG.debug("Control store open: {} ({})", Jdbc.redact(spec.url()), dialect);
    return store;
  }

  /**
   * A store on an open connection, whose dialect is given rather than read from the URL (tests run
   * the SQL Server dialect on H2's MSSQLServer mode). The store owns the connection.
   */
  static ControlStore open(Connection conn, Dialect dialect, Clock clock) throws SQLException {
    try {
      conn.setAutoCommit(true);
      Schema.createMissing(conn, dialect);
    } catch (SQLException | RuntimeException e) {
      conn.close();
      throw e;
    }
    return new ControlStore(conn, dialect, clock, 0);
  }

  /** What {@link #holdOpen} returns: closing it lets the database close. */
  public interface Hold extends AutoCloseable {
    @Override
    void close() throws SQLException;
  }

  /**
   * Keeps an embedded (H2) database open until the returned hold is closed; a no-op for a database
   * server. H2 closes a database when its last connection closes, and compacts its file as it does:
   * up to a second each time, and a run opens and closes connections many times (its lease, its
   * start, each worker's bundle, its record). Held across a run, the database closes once. A store
   * that cannot be opened yields a no-op hold: the run itself reports why.
   *
   * <p>Held open, the database also writes each commit to its file at once ({@code WRITE_DELAY 0}):
   * H2 otherwise keeps commits in memory for up to half a second, which closing the database used
   * to flush, so a run killed with -9 lost its last commits (a lease's run, a partition's record).
   */
  public static Hold holdOpen(JobSpec.ControlSpec spec) {
    if (!spec.isEmbedded()) {
      return () -> {};
    }
    try {
      Connection conn = Jdbc.connect(spec, "control store");
      try (Statement st = conn.createStatement()) {
        st.execute("SET WRITE_DELAY 0");
      } catch (SQLException e) {
        // a user without the right to change it: commits keep H2's own delay
      }
      return conn::close;
    } catch (SQLException | RuntimeException e) {
      return () -> {};
    }
  }

  /**
   * A store on a database whose tables exist (a run made them before its pipeline): a worker opens
   * one for each record it writes, and no connection idles between them.
   */
  public static ControlStore openExisting(JobSpec.ControlSpec spec) throws SQLException {
    Connection conn = Jdbc.connect(spec, "control store");
    conn.setAutoCommit(true);
    return new ControlStore(conn, Dialect.forUrl(spec.url()), Clock.systemUTC(), 0);
  }

  /**
   * A store for renewing a lease, whose every step is bounded by {@code timeout}: the connect, the
   * socket reads (drivers that have such settings) and each statement (JDBC's query timeout), so a
   * hung database fails a renewal instead of stalling it. Creates no tables: the run made them.
   */
  public static ControlStore openForLease(JobSpec.ControlSpec spec, Duration timeout)
      throws SQLException {
    Dialect dialect = Dialect.forUrl(spec.url());
    Connection conn = Jdbc.connect(spec, "control store", timeout);
    conn.setAutoCommit(true);
    return new ControlStore(
        conn, dialect, Clock.systemUTC(), (int) Math.max(1, timeout.toSeconds()));
  }

  /**
   * A connect error naming the redacted URL. A driver message that repeats the full URL (which may
   * carry credentials) or the password is rewritten, and its cause dropped with it.
   */
  public Dialect dialect() {
    return dialect;
  }

  /** Inserts the partitions not yet in the table as PENDING; existing ones are left as they are. */
  public int addPartitions(String job, List<PartitionKey> keys) throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    Set<PartitionKey> wanted = new LinkedHashSet<>(keys);
    for (PartitionKey k : wanted) {
      checkKey(k);
    }
    return inTransaction(
        PARTITIONS,
        "add partitions",
        () -> {
          Set<String> present = new HashSet<>();
          try (PreparedStatement ps =
              conn.prepareStatement("SELECT key_hash FROM " + PARTITIONS + " WHERE job = ?")) {
            ps.setString(1, job);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                present.add(rs.getString(1));
              }
            }
          }
          int inserted = 0;
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO "
                      + PARTITIONS
                      + " (job, key_hash, source_root, prefix, status, files, bytes)"
                      + " VALUES (?, ?, ?, ?, ?, 0, 0)")) {
            for (PartitionKey k : wanted) {
              String hash = hash(k);
              if (present.contains(hash)) {
                continue;
              }
              ps.setString(1, job);
              ps.setString(2, hash);
              ps.setString(3, k.root());
              ps.setString(4, k.prefix());
              ps.setString(5, PartitionStatus.PENDING.name());
              ps.addBatch();
              inserted++;
            }
            if (inserted > 0) {
              ps.executeBatch();
            }
          }
          return inserted;
        });
  }

  /** Every partition of the job, ordered by root then prefix. */
  public List<PartitionState> partitions(String job) throws SQLException {
    String sql =
        "SELECT source_root, prefix, status, last_run_time, last_success_time, files, bytes, error"
            + " FROM "
            + PARTITIONS
            + " WHERE job = ? ORDER BY source_root, prefix";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, job);
      List<PartitionState> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new PartitionState(
                  new PartitionKey(rs.getString("source_root"), rs.getString("prefix")),
                  PartitionStatus.valueOf(rs.getString("status")),
                  dialect.getInstant(rs, "last_run_time"),
                  dialect.getInstant(rs, "last_success_time"),
                  rs.getLong("files"),
                  rs.getLong("bytes"),
                  rs.getString("error")));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Jdbc.wrap(PARTITIONS, "read partitions", e);
    }
  }

  /**
   * Marks the given partitions (all of the job's when empty) PENDING and clears their error;
   * returns how many. A prefix matches exactly, under every root of the job. The last success time
   * is kept: it is the delta watermark, and a reset asks for a full copy, not a new window.
   */
  public int resetPartitions(String job, List<String> prefixes) throws SQLException {
    String sql = "UPDATE " + PARTITIONS + " SET status = ?, error = NULL WHERE job = ?";
    return inTransaction(
        PARTITIONS,
        "reset partitions",
        () -> {
          if (prefixes.isEmpty()) {
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
              ps.setString(1, PartitionStatus.PENDING.name());
              ps.setString(2, job);
              return ps.executeUpdate();
            }
          }
          int count = 0;
          try (PreparedStatement ps = conn.prepareStatement(sql + " AND prefix = ?")) {
            for (String prefix : new LinkedHashSet<>(prefixes)) {
              ps.setString(1, PartitionStatus.PENDING.name());
              ps.setString(2, job);
              ps.setString(3, prefix);
              count += ps.executeUpdate();
            }
          }
          return count;
        });
  }

  /** Inserts a RUNNING run, numbered one past the job's last, and returns its id. */
  public long startRun(
      String job, Instant startedAt, String mode, String runner, String settingsJson)
      throws SQLException {
    return inTransaction(
        Schema.RUNS, "start run", () -> runs.start(job, startedAt, mode, runner, settingsJson));
  }

  /**
   * As {@link #startRun(String, Instant, String, String, String)}, and in the same transaction
   * names the run on the job's lease, which {@code leaseOwner} must hold: from the first moment the
   * run exists, whoever reads the lease sees which run holds it.
   *
   * @throws LeaseLostException when the lease is no longer {@code leaseOwner}'s (nothing written)
   */
  public long startRun(
      String job,
      String leaseOwner,
      Instant startedAt,
      String mode,
      String runner,
      String settingsJson)
      throws SQLException {
    return inTransaction(
        Schema.RUNS + ", " + Schema.LEASES,
        "start run",
        () -> {
          long runId = runs.start(job, startedAt, mode, runner, settingsJson);
          if (!leases.setRun(job, leaseOwner, runId)) {
            throw new LeaseLostException(
                "job '" + job + "': the lease was lost before the run started");
          }
          return runId;
        });
  }

  /** Records a scheduled time at which no run started (a SKIPPED run), with why. */
  public long recordSkipped(String job, Instant at, String runner, String why) throws SQLException {
    return inTransaction(
        Schema.RUNS,
        "record a skipped run",
        () -> {
          long runId = runs.start(job, at, "scheduled", runner, null);
          runs.finish(runId, RunStatus.SKIPPED, RunTotals.ZERO, at, why);
          return runId;
        });
  }

  /**
   * Sets a RUNNING run's end, status, totals and error (null when none). The first outcome wins: a
   * run already ended is left as it is (and a warning says which outcome stays); false then.
   */
  public boolean finishRun(
      long runId, RunStatus status, RunTotals totals, Instant endedAt, String error)
      throws SQLException {
    return runs.finish(runId, status, totals, endedAt, error);
  }

  /** The run with this id (the internal key). */
  public Optional<RunRecord> run(long runId) throws SQLException {
    return runs.read(runId);
  }

  /** The job's run with this number (1 for its first). */
  public Optional<RunRecord> run(String job, long runNumber) throws SQLException {
    return runs.readNumber(job, runNumber);
  }

  /**
   * Marks ABANDONED the job's RUNNING runs whose lease is gone or expired by the database's clock
   * (their process was killed), each ended when it was last seen alive; returns their ids.
   */
  public List<Long> abandonDeadRuns(String job) throws SQLException {
    return runs.abandon(job, databaseNow());
  }

  /** The control database's clock: what leases expire by. */
  public Instant databaseNow() throws SQLException {
    try {
      return dialect.now(conn, queryTimeout);
    } catch (SQLException e) {
      throw Jdbc.wrap("control store", "read the database's clock", e);
    }
  }

  /**
   * The newest run of each job the store has runs of (at most {@code limit} jobs), newest first.
   */
  public List<RunRecord> lastRuns(int limit) throws SQLException {
    return runs.lastRuns(limit);
  }

  /** How many runs each job has of each status: job -> status -> count. */
  public java.util.Map<String, java.util.Map<RunStatus, Long>> runCounts() throws SQLException {
    return runs.countsByStatus();
  }

  /** When each job's last successful run ended, by job. */
  public Map<String, Instant> lastSuccesses() throws SQLException {
    return runs.lastSuccesses();
  }

  /** When a run was last seen alive by its lease's keepers (its start, when never since). */
  public Optional<Instant> lastSeen(long runId) throws SQLException {
    return runs.lastSeen(runId);
  }

  /** The progress table: what the workers of running (and past) runs reported. */
  public ProgressTable progress() {
    return new ProgressTable(conn, dialect, queryTimeout);
  }

  /** The job's last {@code limit} runs, newest first. */
  public List<RunRecord> history(String job, int limit) throws SQLException {
    return runs.history(job, limit);
  }

  /**
   * In one transaction: the partition_runs row of this run (replaced if it exists, so a retried
   * bundle writes it once) and the partition's row (status, last run time, last success time when
   * it succeeded, counts, error).
   */
  public void recordPartitionResult(long runId, String job, Instant runTime, PartitionResult result)
      throws SQLException {
    recordPartitionResults(runId, job, runTime, List.of(result));
  }

  /**
   * As {@link #recordPartitionResult} for each of {@code results}, all in one transaction: a run of
   * thousands of partitions commits once per batch, not once per partition, and a batch is recorded
   * whole or not at all.
   */
  public void recordPartitionResults(
      long runId, String job, Instant runTime, List<PartitionResult> results) throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    results.forEach(result -> checkKey(result.key()));
    Instant recordedAt = clock.instant();
    inTransaction(
        PARTITION_RUNS + ", " + PARTITIONS,
        "record partition result of run " + runId,
        () -> {
          for (PartitionResult result : results) {
            PartitionRows.replacePartitionRun(
                conn, dialect, runId, job, hash(result.key()), runTime, result, recordedAt);
            PartitionRows.updatePartition(
                conn, dialect, runId, job, hash(result.key()), runTime, result);
            WatermarkChange w = result.table() == null ? null : result.table().watermark();
            if (w != null) {
              recordWatermark(runId, job, result, w, recordedAt);
            }
          }
          return null;
        });
  }

  /**
   * Adds files to the run's manifest, in one transaction and one batch. Keys longer than the column
   * (4000 characters) are cut, which no S3 or Azure key reaches.
   */
  public void recordFiles(long runId, String job, List<FileRecord> files) throws SQLException {
    if (files.isEmpty()) {
      return;
    }
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    Instant recordedAt = clock.instant();
    String sql =
        "INSERT INTO "
            + Schema.FILES
            + " (run_id, job, prefix, source_key, sink_key, size, bytes_written, md5, outcome,"
            + " error, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    inTransaction(
        Schema.FILES,
        "record the files of run " + runId,
        () -> {
          try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (FileRecord f : files) {
              ps.setLong(1, runId);
              ps.setString(2, job);
              ps.setString(3, Jdbc.truncate(f.prefix(), Schema.PREFIX_LENGTH));
              ps.setString(4, Jdbc.truncate(f.sourceKey(), Schema.KEY_LENGTH));
              ps.setString(5, Jdbc.truncate(f.sinkKey(), Schema.KEY_LENGTH));
              if (f.size() < 0) {
                ps.setNull(6, java.sql.Types.BIGINT);
              } else {
                ps.setLong(6, f.size());
              }
              ps.setLong(7, f.bytesWritten());
              ps.setString(8, Jdbc.truncate(f.md5(), Schema.MD5_LENGTH));
              ps.setString(9, f.outcome());
              ps.setString(10, Jdbc.truncate(f.error(), Schema.ERROR_LENGTH));
              dialect.setInstant(ps, 11, recordedAt);
              ps.addBatch();
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  /**
   * The run's manifest, by source key; a file recorded twice (a bundle executed again) once, as
   * last recorded. {@code failedOnly}: only the files that failed, read without holding the run's
   * other files (a run of millions of files with a few failures reads the few).
   */
  public List<FileRecord> files(long runId, boolean failedOnly) throws SQLException {
    String columns =
        "SELECT file_id, prefix, source_key, sink_key, size, bytes_written, md5, outcome, error FROM "
            + Schema.FILES;
    java.util.Map<String, FileRecord> last = new java.util.TreeMap<>();
    java.util.Map<String, Long> lastId = new java.util.HashMap<>();
    try {
      try (PreparedStatement ps =
          conn.prepareStatement(
              columns
                  + " WHERE run_id = ?"
                  + (failedOnly ? " AND outcome = 'FAILED'" : "")
                  + " ORDER BY file_id")) {
        ps.setLong(1, runId);
        ps.setFetchSize(1000);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            FileRecord f = fileRecord(rs);
            String key = f.prefix() + '\u0000' + f.sourceKey();
            last.put(key, f);
            lastId.put(key, rs.getLong("file_id"));
          }
        }
      }
      if (failedOnly && !last.isEmpty()) {
        // A file that failed and then copied in a bundle executed again did not fail: drop the
        // failures recorded again later with another outcome.
        long firstFailure = java.util.Collections.min(lastId.values());
        try (PreparedStatement ps =
            conn.prepareStatement(
                "SELECT file_id, prefix, source_key FROM "
                    + Schema.FILES
                    + " WHERE run_id = ? AND file_id > ? AND outcome <> 'FAILED'")) {
          ps.setLong(1, runId);
          ps.setLong(2, firstFailure);
          ps.setFetchSize(1000);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String key = rs.getString("prefix") + '\u0000' + rs.getString("source_key");
              Long failedAt = lastId.get(key);
              if (failedAt != null && rs.getLong("file_id") > failedAt) {
                last.remove(key);
              }
            }
          }
        }
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(Schema.FILES, "read the files of run " + runId, e);
    }
    return List.copyOf(last.values());
  }

  private static FileRecord fileRecord(ResultSet rs) throws SQLException {
    long size = rs.getLong("size");
    if (rs.wasNull()) {
      size = -1;
    }
    return new FileRecord(
        rs.getString("prefix"),
        rs.getString("source_key"),
        rs.getString("sink_key"),
        size,
        rs.getLong("bytes_written"),
        rs.getString("md5"),
        rs.getString("outcome"),
        rs.getString("error"));
  }

  /**
   * Whether this run already recorded the partition as succeeded: a pipeline executed again after a
   * failover must not record it again (its watermark is now this run's, so its window would be
   * empty and its real counts overwritten with zeros).
   */
  public boolean succeededInRun(long runId, PartitionKey key) throws SQLException {
    String sql = "SELECT succeeded FROM " + PARTITION_RUNS + " WHERE run_id = ? AND key_hash = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setLong(1, runId);
      ps.setString(2, hash(key));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(PARTITION_RUNS, "read partition run of run " + runId, e);
    }
  }

  /**
   * The id of the last run that recorded the partition as succeeded, or 0 when none did: a tabular
   * rerun of a failed table ({@code run --only-failed}) goes on with the load the runs after it
   * began.
   */
  public long lastSucceededRun(String job, PartitionKey key) throws SQLException {
    String sql =
        "SELECT MAX(run_id) FROM "
            + PARTITION_RUNS
            + " WHERE job = ? AND key_hash = ? AND succeeded = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, job);
      ps.setString(2, hash(key));
      ps.setBoolean(3, true);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    } catch (SQLException e) {
      throw Jdbc.wrap(PARTITION_RUNS, "read the last success of " + key.prefix(), e);
    }
  }

  /**
   * How many files (copied or verified) the partition's last run before {@code runId} had; -1 when
   * the partition was never recorded, or {@code runId} already recorded it.
   */
  public long filesOfLastRun(String job, PartitionKey key, long runId) throws SQLException {
    try {
      return PartitionRows.filesOfLastRun(conn, job, hash(key), runId);
    } catch (SQLException e) {
      throw Jdbc.wrap(PARTITIONS, "read partition " + key.id(), e);
    }
  }

  public List<PartitionRunRecord> partitionRuns(long runId) throws SQLException {
    try {
      return PartitionRows.partitionRuns(conn, dialect, runId);
    } catch (SQLException e) {
      throw Jdbc.wrap(PARTITION_RUNS, "read partition runs of run " + runId, e);
    }
  }

  /** Last success time per partition ({@link PartitionKey#id()}), for those that have one. */
  public Map<String, Instant> lastSuccessTimes(String job) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(ControlQueries.lastSuccessTimes())) {
      ps.setString(1, job);
      Map<String, Instant> out = new LinkedHashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          PartitionKey key = new PartitionKey(rs.getString("source_root"), rs.getString("prefix"));
          out.put(key.id(), dialect.getInstant(rs, "last_success_time"));
        }
      }
      return out;
    } catch (SQLException e) {
      throw Jdbc.wrap(PARTITIONS, "read last success times", e);
    }
  }

  /**
   * Takes the job's lease for {@code owner} for {@code ttl} from now, by the database's clock:
   * succeeds when no lease exists, the existing one has expired, or it is this owner's.
   */
  public boolean acquireLease(String job, String owner, Duration ttl) throws SQLException {
    return leases.acquire(job, owner, databaseNow(), ttl);
  }

  /** As {@link #acquireLease(String, String, Duration)} at a given {@code now} (tests). */
  boolean acquireLease(String job, String owner, Instant now, Duration ttl) throws SQLException {
    return leases.acquire(job, owner, now, ttl);
  }

  /**
   * Extends the owner's lease for {@code ttl} from now by the database's clock, and notes its run
   * (when given) alive now; false when the lease is no longer this owner's (released, or expired
   * before this renewal: an expired lease is lost even when no one took it yet).
   */
  public boolean renewLease(String job, String owner, Long runId, Duration ttl)
      throws SQLException {
    Instant now = databaseNow();
    if (!leases.renew(job, owner, now, ttl)) {
      return false;
    }
    if (runId != null) {
      runs.seen(runId, now);
    }
    return true;
  }

  /** As {@link #renewLease(String, String, Long, Duration)} at a given {@code now} (tests). */
  boolean renewLease(String job, String owner, Instant now, Duration ttl) throws SQLException {
    return leases.renew(job, owner, now, ttl);
  }

  /** Notes on the owner's lease which run holds it; false when the lease is not this owner's. */
  public boolean setLeaseRun(String job, String owner, long runId) throws SQLException {
    return leases.setRun(job, owner, runId);
  }

  /** The job's lease, expired or not, or empty when there is none. */
  public Optional<Lease> lease(String job) throws SQLException {
    return leases.read(job);
  }

  /** Deletes the job's lease if it is {@code owner}'s; another owner's lease is left alone. */
  public void releaseLease(String job, String owner) throws SQLException {
    leases.release(job, owner);
  }

  /**
   * An incremental table's watermark in its run's row, and, when its write succeeded and the mark
   * moved, as the table's watermark (keyed by the table's name and column): in the transaction that
   * records the table's result, so the two never disagree.
   */
  private void recordWatermark(
      long runId, String job, PartitionResult result, WatermarkChange w, Instant recordedAt)
      throws SQLException {
    WatermarkChange recorded =
        new WatermarkChange(
            w.column(), w.before(), result.succeeded() ? w.after() : w.before(), w.nullRows());
    recordWatermark(
        runId, job, result.key(), recorded, result.succeeded() && w.moves(), recordedAt);
  }

  /**
   * Writes {@code w} in the run's row of the partition; and when {@code store}, its {@code after}
   * as the table's watermark.
   */
  private void recordWatermark(
      long runId,
      String job,
      PartitionKey key,
      WatermarkChange w,
      boolean store,
      Instant recordedAt)
      throws SQLException {
    String after = w.after();
    try (PreparedStatement ps =
        conn.prepareStatement(
            "UPDATE "
                + PARTITION_RUNS
                + " SET watermark_before = ?, watermark_after = ? WHERE run_id = ? AND key_hash = ?")) {
      ps.setString(1, w.before());
      ps.setString(2, after);
      ps.setLong(3, runId);
      ps.setString(4, hash(key));
      ps.executeUpdate();
    }
    if (store) {
      watermarks.put(job, key.prefix(), w.column(), w.after(), recordedAt);
    }
  }

  /** Deletes the watermarks of the job's tables named (all when empty): their next run is full. */
  public int deleteWatermarks(String job, List<String> tables) throws SQLException {
    return inTransaction(
        Schema.WATERMARKS,
        "delete watermarks",
        () -> {
          String sql = "DELETE FROM " + Schema.WATERMARKS + " WHERE job = ?";
          if (tables.isEmpty()) {
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
              ps.setString(1, job);
              return ps.executeUpdate();
            }
          }
          int count = 0;
          try (PreparedStatement ps = conn.prepareStatement(sql + " AND table_name = ?")) {
            for (String table : new LinkedHashSet<>(tables)) {
              ps.setString(1, job);
              ps.setString(2, table);
              count += ps.executeUpdate();
            }
          }
          return count;
        });
  }

  /** The watermark of a table's column for the job (tabular delta copy), or empty. */
  public Optional<String> watermark(String job, String table, String column) throws SQLException {
    return watermarks.read(job, table, column);
  }

  /** Sets the watermark of a table's column for the job, replacing the previous one. */
  public void putWatermark(String job, String table, String column, String value, Instant updatedAt)
      throws SQLException {
    inTransaction(
        Schema.WATERMARKS,
        "put watermark",
        () -> {
          watermarks.put(job, table, column, value, updatedAt);
          return null;
        });
  }

  /**
   * Starts round {@code round} of a continuous run, in one transaction, for each partition planned
   * (a RUNNING {@link RoundRecord} with its window) and returns the rounds to run. A partition
   * whose earlier round still runs gets a SKIPPED row naming it instead: rounds never overlap
   * within a partition. A partition that has a row of this round already (its tick delivered again
   * after a runner's failover) runs it again with the window it had when that row is RUNNING, and
   * not at all when it ended.
   */
  public List<RoundRecord> startRound(long runId, String job, long round, List<RoundRecord> planned)
      throws SQLException {
    return inTransaction(
        Schema.ROUNDS,
        "start round " + round + " of run " + runId,
        () -> {
          Map<String, RoundRecord> current = rounds.current(runId, round);
          java.util.List<RoundRecord> toRun = new java.util.ArrayList<>();
          for (RoundRecord p : planned) {
            checkKey(p.key());
            String hash = hash(p.key());
            RoundRecord seen = current.get(hash);
            if (seen != null && seen.round() == round) {
              if (seen.status() == RoundStatus.RUNNING) {
                toRun.add(seen);
              }
            } else if (seen != null) {
              rounds.insert(
                  job,
                  hash,
                  RoundRecord.planned(
                      runId,
                      round,
                      p.key(),
                      RoundStatus.SKIPPED,
                      p.startedAt(),
                      null,
                      null,
                      "round " + seen.round() + " was still going"));
            } else {
              rounds.insert(job, hash, p);
              toRun.add(p);
            }
          }
          return toRun;
        });
  }

  /**
   * Records a partition's round in one transaction, as {@link #recordPartitionResult} records a
   * batch run's partition: the round's row, the run's partition_runs row (the sums over its rounds)
   * and the partition's row with its watermark. False, and nothing written, when the round is no
   * longer RUNNING: recorded already, or abandoned because the run stopped.
   */
  public boolean recordRound(
      long runId, String job, Instant runTime, long round, PartitionResult result)
      throws SQLException {
    Jdbc.checkLength("job", job, Schema.JOB_LENGTH);
    checkKey(result.key());
    Instant recordedAt = clock.instant();
    return inTransaction(
        Schema.ROUNDS + ", " + PARTITION_RUNS + ", " + PARTITIONS,
        "record round " + round + " of run " + runId,
        () -> {
          String hash = hash(result.key());
          if (!rounds.finish(runId, round, hash, result, recordedAt)) {
            return false;
          }
          PartitionResult sums = rounds.sumWithRun(runId, hash, result);
          PartitionRows.replacePartitionRun(
              conn, dialect, runId, job, hash, runTime, sums, recordedAt);
          PartitionRows.updatePartition(conn, dialect, runId, job, hash, runTime, result);
          WatermarkChange w = result.table() == null ? null : result.table().watermark();
          if (w != null) {
            // The run's row: from the first round's watermark to where this round leaves it.
            WatermarkChange run =
                new WatermarkChange(
                    w.column(),
                    sums.table().watermark().before(),
                    result.succeeded() ? w.after() : w.before(),
                    w.nullRows());
            recordWatermark(
                runId, job, result.key(), run, result.succeeded() && w.moves(), recordedAt);
          }
          return true;
        });
  }

  /** Ends the run's rounds in flight as ABANDONED with {@code why}; returns how many. */
  public int abandonRounds(long runId, String why) throws SQLException {
    Instant at = clock.instant();
    return inTransaction(
        Schema.ROUNDS, "abandon the rounds of run " + runId, () -> rounds.abandon(runId, at, why));
  }

  /**
   * Ends as ABANDONED the rounds left RUNNING by the job's runs that have ended (a killed run's,
   * once it is marked ABANDONED); returns how many.
   */
  public int abandonOrphanRounds(String job) throws SQLException {
    int count = 0;
    for (long runId : rounds.runsWithOrphanRounds(job)) {
      count += abandonRounds(runId, "the run ended with the round in flight");
    }
    return count;
  }

  /**
   * The run's rounds numbered {@code round} that are still RUNNING: after a runner's failover their
   * tick is delivered again, late, and they are run again with the windows they had.
   */
  public List<RoundRecord> runningRounds(long runId, long round) throws SQLException {
    return rounds(runId).stream()
        .filter(r -> r.round() == round && r.status() == RoundStatus.RUNNING)
        .toList();
  }

  /** A continuous run's rounds, by round, root and prefix; empty for another run. */
  public List<RoundRecord> rounds(long runId) throws SQLException {
    try {
      return rounds.rounds(runId);
    } catch (SQLException e) {
      throw Jdbc.wrap(Schema.ROUNDS, "read the rounds of run " + runId, e);
    }
  }

  @Override
  public void close() throws SQLException {
    conn.close();
  }

  /** The {@code key_hash} of a partition: SHA-256 of its id, in lower-case hex. */
  static String hash(PartitionKey key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(key.id().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static void checkKey(PartitionKey key) {
    Jdbc.checkLength("partition root", key.root(), Schema.ROOT_LENGTH);
    Jdbc.checkLength("partition prefix", key.prefix(), Schema.PREFIX_LENGTH);
  }

  private interface Work<T> {
    T run() throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction. A unique-key violation means a concurrent writer inserted
   * the same row first; the work is run again, and then sees that row and updates it.
   */
  private <T> T inTransaction(String table, String operation, Work<T> work) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      conn.setAutoCommit(false);
      try {
        T result = work.run();
        conn.commit();
        return result;
      } catch (SQLException e) {
        rollback(e);
        if (attempt < ATTEMPTS && Jdbc.isUniqueViolation(e)) {
          continue;
        }
        throw Jdbc.wrap(table, operation, e);
      } catch (RuntimeException | Error e) {
        rollback(e);
        throw e;
      } finally {
        conn.setAutoCommit(true);
      }
    }
  }

  private void rollback(Throwable cause) {
    try {
      conn.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
