package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import java.io.Serializable;

/**
 * One partition's round of a continuous run, as its tick started it.
 *
 * @param round the round's number within the run
 * @param window the LastModified window the round lists, fixed when the round started
 */
public record RoundPartition(long round, PartitionKey key, DeltaWindow window)
    implements Serializable {}
