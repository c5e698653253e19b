package io.copyjob.pipeline;

import java.io.Serializable;

/**
 * What reaches a partition's round record: either some of its results summed ({@code tally}), or
 * its listing's end ({@code listed}) with how many results the round gives in all ({@code
 * expected}: each file listed, each failure; an empty listing is a flag, not a result: {@code
 * listedEmpty}, whether the listing gave no file at all).
 */
record RoundEvent(PartitionTally tally, RoundPartition listed, long expected, boolean listedEmpty)
    implements Serializable {

  static RoundEvent of(PartitionTally tally) {
    return new RoundEvent(tally, null, 0, false);
  }

  static RoundEvent listed(RoundPartition round, long expected, boolean listedEmpty) {
    return new RoundEvent(null, round, expected, listedEmpty);
  }
}
