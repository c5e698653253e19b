package io.copyjob.tabular.pipeline;

import java.io.Serializable;

/**
 * One table's round of a continuous run, as its tick started it: the table is read above its
 * watermark as the control store holds it when the round plans it.
 *
 * @param round the round's number within the run
 */
public record TableRound(long round, TableKey table) implements Serializable {}
