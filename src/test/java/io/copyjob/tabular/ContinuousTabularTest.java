package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RoundRecord;
import io.copyjob.control.RoundStatus;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.tabular.pipeline.TabularJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code mode: continuous} for database tables on the DirectRunner, from H2 and from PostgreSQL:
 * rows inserted while the run goes arrive each once (with an H2 and a PostgreSQL control store);
 * every round's row holds exactly the rows it read above the watermark the round before it left,
 * and the stored watermark is the last recorded round's; a stop leaves the run STOPPED with no
 * round in flight.
 */
public class ContinuousTabularTest {
  static final Duration INTERVAL = Duration.ofSeconds(2);
  static final String EVENTS =
      "CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, at TIMESTAMP(6), note VARCHAR(40))";
  static final LocalDateTime BASE = LocalDateTime.parse("2024-03-01T00:00:00");
  static final DateTimeFormatter SQL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final List<SinkDatabase> databases = new ArrayList<>();

  @After
  public void tearDown() throws Exception {
    for (SinkDatabase db : databases) {
      db.drop();
    }
  }

  @Test
  public void rowsFromH2ArriveOnceAndEveryRoundIsExact() throws Exception {
    check(keep(SinkDatabase.h2()), keep(SinkDatabase.h2()), "h2");
  }

  @Test
  public void rowsFromPostgresArriveOnceAndEveryRoundIsExact() throws Exception {
    check(keep(SinkDatabase.postgres()), keep(SinkDatabase.postgres()), "postgres");
  }

  private SinkDatabase keep(SinkDatabase db) {
    databases.add(db);
    return db;
  }

  /** Inserts row {@code id}, its watermark {@code id} seconds after {@link #BASE}. */
  static void insert(SinkDatabase source, long id) throws Exception {
    source.execute(
        "INSERT INTO events VALUES ("
            + id
            + ", TIMESTAMP '"
            + SQL.format(BASE.plusSeconds(id))
            + "', 'row "
            + id
            + "')");
  }

