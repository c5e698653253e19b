package io.copyjob.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.copyjob.spec.JobSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The control store's contract, run against every database. A subclass supplies a fresh, empty
 * database (or schema) per test: {@link #openStore()} and {@link #connect()} both reach it.
 */
public abstract class ControlStoreContractTest {
  static final String JOB = "job-a";
  static final String ROOT = "s3://bucket-one/";
  static final String ROOT2 = "s3://bucket-two/";
  static final Instant T1 = Instant.parse("2024-05-01T10:00:00.123456Z");
  static final Instant T2 = Instant.parse("2024-05-02T10:00:00.5Z");
  static final Instant T3 = Instant.parse("2024-05-03T10:00:00Z");

  /** A store on the test's database; the schema is created when missing. */
  protected abstract ControlStore openStore() throws Exception;

  /** A plain JDBC connection to the same database (and schema). */
  protected abstract Connection connect() throws Exception;

  private ControlStore store;

  @Before
  public void openTheStore() throws Exception {
    store = openStore();
  }

  @After
  public void closeTheStore() throws Exception {
    if (store != null) {
      store.close();
    }
  }

  static PartitionKey key(String prefix) {
    return new PartitionKey(ROOT, prefix);
  }

  /** A full-mode success: its window is unbounded, so the run's time is its watermark. */
  static PartitionResult ok(PartitionKey key, long copied, long skipped, long bytes) {
    return new PartitionResult(key, copied, skipped, 0, bytes, null, null, null);
  }

  static PartitionResult failed(PartitionKey key, long copied, long failed, String error) {
    return new PartitionResult(key, copied, 0, failed, 10, error, T1, T2);
  }

  static ProgressRecord progress(
      PartitionKey key, ProgressState state, long copied, long bytes, Long firstByte, long peak) {
    return new ProgressRecord(
        key, state, 10, 1000, copied, 1, 0, bytes, 0, 5, 70, 20, 3, firstByte, peak, 2, null);
  }

  @Test
  public void progressRowsOfSeveralWorkersAreRewrittenAndSummedPerPartition() throws Exception {
    long run = store.startRun(JOB, T1, "full", "direct", "{}");
    ProgressTable table = store.progress();
    table.write(
        run,
        JOB,
        "host-1:1:x",
        List.of(
            progress(key("a"), ProgressState.LISTING, 1, 100, null, 1),
            progress(ProgressRecord.RUN, null, 0, 0, null, 4)));
    // The same worker again: its rows are rewritten, not added to.
    Instant written =
        table.write(
            run,
            JOB,
            "host-1:1:x",
            List.of(
                progress(key("a"), ProgressState.COPYING, 3, 300, 50L, 2),
                progress(ProgressRecord.RUN, null, 0, 0, null, 4)));
    table.write(
        run,
        JOB,
        "host-2:2:y",
        List.of(
            progress(key("a"), ProgressState.DONE, 4, 400, 20L, 3),
            progress(key("b"), ProgressState.COPYING, 1, 10, null, 1)));

    RunProgress read = table.read(run);
    assertThat(read.partitions())
        .extracting(ProgressRecord::key)
        .containsExactly(key("a"), key("b"));
    ProgressRecord a = read.of(key("a"));
    assertThat(a.state()).isEqualTo(ProgressState.DONE); // the furthest worker's
    assertThat(a.filesCopied()).isEqualTo(7);
    assertThat(a.bytes()).isEqualTo(700);
    assertThat(a.readingMillis()).isEqualTo(140);
    assertThat(a.firstByteMillis()).isEqualTo(20L); // the earliest
    assertThat(a.heartbeat()).isNotNull();
    assertThat(read.workers().peakInFlight()).isEqualTo(4);
    assertThat(read.total().throttled()).isEqualTo(8); // two per row
    assertThat(read.lastHeartbeat().orElseThrow()).isAfterOrEqualTo(written);
    assertThat(read.of(key("c")).state()).isEqualTo(ProgressState.QUEUED);
  }

  /**
   * Each batch writes one point of the worker's totals, finished partitions included; a worker
   * keeps its last {@link ProgressTable#HISTORY_SLOTS} points, so a run's history stays bounded.
   */
  @Test
  public void eachBatchWritesOnePointOfTheWorkersTotalsInABoundedRing() throws Exception {
    long run = store.startRun(JOB, T1, "full", "direct", "{}");
    long other = store.startRun(JOB + "-other", T1, "full", "direct", "{}");
    ProgressTable table = store.progress();
    ProgressRecord totals = progress(ProgressRecord.RUN, null, 3, 300, null, 0);
    Instant first = table.write(run, JOB, "w1", List.of(), 0, totals);
    table.write(run, JOB, "w2", List.of(), 0, progress(ProgressRecord.RUN, null, 1, 10, null, 0));
    table.write(other, JOB + "-other", "w1", List.of(), 0, totals);
    for (int batch = 1; batch <= ProgressTable.HISTORY_SLOTS; batch++) {
      table.write(
          run,
          JOB,
          "w1",
          List.of(),
          batch,
          progress(ProgressRecord.RUN, null, 3, 300 + batch, null, 0));
    }

    List<ProgressPoint> history = table.history(run);
    assertThat(history).hasSize(ProgressTable.HISTORY_SLOTS + 1);
    List<ProgressPoint> w1 = history.stream().filter(p -> p.worker().equals("w1")).toList();
    assertThat(w1).hasSize(ProgressTable.HISTORY_SLOTS);
    // Batch 0 was overwritten by the last one: batches 1 to the last are kept, oldest first.
    assertThat(w1.stream().map(ProgressPoint::bytes).sorted().toList())
        .isEqualTo(
            java.util.stream.LongStream.rangeClosed(301, 300 + ProgressTable.HISTORY_SLOTS)
                .boxed()
                .toList());
    assertThat(w1).extracting(ProgressPoint::at).isSorted().allMatch(at -> !at.isBefore(first));
    assertThat(w1.get(0).files()).isEqualTo(4); // copied 3 + skipped 1
    ProgressPoint w2 = history.stream().filter(p -> p.worker().equals("w2")).findFirst().get();
    assertThat(w2.bytes()).isEqualTo(10);
    assertThat(table.history(other)).hasSize(1);
    assertThat(table.history(run + other + 1)).isEmpty();
  }

  @Test
  public void openingAgainKeepsTablesAndRows() throws Exception {
    store.addPartitions(JOB, List.of(key("a")));
    store.close();
    store = openStore();
    try (ControlStore again = openStore()) {
      assertThat(again.partitions(JOB)).extracting(PartitionState::key).containsExactly(key("a"));
    }
    try (Connection c = connect()) {
      for (String table : Schema.TABLES) {
        assertThat(Schema.exists(c, table)).as(table).isTrue();
      }
    }
  }

  @Test
  public void openingConcurrentlyCreatesTheSchemaOnce() throws Exception {
    store.close();
    try (Connection c = connect();
        var st = c.createStatement()) {
      for (String table : Schema.TABLES) {
        st.execute("DROP TABLE " + table);
      }
    }
    List<ControlStore> opened =
        race(
            4,
            i -> {
              ControlStore s = openStore();
              s.addPartitions(JOB, List.of(key("p" + i)));
              return s;
            });
    for (ControlStore s : opened) {
      s.close();
    }
    store = openStore();
    assertThat(store.partitions(JOB))
        .extracting(PartitionState::key)
        .containsExactly(key("p0"), key("p1"), key("p2"), key("p3"));
  }

  @Test
  public void addPartitionsInsertsOnlyTheMissingOnesAsPending() throws Exception {
    assertThat(store.addPartitions(JOB, List.of(key("b"), key("a"), key("a")))).isEqualTo(2);
    store.recordPartitionResult(1, JOB, T1, ok(key("a"), 3, 0, 30));

    assertThat(store.addPartitions(JOB, List.of(key("a"), key("c")))).isEqualTo(1);
    assertThat(store.addPartitions(JOB, List.of())).isZero();

    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(key("a"), PartitionStatus.SUCCEEDED, T1, T1, 3, 30, null),
            new PartitionState(key("b"), PartitionStatus.PENDING, null, null, 0, 0, null),
            new PartitionState(key("c"), PartitionStatus.PENDING, null, null, 0, 0, null));
    assertThat(store.partitions("other-job")).isEmpty();
  }

  @Test
  public void severalRootsShareTheTable() throws Exception {
    PartitionKey one = new PartitionKey(ROOT, "x/");
    PartitionKey two = new PartitionKey(ROOT2, "x/");
    PartitionKey whole = new PartitionKey(ROOT2, "");
    assertThat(store.addPartitions(JOB, List.of(two, one, whole))).isEqualTo(3);
    store.recordPartitionResult(1, JOB, T1, ok(two, 1, 0, 5));

    assertThat(store.partitions(JOB))
        .extracting(PartitionState::key, PartitionState::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(one, PartitionStatus.PENDING),
            org.assertj.core.groups.Tuple.tuple(whole, PartitionStatus.PENDING),
            org.assertj.core.groups.Tuple.tuple(two, PartitionStatus.SUCCEEDED));
    assertThat(store.lastSuccessTimes(JOB)).containsExactly(entry(two.id(), T1));
  }

  @Test
  public void longKeysAndNonAsciiPrefixesAreStored() throws Exception {
    String longPrefix = "d/".repeat(512);
    PartitionKey a = new PartitionKey("s3://" + "r".repeat(1019), longPrefix);
    PartitionKey b = new PartitionKey(ROOT, "données/ü€😀/");
    assertThat(store.addPartitions(JOB, List.of(a, b))).isEqualTo(2);
    assertThat(store.addPartitions(JOB, List.of(a, b))).isZero();
    assertThat(store.partitions(JOB))
        .extracting(PartitionState::key)
        .containsExactlyInAnyOrder(a, b);

    PartitionKey tooLong = new PartitionKey(ROOT, "x".repeat(1025));
    assertThatThrownBy(() -> store.addPartitions(JOB, List.of(tooLong)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("partition prefix: 1025 characters, at most 1024 are stored");
  }

  @Test
  public void resetMarksPartitionsPendingAndKeepsTheirWatermark() throws Exception {
    PartitionKey a2 = new PartitionKey(ROOT2, "a");
    store.addPartitions(JOB, List.of(key("a"), key("b"), a2));
    store.addPartitions("other-job", List.of(key("a")));
    store.recordPartitionResult(1, JOB, T1, ok(key("a"), 1, 0, 1));
    store.recordPartitionResult(1, JOB, T1, failed(key("b"), 1, 1, "boom"));
    store.recordPartitionResult(1, JOB, T1, ok(a2, 1, 0, 1));
    store.recordPartitionResult(1, "other-job", T1, ok(key("a"), 1, 0, 1));

    assertThat(store.resetPartitions(JOB, List.of("a", "a", "zzz"))).isEqualTo(2);
    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(key("a"), PartitionStatus.PENDING, T1, T1, 1, 1, null),
            new PartitionState(key("b"), PartitionStatus.FAILED, T1, null, 1, 10, "boom"),
            new PartitionState(a2, PartitionStatus.PENDING, T1, T1, 1, 1, null));

    assertThat(store.resetPartitions(JOB, List.of())).isEqualTo(3);
    assertThat(store.partitions(JOB))
        .extracting(PartitionState::status, PartitionState::error)
        .containsOnly(org.assertj.core.groups.Tuple.tuple(PartitionStatus.PENDING, null));
    assertThat(store.partitions("other-job"))
        .extracting(PartitionState::status)
        .containsExactly(PartitionStatus.SUCCEEDED);
  }

  @Test
  public void runsAreStartedFinishedAndListedNewestFirst() throws Exception {
    long first = store.startRun(JOB, T1, "FULL", "DirectRunner", "{\"a\":1}");
    long second = store.startRun(JOB, T2, "DELTA", "FlinkRunner", "{}");
    long third = store.startRun(JOB, T3, "DELTA", "FlinkRunner", null);
    long elsewhere = store.startRun("other-job", T3, "FULL", "DirectRunner", "{}");
    assertThat(List.of(first, second, third, elsewhere)).doesNotHaveDuplicates();
    assertThat(second).isGreaterThan(first);
    assertThat(third).isGreaterThan(second);

    RunTotals totals = new RunTotals(2, 1, 10, 4, 1, 1000);
    store.finishRun(first, RunStatus.FAILED, totals, T2, "1 partition failed");
    store.finishRun(second, RunStatus.SUCCEEDED, RunTotals.ZERO, T3, null);

    assertThat(store.run(first))
        .contains(
            new RunRecord(
                first,
                1,
                JOB,
                RunStatus.FAILED,
                T1,
                T2,
                "FULL",
                "DirectRunner",
                totals,
                "{\"a\":1}",
                "1 partition failed"));
    assertThat(store.run(third))
        .contains(
            new RunRecord(
                third,
                3,
                JOB,
                RunStatus.RUNNING,
                T3,
                null,
                "DELTA",
                "FlinkRunner",
                RunTotals.ZERO,
                null,
                null));
    assertThat(store.run(third).orElseThrow().duration()).isNull();
    assertThat(store.run(first).orElseThrow().duration()).isEqualTo(Duration.between(T1, T2));
    assertThat(store.run(elsewhere + 1000)).isEmpty();

    assertThat(store.history(JOB, 2)).extracting(RunRecord::runId).containsExactly(third, second);
    assertThat(store.history(JOB, 10))
        .extracting(RunRecord::runId)
        .containsExactly(third, second, first);
    assertThat(store.history("no-such-job", 10)).isEmpty();
    assertThatThrownBy(() -> store.finishRun(elsewhere + 1000, RunStatus.FAILED, totals, T3, null))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("copyjob_runs: finish run");
    assertThat(store.run("other-job", 1)).map(RunRecord::runId).contains(elsewhere);
    assertThat(store.run(JOB, 2)).map(RunRecord::runId).contains(second);
    assertThat(store.run(JOB, 4)).isEmpty();
  }

  /**
   * The manifest keeps a file's last row: a failure recorded again later as copied (a bundle
   * executed again) is not a failure, and a file recorded twice is listed once.
   */
  @Test
  public void theManifestListsEachFileOnceAsLastRecorded() throws Exception {
    long run = store.startRun(JOB, T1, "FULL", "direct", "{}");
    long other = store.startRun(JOB, T2, "FULL", "direct", "{}");
    store.recordFiles(
        run,
        JOB,
        List.of(
            new FileRecord("a", "a/1", "a/1", 10, 10, "aa", "COPIED", null),
            new FileRecord("a", "a/2", "a/2", 20, 0, null, "FAILED", "reset by peer"),
            new FileRecord("a", "a/3", "a/3", 30, 0, null, "FAILED", "503")));
    store.recordFiles(
        other, JOB, List.of(new FileRecord("a", "a/9", null, 1, 0, null, "FAILED", "x")));
    // Executed again: a/2 copies this time, a/1 is recorded again the same.
    store.recordFiles(
        run,
        JOB,
        List.of(
            new FileRecord("a", "a/2", "a/2", 20, 20, "bb", "COPIED", null),
            new FileRecord("a", "a/1", "a/1", 10, 10, "aa", "COPIED", null)));

    assertThat(store.files(run, false))
        .extracting(f -> f.sourceKey() + "=" + f.outcome())
        .containsExactly("a/1=COPIED", "a/2=COPIED", "a/3=FAILED");
    assertThat(store.files(run, true))
        .extracting(f -> f.sourceKey() + ":" + f.error())
        .containsExactly("a/3:503");
    assertThat(store.files(other, true)).extracting(FileRecord::sourceKey).containsExactly("a/9");
  }

  @Test
  public void runsAreNumberedPerJob() throws Exception {
    store.startRun("other-job", T1, "FULL", "direct", "{}");
    store.startRun("other-job", T1, "FULL", "direct", "{}");
    long first = store.startRun(JOB, T1, "FULL", "direct", "{}");
    long second = store.startRun(JOB, T2, "FULL", "direct", "{}");
    assertThat(store.run(first).orElseThrow().runNumber()).isEqualTo(1);
    assertThat(store.run(second).orElseThrow().runNumber()).isEqualTo(2);
    assertThat(store.history("other-job", 10))
        .extracting(RunRecord::runNumber)
        .containsExactly(2L, 1L);
  }

  @Test
  public void theFirstOutcomeOfARunWins() throws Exception {
    long run = store.startRun(JOB, T1, "FULL", "direct", "{}");
    RunTotals some = new RunTotals(1, 0, 5, 0, 0, 50);
    assertThat(store.finishRun(run, RunStatus.FAILED, RunTotals.ZERO, T2, "lost its lease"))
        .isTrue();
    // The pipeline ends later and reports success: the client's outcome stays.
    assertThat(store.finishRun(run, RunStatus.SUCCEEDED, some, T3, null)).isFalse();
    RunRecord recorded = store.run(run).orElseThrow();
    assertThat(recorded.status()).isEqualTo(RunStatus.FAILED);
    assertThat(recorded.error()).isEqualTo("lost its lease");
    assertThat(recorded.endedAt()).isEqualTo(T2);
    assertThat(recorded.totals()).isEqualTo(RunTotals.ZERO);
  }

  @Test
  public void aRunStartedUnderTheLeaseIsNamedOnIt() throws Exception {
    Duration ttl = Duration.ofMinutes(2);
    assertThat(store.acquireLease(JOB, "host-1:11:u1", ttl)).isTrue();
    long run = store.startRun(JOB, "host-1:11:u1", T1, "FULL", "direct", "{}");
    assertThat(store.lease(JOB).orElseThrow().runId()).isEqualTo(run);

    // Not the holder: nothing is written.
    assertThatThrownBy(() -> store.startRun(JOB, "host-2:22:u2", T2, "FULL", "direct", "{}"))
        .isInstanceOf(LeaseLostException.class)
        .hasMessage("job 'job-a': the lease was lost before the run started");
    assertThat(store.history(JOB, 10)).extracting(RunRecord::runId).containsExactly(run);
  }

  @Test
  public void aRunningRunWhoseLeaseIsGoneOrExpiredIsAbandonedWhenItWasLastSeen() throws Exception {
    Duration ttl = Duration.ofMinutes(2);
    // The other job's run lives: its lease names it and is valid.
    assertThat(store.acquireLease("other-job", "host-9:9:u9", ttl)).isTrue();
    long alive = store.startRun("other-job", "host-9:9:u9", T1, "FULL", "direct", "{}");
    // A run killed with -9: its lease names it, was renewed once (its heartbeat), then lapsed.
    assertThat(store.acquireLease(JOB, "host-1:11:u1", ttl)).isTrue();
    long killed = store.startRun(JOB, "host-1:11:u1", T1, "FULL", "direct", "{}");
    assertThat(store.renewLease(JOB, "host-1:11:u1", killed, ttl)).isTrue();
    Instant lastSeen = lastSeen(killed);
    assertThat(lastSeen).isAfter(T1);
    Instant expired = store.databaseNow().minusSeconds(5);
    setLeaseExpiry(JOB, expired);
    // A run that never named a lease (its process died before): its lease is gone.
    long orphan = store.startRun(JOB, T2, "FULL", "direct", "{}");

    assertThat(store.abandonDeadRuns(JOB)).containsExactlyInAnyOrder(killed, orphan);

    RunRecord k = store.run(killed).orElseThrow();
    assertThat(k.status()).isEqualTo(RunStatus.ABANDONED);
    assertThat(k.endedAt()).isEqualTo(lastSeen);
    assertThat(k.error())
        .isEqualTo(
            "abandoned: last seen at "
                + lastSeen
                + "; its lease expired at "
                + expired.truncatedTo(java.time.temporal.ChronoUnit.MICROS)
                + " (the control database's clock)");
    RunRecord o = store.run(orphan).orElseThrow();
    assertThat(o.status()).isEqualTo(RunStatus.ABANDONED);
    assertThat(o.endedAt()).isEqualTo(T2);
    assertThat(o.error()).isEqualTo("abandoned: last seen at " + T2 + "; its lease is gone");
    assertThat(store.run(alive).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    assertThat(store.abandonDeadRuns("other-job")).isEmpty();
    // Marked once: the abandoned run cannot be finished over, nor its lease renewed.
    assertThat(store.finishRun(killed, RunStatus.SUCCEEDED, RunTotals.ZERO, T3, null)).isFalse();
    assertThat(store.renewLease(JOB, "host-1:11:u1", killed, ttl)).isFalse();
  }

  @Test
  public void leasesExpireByTheDatabaseClockWhateverTheClientClocks() throws Exception {
    Duration ttl = Duration.ofMinutes(2);
    // Two clients an hour apart: with their own clocks, the one behind writes an expiry already
    // past for the one ahead, which then takes the lease while the first still runs.
    Instant behind = Instant.now().minus(Duration.ofHours(1));
    Instant ahead = Instant.now().plus(Duration.ofHours(1));
    try (ControlStore slow = openStore();
        ControlStore fast = openStore()) {
      Instant before = slow.databaseNow();
      assertThat(slow.acquireLease(JOB, "slow:1:a", ttl)).isTrue();
      Instant after = slow.databaseNow();
      Instant expiry = store.lease(JOB).orElseThrow().expiresAt();
      assertThat(expiry).isBetween(before.plus(ttl).minusMillis(1), after.plus(ttl).plusMillis(1));
      assertThat(Duration.between(behind.plus(ttl), expiry)).isGreaterThan(Duration.ofMinutes(30));
      assertThat(fast.acquireLease(JOB, "fast:2:b", ttl)).isFalse();
      assertThat(slow.renewLease(JOB, "slow:1:a", (Long) null, ttl)).isTrue();
      assertThat(fast.acquireLease(JOB, "fast:2:b", ttl)).isFalse();
      assertThat(ahead).isAfter(expiry); // what the fast client's clock would have compared
    }
  }

  @Test
  public void anExpiredLeaseIsLostEvenWhenNoOneTookIt() throws Exception {
    Duration ttl = Duration.ofMinutes(2);
    assertThat(store.acquireLease(JOB, "host-1:11:u1", ttl)).isTrue();
    setLeaseExpiry(JOB, store.databaseNow().minusMillis(1));
    assertThat(store.renewLease(JOB, "host-1:11:u1", (Long) null, ttl)).isFalse();
  }

  @Test
  public void aStoreMadeByThePreviousVersionGetsTheNewColumnsAndNumbersItsRuns() throws Exception {
    store.close();
    Dialect d = store.dialect();
    try (Connection c = connect();
        var st = c.createStatement()) {
      for (String table : Schema.TABLES) {
        st.execute("DROP TABLE " + table);
      }
      // The runs table as the previous version created it: no run_number, no last_seen_at.
      String previous =
          Schema.createTable(d, Schema.RUNS)
              .replace("run_number BIGINT, ", "")
              .replace(", last_seen_at " + d.timestamp(), "");
      assertThat(previous).doesNotContain("run_number").doesNotContain("last_seen_at");
      st.execute(previous);
      String insert =
          "INSERT INTO copyjob_runs (job, status, started_at, partitions_succeeded,"
              + " partitions_failed, files_copied, files_skipped, files_failed, bytes_copied)"
              + " VALUES (?, 'SUCCEEDED', ?, 0, 0, 0, 0, 0, 0)";
      for (String job : List.of(JOB, "other-job", JOB)) {
        try (PreparedStatement ps = c.prepareStatement(insert)) {
          ps.setString(1, job);
          d.setInstant(ps, 2, T1);
          ps.executeUpdate();
        }
      }
    }
    store = openStore();
    assertThat(store.history(JOB, 10)).extracting(RunRecord::runNumber).containsExactly(2L, 1L);
    assertThat(store.history("other-job", 10)).extracting(RunRecord::runNumber).containsExactly(1L);
    long next = store.startRun(JOB, T2, "FULL", "direct", "{}");
    assertThat(store.run(next).orElseThrow().runNumber()).isEqualTo(3);
    assertThat(lastSeen(next)).isEqualTo(T2);
    try (ControlStore again = openStore()) { // opening again changes nothing
      assertThat(again.run(JOB, 1)).map(RunRecord::status).contains(RunStatus.SUCCEEDED);
    }
  }

  @Test
  public void aStoreMadeBeforeTabularJobsGetsTheirRowColumns() throws Exception {
    store.close();
    Dialect d = store.dialect();
    try (Connection c = connect();
        var st = c.createStatement()) {
      st.execute("DROP TABLE " + Schema.RUNS);
      st.execute("DROP TABLE " + Schema.PARTITION_RUNS);
      String runs =
          Schema.createTable(d, Schema.RUNS)
              .replace(", rows_read BIGINT, rows_written BIGINT, rows_rejected BIGINT", "");
      String partitionRuns =
          Schema.createTable(d, Schema.PARTITION_RUNS)
              .replace(
                  ", rows_read BIGINT, rows_written BIGINT, rows_rejected BIGINT, duration_ms BIGINT",
                  "");
      assertThat(runs + partitionRuns).doesNotContain("rows_").doesNotContain("duration_ms");
      st.execute(runs);
      st.execute(partitionRuns);
    }
    store = openStore();
    long runId = store.startRun(JOB, T1, "full", "direct", "{}");
    PartitionResult table =
        new PartitionResult(
            new PartitionKey("s3://b/", "orders"),
            2,
            1,
            0,
            100,
            null,
            null,
            null,
            null,
            new TableCounts(10, 9, 1, 1234));
    PartitionResult files =
        new PartitionResult(new PartitionKey("s3://b/", "x"), 1, 0, 0, 5, null, null, null);
    store.recordPartitionResult(runId, JOB, T1, table);
    store.recordPartitionResult(runId, JOB, T1, files);
    store.finishRun(runId, RunStatus.SUCCEEDED, RunTotals.ZERO.plus(table).plus(files), T2, null);

    assertThat(store.partitionRuns(runId))
        .extracting(r -> r.result().table())
        .containsExactly(new TableCounts(10, 9, 1, 1234), null);
    assertThat(store.run(runId).orElseThrow().totals())
        .isEqualTo(new RunTotals(2, 0, 3, 1, 0, 105, 10, 9, 1));
  }

  private Instant lastSeen(long runId) throws Exception {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT last_seen_at FROM copyjob_runs WHERE run_id = ?")) {
      ps.setLong(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return store.dialect().getInstant(rs, "last_seen_at");
      }
    }
  }

  /** Sets the lease's expiry as a lapse of its renewals (a killed process) would leave it. */
  private void setLeaseExpiry(String job, Instant expiresAt) throws Exception {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement("UPDATE copyjob_leases SET expires_at = ? WHERE job = ?")) {
      store.dialect().setInstant(ps, 1, expiresAt);
      ps.setString(2, job);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  @Test
  public void aFailureAfterASuccessKeepsTheLastSuccessTime() throws Exception {
    store.addPartitions(JOB, List.of(key("a")));
    long run1 = store.startRun(JOB, T1, "DELTA", "DirectRunner", "{}");
    store.recordPartitionResult(run1, JOB, T1, ok(key("a"), 3, 2, 300));
    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(key("a"), PartitionStatus.SUCCEEDED, T1, T1, 5, 300, null));

    long run2 = store.startRun(JOB, T2, "DELTA", "DirectRunner", "{}");
    store.recordPartitionResult(run2, JOB, T2, failed(key("a"), 1, 2, "403 on a/x"));
    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(key("a"), PartitionStatus.FAILED, T2, T1, 1, 10, "403 on a/x"));
    assertThat(store.lastSuccessTimes(JOB)).containsExactly(entry(key("a").id(), T1));

    long run3 = store.startRun(JOB, T3, "DELTA", "DirectRunner", "{}");
    store.recordPartitionResult(run3, JOB, T3, ok(key("a"), 2, 3, 20));
    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(key("a"), PartitionStatus.SUCCEEDED, T3, T3, 5, 20, null));

    assertThat(store.partitionRuns(run2))
        .containsExactly(new PartitionRunRecord(run2, T2, failed(key("a"), 1, 2, "403 on a/x")));
  }

  @Test
  public void aDeltaSuccessMovesTheWatermarkToTheEndOfTheWindowItListed() throws Exception {
    // The window ended at the store's time, earlier than the run's start by this machine's clock.
    Instant end = T2.minusMillis(1500);
    PartitionResult listed = new PartitionResult(key("a"), 1, 0, 0, 9, null, T1, end);
    long run = store.startRun(JOB, T2, "DELTA", "DirectRunner", "{}");
    store.recordPartitionResult(run, JOB, T2, listed);

    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(key("a"), PartitionStatus.SUCCEEDED, T2, end, 1, 9, null));
    assertThat(store.lastSuccessTimes(JOB)).containsExactly(entry(key("a").id(), end));
    assertThat(store.partitionRuns(run)).containsExactly(new PartitionRunRecord(run, T2, listed));
  }

  @Test
  public void aWarningIsKeptWithASucceededPartitionAndReadBackAsAWarning() throws Exception {
    long first = store.startRun(JOB, T1, "FULL", "DirectRunner", "{}");
    store.recordPartitionResult(first, JOB, T1, ok(key("a"), 3, 1, 30));
    PartitionResult warned =
        new PartitionResult(key("a"), 0, 0, 0, 0, null, null, null, "listed no file");
    long second = store.startRun(JOB, T2, "FULL", "DirectRunner", "{}");
    assertThat(store.filesOfLastRun(JOB, key("a"), second)).isEqualTo(4);
    assertThat(store.filesOfLastRun(JOB, key("never"), second)).isEqualTo(-1);

    store.recordPartitionResult(second, JOB, T2, warned);

    assertThat(store.partitionRuns(second))
        .containsExactly(new PartitionRunRecord(second, T2, warned));
    assertThat(store.partitionRuns(second).get(0).result().succeeded()).isTrue();
    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(
                key("a"), PartitionStatus.SUCCEEDED, T2, T2, 0, 0, "listed no file"));
    // A retried bundle of the same run finds its own row: it cannot tell what came before.
    assertThat(store.filesOfLastRun(JOB, key("a"), second)).isEqualTo(-1);
  }

  @Test
  public void recordingTwiceInOneRunReplacesTheRow() throws Exception {
    long run = store.startRun(JOB, T1, "FULL", "DirectRunner", "{}");
    store.recordPartitionResult(run, JOB, T1, failed(key("a"), 1, 1, "first attempt"));
    store.recordPartitionResult(run, JOB, T1, ok(key("a"), 4, 1, 40));
    store.recordPartitionResult(run, JOB, T1, ok(key("b"), 0, 0, 0));

    assertThat(store.partitionRuns(run))
        .containsExactly(
            new PartitionRunRecord(run, T1, ok(key("a"), 4, 1, 40)),
            new PartitionRunRecord(run, T1, ok(key("b"), 0, 0, 0)));
    // A partition not added before is inserted by its first result.
    assertThat(store.partitions(JOB))
        .containsExactly(
            new PartitionState(key("a"), PartitionStatus.SUCCEEDED, T1, T1, 5, 40, null),
            new PartitionState(key("b"), PartitionStatus.SUCCEEDED, T1, T1, 0, 0, null));
    assertThat(store.partitionRuns(run + 1)).isEmpty();
  }

  @Test
  public void longErrorsAreCutToTheColumn() throws Exception {
    String error = "e".repeat(3999) + "😀" + "tail";
    store.recordPartitionResult(1, JOB, T1, failed(key("a"), 0, 1, error));
    String cut = "e".repeat(3999);
    assertThat(store.partitions(JOB)).extracting(PartitionState::error).containsExactly(cut);
    assertThat(store.partitionRuns(1))
        .extracting(r -> r.result().firstError())
        .containsExactly(cut);
  }

  @Test
  public void instantsReadBackInUtcToTheMicrosecond() throws Exception {
    Instant nanos = Instant.parse("2024-12-31T23:59:59.123456789Z");
    long run = store.startRun(JOB, nanos, "FULL", "DirectRunner", "{}");
    assertThat(store.run(run).orElseThrow().startedAt())
        .isEqualTo(Instant.parse("2024-12-31T23:59:59.123456Z"));
  }

  @Test
  public void lastSuccessTimesOnlyListPartitionsThatSucceeded() throws Exception {
    store.addPartitions(JOB, List.of(key("never")));
    store.recordPartitionResult(1, JOB, T1, ok(key("a"), 1, 0, 1));
    store.recordPartitionResult(2, JOB, T2, ok(key("b"), 1, 0, 1));
    store.recordPartitionResult(2, JOB, T2, failed(key("c"), 0, 1, "x"));
    assertThat(store.lastSuccessTimes(JOB))
        .containsExactly(entry(key("a").id(), T1), entry(key("b").id(), T2));
    assertThat(store.lastSuccessTimes("other-job")).isEmpty();
  }

  @Test
  public void aLeaseIsHeldByOneOwnerUntilItExpiresOrIsReleased() throws Exception {
    Duration ttl = Duration.ofMinutes(10);
    assertThat(store.lease(JOB)).isEmpty();
    assertThat(store.acquireLease(JOB, "host-1", T1, ttl)).isTrue();
    assertThat(store.acquireLease(JOB, "host-2", T1.plusSeconds(60), ttl)).isFalse();
    assertThat(store.acquireLease("other-job", "host-2", T1, ttl)).isTrue();

    // The owner again: extended.
    assertThat(store.setLeaseRun(JOB, "host-1", 7)).isTrue();
    assertThat(store.acquireLease(JOB, "host-1", T1.plusSeconds(300), ttl)).isTrue();
    assertThat(store.lease(JOB))
        .contains(new Lease(JOB, "host-1", 7L, T1.plusSeconds(300).plus(ttl)));

    // Expired at exactly expires_at is still held; a microsecond later it is free.
    Instant expiry = T1.plusSeconds(300).plus(ttl);
    assertThat(store.acquireLease(JOB, "host-2", expiry, ttl)).isFalse();
    Instant later = expiry.plusNanos(1000);
    assertThat(store.acquireLease(JOB, "host-2", later, ttl)).isTrue();
    assertThat(store.lease(JOB)).contains(new Lease(JOB, "host-2", null, later.plus(ttl)));

    assertThat(store.renewLease(JOB, "host-1", later, ttl)).isFalse();
    assertThat(store.setLeaseRun(JOB, "host-1", 8)).isFalse();
    assertThat(store.renewLease(JOB, "host-2", later.plusSeconds(1), ttl)).isTrue();
    assertThat(store.lease(JOB).orElseThrow().expiresAt())
        .isEqualTo(later.plusSeconds(1).plus(ttl));

    store.releaseLease(JOB, "host-1");
    assertThat(store.lease(JOB)).map(Lease::owner).contains("host-2");
    store.releaseLease(JOB, "host-2");
    assertThat(store.lease(JOB)).isEmpty();
    assertThat(store.acquireLease(JOB, "host-1", later, ttl)).isTrue();
    assertThat(store.lease("other-job")).map(Lease::owner).contains("host-2");
  }

  @Test
  public void exactlyOneOfRacingOwnersGetsTheLease() throws Exception {
    Duration ttl = Duration.ofMinutes(1);
    for (int round = 0; round < 5; round++) {
      String job = "race-" + round;
      // Free lease, then an expired one: both races have one winner.
      assertThat(racingAcquires(job, T1, ttl)).containsOnlyOnce(true);
      assertThat(racingAcquires(job, T1.plus(Duration.ofHours(1)), ttl)).containsOnlyOnce(true);
    }
  }

  private List<Boolean> racingAcquires(String job, Instant now, Duration ttl) throws Exception {
    List<ControlStore> stores = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        stores.add(openStore());
      }
      return race(stores.size(), i -> stores.get(i).acquireLease(job, "owner-" + i, now, ttl));
    } finally {
      for (ControlStore s : stores) {
        s.close();
      }
    }
  }

  @Test
  public void watermarksArePutAndReplaced() throws Exception {
    assertThat(store.watermark(JOB, "public.orders", "updated_at")).isEmpty();
    store.putWatermark(JOB, "public.orders", "updated_at", "2024-05-01T10:00:00Z", T1);
    store.putWatermark(JOB, "public.orders", "id", "42", T1);
    store.putWatermark("other-job", "public.orders", "updated_at", "other", T1);
    store.putWatermark(JOB, "public.orders", "updated_at", "2024-05-02T10:00:00Z", T2);

    assertThat(store.watermark(JOB, "public.orders", "updated_at"))
        .contains("2024-05-02T10:00:00Z");
    assertThat(store.watermark(JOB, "public.orders", "id")).contains("42");
    assertThat(store.watermark("other-job", "public.orders", "updated_at")).contains("other");
    assertThatThrownBy(() -> store.putWatermark(JOB, "t", "c", "v".repeat(4001), T1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("watermark value: 4001 characters, at most 4000 are stored");
  }

  @Test
  public void controlQueriesReturnTheRowsThePipelineReads() throws Exception {
    PartitionKey b2 = new PartitionKey(ROOT2, "b");
    store.addPartitions(JOB, List.of(key("a"), key("b"), key("c"), b2, key("d")));
    store.addPartitions("other-job", List.of(key("z")));
    store.recordPartitionResult(1, JOB, T1, ok(key("a"), 1, 0, 1));
    store.recordPartitionResult(1, JOB, T1, failed(key("b"), 0, 1, "x"));
    store.recordPartitionResult(2, JOB, T2, ok(b2, 1, 0, 1));
    store.recordPartitionResult(3, JOB, T3, ok(key("c"), 1, 0, 1));
    store.resetPartitions(JOB, List.of("c"));

    assertThat(query(ControlQueries.partitionsToCopy(JobSpec.Mode.FULL)))
        .containsExactly(List.of(ROOT, "b"), List.of(ROOT, "c"), List.of(ROOT, "d"));
    assertThat(query(ControlQueries.partitionsToCopy(JobSpec.Mode.DELTA)))
        .containsExactly(
            List.of(ROOT, "a"),
            List.of(ROOT, "b"),
            List.of(ROOT, "c"),
            List.of(ROOT, "d"),
            List.of(ROOT2, "b"));
    assertThat(query(ControlQueries.lastSuccessTimes()))
        .containsExactly(List.of(ROOT, "a", T1), List.of(ROOT, "c", T3), List.of(ROOT2, "b", T2));
  }

  /** Runs a ControlQueries query for JOB; each row as its columns, timestamps as instants. */
  private List<List<Object>> query(String sql) throws Exception {
    assertThat(sql.chars().filter(ch -> ch == '?').count()).isEqualTo(1);
    List<List<Object>> rows = new ArrayList<>();
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, JOB);
      try (ResultSet rs = ps.executeQuery()) {
        int columns = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          List<Object> row = new ArrayList<>();
          row.add(rs.getString("source_root"));
          row.add(rs.getString("prefix"));
          if (columns == 3) {
            row.add(store.dialect().getInstant(rs, "last_success_time"));
          }
          rows.add(row);
        }
      }
    }
    return rows;
  }

  interface Task<T> {
    T call(int index) throws Exception;
  }

  /** Runs {@code n} tasks released at the same instant; their results in index order. */
  static <T> List<T> race(int n, Task<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        Callable<T> c =
            () -> {
              start.await();
              return task.call(index);
            };
        futures.add(pool.submit(c));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get());
      }
      return Collections.unmodifiableList(results);
    } finally {
      pool.shutdownNow();
    }
  }
}
