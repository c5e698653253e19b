package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec;
import java.sql.SQLException;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Writes the results of files that never reached the copy (a key the sink cannot hold, sink keys
 * that collide) to the run's manifest in the control store ({@code copyjob_files}); the copied,
 * skipped and failed copies are written by {@link CopyFiles#withManifest()}. A branch of its own
 * beside the partitions' records: the pipeline, and so the run's command, ends only once every file
 * is written, and a manifest that cannot be written fails the pipeline. These results are few (and
 * one for each partition that lists nothing), and the direct runner runs no step for an empty
 * bundle.
 */
public final class RecordManifest extends PTransform<PCollection<FileResult>, PDone> {
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
    private transient ManifestWriter manifest;

    ManifestFn(JobSpec spec, RunContext run) {
      this.spec = spec;
      this.run = run;
    }

    @Setup
    public void setup() {
      lease = LeaseKeeper.hold(spec, run);
      manifest = new ManifestWriter(spec, run, lease);
    }

    @ProcessElement
    public void process(@Element FileResult result) throws SQLException {
      lease.check();
      manifest.add(result);
    }

    @FinishBundle
    public void finishBundle() throws SQLException {
      manifest.flush();
    }

    @Teardown
    public void teardown() {
      if (lease != null) {
        lease.release();
      }
    }
  }
}
