package io.copyjob.tabular.pipeline;

import java.io.Serializable;

/**
 * What reaches a table's round record: some of its piece results summed ({@code tally}, {@code
 * results} of them), or the end of its planning ({@code planned}) with how many results the round
 * gives in all ({@code expected}: each piece, or the table's failure).
 */
record TableRoundEvent(TableTally tally, long results, TableRound planned, long expected)
    implements Serializable {

  static TableRoundEvent of(TableTally tally, long results) {
    return new TableRoundEvent(tally, results, null, 0);
  }

  static TableRoundEvent planned(TableRound round, long expected) {
    return new TableRoundEvent(null, 0, round, expected);
  }
}
