package io.copyjob.pipeline;

import io.copyjob.control.PartitionKey;
import io.copyjob.store.FileInfo;
import java.io.Serializable;

/** A listed file that the run copies, with the partition it counts against. */
public record FileToCopy(PartitionKey partition, FileInfo file) implements Serializable {}
