package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Lists each partition's round window exactly as {@link ListChangedFiles} lists a delta run's (the
 * same lister), and ends each round's listing with a {@link RoundEvent} on {@link #LISTED} that
 * says how many results the round will give, so that its record knows when the round is complete
 * without waiting for a window to close.
 */
public final class ListRoundWindows
    extends PTransform<PCollection<RoundPartition>, PCollectionTuple> {
  public static final TupleTag<FileToCopy> FILES = ListChangedFiles.FILES;
  public static final TupleTag<FileResult> FAILURES = ListChangedFiles.FAILURES;
  static final TupleTag<KV<String, RoundEvent>> LISTED = new TupleTag<>() {};

  private final JobSpec spec;
  private final RunContext run;
  private final PartitionLayout layout;

  public ListRoundWindows(JobSpec spec, RunContext run, PartitionLayout layout) {
    this.spec = spec;
    this.run = run;
    this.layout = layout;
  }

  @Override
  public PCollectionTuple expand(PCollection<RoundPartition> rounds) {
    PCollectionTuple out =
        rounds.apply(
            "List round window",
            ParDo.of(new ListRoundFn(spec, run, layout))
                .withOutputTags(FILES, TupleTagList.of(FAILURES).and(LISTED)));
    out.get(FILES).setCoder(SerializableCoder.of(FileToCopy.class));
    out.get(FAILURES).setCoder(SerializableCoder.of(FileResult.class));
    out.get(LISTED)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(RoundEvent.class)));
    return out;
  }

  static final class ListRoundFn extends DoFn<RoundPartition, FileToCopy> {
    private final ListChangedFiles.ListFn lister;
    private final boolean removeLeftovers;
    private transient Set<String> swept;

    ListRoundFn(JobSpec spec, RunContext run, PartitionLayout layout) {
      this.lister = new ListChangedFiles.ListFn(spec, run, null, layout);
      this.removeLeftovers = run.removeLeftovers();
    }

    @Setup
    public void setup() {
      lister.setup();
      swept = new HashSet<>();
    }

    @ProcessElement
    public void process(@Element RoundPartition round, MultiOutputReceiver out) {
      long[] expected = {0};
      boolean[] empty = {false};
      // What a killed run left in the sink is swept once per partition and worker; sweeping spares
      // this run's own temporary files, so a second sweep elsewhere costs a listing, nothing more.
      boolean sweep = removeLeftovers && swept.add(round.key().id());
      lister.list(
          round.key(),
          round.window(),
          sweep,
          file -> {
            expected[0]++;
            out.get(FILES).output(file.inRound(round.round()));
          },
          failure -> {
            // Entries left (stamped later, not files) are expected too: the round's warning
            // says them, so it waits for them as for the copies.
            if (failure.outcome() == FileResult.Outcome.LISTED_EMPTY) {
              empty[0] = true;
            } else {
              expected[0]++;
            }
            out.get(FAILURES).output(failure.inRound(round.round()));
          });
      out.get(LISTED)
          .output(
              KV.of(
                  StartRounds.resultKey(round.key().id(), round.round()),
                  RoundEvent.listed(round, expected[0], empty[0])));
    }

    @Teardown
    public void teardown() throws IOException {
      lister.teardown();
    }
  }
}
