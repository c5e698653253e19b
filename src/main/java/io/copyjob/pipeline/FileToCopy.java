package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.store.FileInfo;
import java.io.Serializable;

/**
 * A listed file that the run copies, with the partition it counts against.
 *
 * @param sinkKnown whether the listing learnt what the sink holds at the file's sink key; when
 *     false the copier asks the sink
 * @param atSink the file the sink holds there when known, null when known to be absent
 * @param round the continuous run's round that listed it (from 1), 0 in a batch run
 */
public record FileToCopy(
    PartitionKey partition, FileInfo file, boolean sinkKnown, FileInfo atSink, long round)
    implements Serializable {

  /** A file listed by a batch run. */
  public FileToCopy(PartitionKey partition, FileInfo file, boolean sinkKnown, FileInfo atSink) {
    this(partition, file, sinkKnown, atSink, 0);
  }

  /** A file whose sink state is not known: the copier asks the sink. */
  public FileToCopy(PartitionKey partition, FileInfo file) {
    this(partition, file, false, null);
  }

  /** The same file, listed by round {@code round} of a continuous run. */
  public FileToCopy inRound(long round) {
    return new FileToCopy(partition, file, sinkKnown, atSink, round);
  }
}
