package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.control.RootNames;
import io.copyjob.spec.JobSpec;

/**
 * Where a source key lands below the sink root. Files of {@code source.root} keep their key (or
 * flattened name); files of another root of the same control table land below a folder named after
 * that root's bucket, container or folder, so that two buckets never overwrite each other.
 */
final class KeyMapping {
  private KeyMapping() {}

  static String sinkKey(JobSpec spec, PartitionKey partition, String sourceKey) {
    String key =
        switch (spec.copy().behavior()) {
          case PRESERVE_HIERARCHY -> sourceKey;
            // Flattened names stay unique within a root because the whole key is kept.
          case FLATTEN_HIERARCHY -> sourceKey.replace('/', '_');
        };
    boolean otherRoot = !partition.root().equals(spec.source().root().toString());
    return otherRoot ? RootNames.name(partition.root()) + "/" + key : key;
  }
}
