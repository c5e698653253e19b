package io.copyjob.tabular;

import java.io.Serializable;

/**
 * One piece of one table in one run, as the sink's ledger of loaded pieces keys it.
 *
 * @param job the job's name
 * @param table the table's name in the job file
 * @param piece the piece's identity: a hash of the source file and its listed version, so a file
 *     changed since is a new piece
 * @param runId the run loading it
 * @param loadFrom the first run of the load this run belongs to: a piece loaded by it or a later
 *     run is not loaded again (this run's id; {@code run --only-failed}: the run after the table's
 *     last success)
 */
public record PieceId(String job, String table, String piece, long runId, long loadFrom)
    implements Serializable {}
