package io.copyjob.pipeline;

import java.io.Serializable;

/**
 * What reaches a partition's round record: either some of its results summed ({@code tally}), or
 * its listing's end ({@code listed}) with how many results the round gives in all ({@code
 * expected}: each file listed, each failure; an empty listing is a flag, not a result).
 */
record RoundEvent(PartitionTally tally, RoundPartition listed, long expected)
    implements Serializable {

  static RoundEvent of(PartitionTally tally) {
    return new RoundEvent(tally, null, 0);
  }

  static RoundEvent listed(RoundPartition round, long expected) {
    return new RoundEvent(null, round, expected);
  }
}
