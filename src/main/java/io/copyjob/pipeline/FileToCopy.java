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
 */
public record FileToCopy(PartitionKey partition, FileInfo file, boolean sinkKnown, FileInfo atSink)
    implements Serializable {

  /** A file whose sink state is not known: the copier asks the sink. */
  public FileToCopy(PartitionKey partition, FileInfo file) {
    this(partition, file, false, null);
  }
}