  private void check(SinkDatabase source, SinkDatabase sink, String kind) throws Exception {
    source.execute(EVENTS);
    sink.execute(EVENTS);
    for (long id = 1; id <= 3; id++) {
      insert(source, id);
    }
    String name = "cont-tab-" + kind + "-" + UUID.randomUUID().toString().substring(0, 8);
    Path jobFile = tmp.getRoot().toPath().resolve(name + ".yaml");
    Files.writeString(
        jobFile,
        "name: "
            + name
            + "\nsource:\n"
            + source.yaml()
            + "sink:\n"
            + sink.yaml()
            + "tables:\n"
            + "  events: {table: events, target: events, keys: [id], write: upsert,"
            + " watermark: {column: at}}\n"
            + "mode: continuous\n"
            + "continuous: {interval: "
            + INTERVAL.toSeconds()
            + "s}\n"
            + control(kind));
    JobSpec spec = JobSpecParser.parse(jobFile);
    TabularJob job =
        new TabularJob(
            spec,
            directOptions(),
            "direct",
            "{}",
            new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"),
            false,
            false);
    CompletableFuture<RunRecord> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return job.run();
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    awaitRow(sink, 3, running);
    // Rows land while it runs, one at a time and two at once; each is timed to its arrival.
    List<Duration> delays = new ArrayList<>();
    for (long[] batch : new long[][] {{4}, {5, 6}}) {
      for (long id : batch) {
        insert(source, id);
      }
      Instant landed = Instant.now();
      awaitRow(sink, batch[batch.length - 1], running);
      delays.add(Duration.between(landed, Instant.now()));
    }
    System.out.println(
        "continuous tabular ("
            + kind
            + "), direct runner: landing to arrival "
            + delays
            + ", load average "
            + Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    // One more round after the last arrival: nothing new, nothing written twice.
    awaitRound(spec, lastRound(spec) + 1, running);
    job.stop();
    RunRecord run = running.get(2, TimeUnit.MINUTES);

    assertThat(run.status()).isEqualTo(RunStatus.STOPPED);
    assertThat(run.mode()).isEqualTo("continuous");
    assertThat(sink.rows("SELECT id, note FROM events ORDER BY id"))
        .containsExactly(
            "1 | row 1", "2 | row 2", "3 | row 3", "4 | row 4", "5 | row 5", "6 | row 6");
    try (ControlStore control = ControlStore.open(spec.control())) {
      List<RoundRecord> rounds = control.rounds(run.runId());
      assertThat(rounds).isNotEmpty().noneMatch(r -> r.status() == RoundStatus.RUNNING);
      List<RoundRecord> recorded =
          rounds.stream().filter(r -> r.status() == RoundStatus.SUCCEEDED).toList();
      assertThat(recorded.size()).isGreaterThanOrEqualTo(3);
      // The first round is the full load: no watermark before it, every row read.
      assertThat(recorded.get(0).table().watermark().before()).isNull();
      assertThat(recorded.get(0).table().rowsRead()).isEqualTo(3);
      TreeMap<String, Long> source6 = new TreeMap<>();
      for (long id = 1; id <= 6; id++) {
        source6.put(watermark(id), id);
      }
      for (int i = 1; i < recorded.size(); i++) {
        RoundRecord r = recorded.get(i);
        String before = r.table().watermark().before();
        String after = r.table().watermark().after();
        // Each round starts at the watermark the round before it left ...
        assertThat(before).isEqualTo(recorded.get(i - 1).table().watermark().after());
        // ... and reads exactly the rows from it (the boundary again: upsert) to its high mark.
        long expected = source6.subMap(before, true, after, true).size();
        assertThat(r.table().rowsRead()).as("rows read by round " + r.round()).isEqualTo(expected);
        assertThat(r.table().rowsWritten()).isEqualTo(expected);
        assertThat(r.table().rowsRejected()).isZero();
        assertThat(r.filesFailed()).isZero();
      }
      String last = recorded.get(recorded.size() - 1).table().watermark().after();
      assertThat(last).isEqualTo(watermark(6));
      assertThat(control.watermark(spec.name(), "events", "at")).contains(last);
      // The run's row of the table holds the sums over its rounds.
      PartitionRunRecord table = control.partitionRuns(run.runId()).get(0);
      assertThat(table.result().table().rowsRead())
          .isEqualTo(recorded.stream().mapToLong(r -> r.table().rowsRead()).sum());
      assertThat(table.result().table().watermark().before()).isNull();
      assertThat(table.result().table().watermark().after()).isEqualTo(last);
      assertThat(control.lease(spec.name())).isEmpty();
    }
  }

  /** The control store: an H2 file for the H2 test, PostgreSQL for the PostgreSQL one. */
  private String control(String kind) {
    if (kind.equals("h2")) {
      return "control: {url: 'jdbc:h2:file:"
          + tmp.getRoot().toPath().resolve("control")
          + ";AUTO_SERVER=TRUE'}\n";
    }
    return "control: {url: '"
        + System.getenv("COPYJOB_TEST_PG_URL")
        + "', user: "
        + System.getenv("COPYJOB_TEST_PG_USER")
        + ", passwordEnv: COPYJOB_TEST_PG_PASSWORD}\n";
  }

  /** Row {@code id}'s watermark as the database writes it and the control store keeps it. */
  static String watermark(long id) {
    return SQL.format(BASE.plusSeconds(id));
  }

  static PipelineOptions directOptions() {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    DirectOptions direct = options.as(DirectOptions.class);
    direct.setBlockOnRun(false);
    direct.setEnforceImmutability(false);
    direct.setEnforceEncodability(false);
    return options;
  }

  /** Waits (generously: the machine is shared) until the sink holds row {@code id}. */
  static void awaitRow(SinkDatabase sink, long id, CompletableFuture<?> running) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (running.isDone()) {
        running.get();
        throw new AssertionError("the run ended before row " + id + " arrived");
      }
      if (!sink.rows("SELECT id FROM events WHERE id = " + id).isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("row " + id + " did not arrive within 120 s");
  }

  static long lastRound(JobSpec spec) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      RunRecord run = control.history(spec.name(), 1).get(0);
      return control.rounds(run.runId()).stream().mapToLong(RoundRecord::round).max().orElse(0);
    }
  }

  /** Waits until a round numbered {@code round} or later has been recorded. */
  static void awaitRound(JobSpec spec, long round, CompletableFuture<?> running) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (running.isDone()) {
        running.get();
      }
      try (ControlStore control = ControlStore.open(spec.control())) {
        RunRecord run = control.history(spec.name(), 1).get(0);
        Optional<RoundRecord> done =
            control.rounds(run.runId()).stream()
                .filter(r -> r.round() >= round && r.status() == RoundStatus.SUCCEEDED)
                .findAny();
        if (done.isPresent()) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("round " + round + " was not recorded within 120 s");
  }
}
