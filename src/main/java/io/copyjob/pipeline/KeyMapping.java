package io.copyjob.pipeline;

import io.copyjob.spec.JobSpec.CopyBehavior;

/** Where a source key lands below the sink root. */
final class KeyMapping {
  private KeyMapping() {}

  static String sinkKey(CopyBehavior behavior, String sourceKey) {
    return switch (behavior) {
      case PRESERVE_HIERARCHY -> sourceKey;
        // Flattened names stay unique within a root because the whole key is kept.
      case FLATTEN_HIERARCHY -> sourceKey.replace('/', '_');
    };
  }
}
