package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.FileRecord;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.BackOff;
import org.apache.beam.sdk.util.FluentBackoff;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each file's result to the run's manifest in the control store ({@code copyjob_files}),
 * {@value #BATCH} files a transaction (and what a bundle has at its end). A branch of its own
 * beside the partitions' records: the pipeline, and so the run's command, ends only once every file
 * is written, and a manifest that cannot be written fails the pipeline. Results that are not about
 * a file (a partition's listing) are not written.
 */
public final class RecordManifest extends PTransform<PCollection<FileResult>, PDone> {
  /** Files per manifest write: one round trip and one transaction each. */
  static final int BATCH = 1000;

  private static final Logger LOG = LoggerFactory.getLogger(RecordManifest.class);

  /** About a minute of tries: long enough for a failover, short of hiding a dead store. */
  private static final FluentBackoff BACKOFF =
      FluentBackoff.DEFAULT
          .withInitialBackoff(org.joda.time.Duration.millis(200))
          .withMaxBackoff(org.joda.time.Duration.standardSeconds(10))
          .withMaxCumulativeBackoff(org.joda.time.Duration.standardSeconds(60));

  private final JobSpec spec;
  private final RunContext run;

  public RecordManifest(JobSpec spec, RunContext run) {
    this.spec = spec;
    this.run = run;
  }

  @Override
  public PDone expand(PCollection<FileResult> results) {
    results.apply("Write manifest rows", ParDo.of(new ManifestFn(spec, run)));
    return PDone.in(results.getPipeline());
  }

  static final class ManifestFn extends DoFn<FileResult, Void> {
    private final JobSpec spec;
    private final RunContext run;
    private transient LeaseKeeper lease;
    private transient List<FileResult> pending;

    ManifestFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
    }

    @Setup
    public void setup() {
      lease = LeaseKeeper.hold(spec, run);
    }

    @StartBundle
    public void startBundle() {
      pending = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element FileResult result) throws SQLException {
      // A volatile read: a run that lost its lease fails here at once, not a batch later, so the
      // copies still queued are cancelled with it.
      lease.check();
      if (result.key() == null) {
        return;
      }
      pending.add(result);
      if (pending.size() >= BATCH) {
        write();
        pending.clear();
      }
    }

    @FinishBundle
    public void finishBundle() throws SQLException {
      if (!pending.isEmpty()) {
        write();
        pending.clear();
      }
    }

    private void write() throws SQLException {
      lease.check(); // a run that lost its lease writes nothing more
      List<FileRecord> rows = new ArrayList<>(pending.size());
      for (FileResult r : pending) {
        rows.add(
            new FileRecord(
                r.partition().prefix(),
                r.key(),
                r.sinkKey(),
                r.size(),
                r.bytes(),
                r.md5(),
                r.outcome().name(),
                r.error()));
      }
      // A fresh connection per try: a cloud gateway or a database restart kills connections, and
      // rows written twice by a retried write count once (readers keep a file's last row).
      BackOff backoff = BACKOFF.backoff();
      while (true) {
        try (ControlStore control = ControlStore.openExisting(spec.control())) {
          control.recordFiles(run.runId(), spec.name(), rows);
          return;
        } catch (SQLException e) {
          long wait = nextWait(backoff);
          if (wait == BackOff.STOP) {
            throw e;
          }
          LOG.warn(
              "writing {} files of run id {} to the manifest failed ({}); trying again in {} ms",
              rows.size(),
              run.runId(),
              e.getMessage(),
              wait);
          sleep(wait);
          lease.check();
        }
      }
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

    @Teardown
    public void teardown() {
      if (lease != null) {
        lease.release();
      }
    }
  }
}
