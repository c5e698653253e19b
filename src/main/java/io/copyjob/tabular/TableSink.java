package io.copyjob.tabular;

import io.copyjob.spec.TabularSpec.TableSpec;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/**
 * Where a tabular job's rows go: one implementation per kind of sink (a JDBC database, Parquet or
 * CSV files in a store; Azure Data Explorer later), chosen from the job file. Made once per job on
 * the client and once per DoFn instance on the workers (serialized with the DoFn: connections are
 * made where it runs, never serialized); {@link #close} ends what a worker opened.
 *
 * <p>The contract that makes a run exactly-once: a piece's rows become visible together with a
 * record that the piece was loaded ({@link PieceWriter#commit}); {@link #loaded} finds that record,
 * so a piece retried after its commit (a failed bundle, a failover) writes nothing again, and
 * {@link #open} claims the piece, so two attempts at once write it once.
 */
public interface TableSink extends Serializable, AutoCloseable {
  /**
   * Before the run: checks that the sink can be reached and creates what it keeps of its own (the
   * ledger of loaded pieces). Throws one line naming the sink, never a secret.
   */
  void prepare() throws IOException;

  /**
   * The sink table of {@code table}, read before any row of it is written. Reads only.
   *
   * @throws MappingException when it does not exist (one line naming it): {@link #missing} tells
   *     that case from the others
   */
  SinkTable describe(TableSpec table) throws MappingException, IOException;

  /** Whether {@code e}, thrown by {@link #describe}, says that the sink table does not exist. */
  boolean missing(MappingException e);

  /**
   * Creates {@code table}'s missing sink table ({@code createTable: true}, or always for a sink
   * that {@link #createsAlways}): a column per sink column of the explicit mapping, typed by its
   * {@code type}, else by the type of the source column it maps where the source has one (text when
   * neither says), else a column per column of {@code sourceColumns} (the files' header, the source
   * table's columns) with the source's type where it has one; the key columns are its primary key.
   * Returns it as {@link #describe} finds it.
   *
   * @throws MappingException when there are no columns to create it with (one line)
   */
  SinkTable create(TableSpec table, SourceColumns sourceColumns)
      throws MappingException, IOException;

  /**
   * Whether {@link #create} makes the sink table whatever {@code createTable} says: a file sink has
   * no table to find, only the mapping's and the source's columns to write its files with.
   */
  default boolean createsAlways() {
    return false;
  }

  /** The source's columns (a file's header, a table's columns), read only to create a table. */
  @FunctionalInterface
  interface SourceColumns {
    /** The columns in order, typed where the source has types; empty when it names none. */
    Optional<List<SourceColumn>> columns() throws IOException;
  }

  /**
   * The table-level step before a table's pieces, once its mapping is checked: empties the sink
   * table for {@code truncateBeforeFullCopy}, or makes an empty staging table for {@code overwrite}
   * (dropping one a killed run left). Does nothing when the ledger shows pieces of this load
   * already (a planning step executed again, or a rerun going on with a load): what they wrote is
   * kept.
   *
   * @param loadFrom the first run of the table's load ({@link PieceId#loadFrom})
   * @return the table pieces write into: {@code target}, or the staging table
   */
  SinkTable begin(TableSpec table, SinkTable target, long runId, long loadFrom) throws IOException;

  /** Whether the ledger shows the piece loaded by its load already: then it writes nothing. */
  boolean loaded(PieceId piece) throws IOException;

  /**
   * Starts writing one piece into {@code table}'s {@code columns}, in one unit (a transaction) that
   * {@link PieceWriter#commit} makes visible whole, or {@link PieceWriter#close} drops. The piece
   * is claimed first: while one attempt writes it, another attempt at the same piece (a retried
   * bundle running at the same time) waits, and finds it loaded once the first commits.
   *
   * @return the writer, or empty when another attempt loaded the piece meanwhile
   */
  Optional<PieceWriter> open(
      PieceId piece, TableSpec spec, SinkTable table, List<SinkColumn> columns) throws IOException;

  /**
   * After every piece of a table succeeded: the step a write behaviour needs to make the table's
   * rows visible ({@code overwrite}: the staging table's rows replace the table's in one
   * transaction, then the staging table is dropped; a file sink deletes the folder's older files).
   * Append and upsert have none. Safe to call again after it succeeded (it finds no staging table
   * and does nothing).
   *
   * @param runId the run whose rows are made visible
   * @throws IOException when the rows cannot replace the old ones (the old rows stay whole)
   */
  default void commit(TableSpec table, long runId) throws IOException {}

  /**
   * After a table failed: drops what {@link #commit} would have made visible (staging; a file
   * sink's files of the run, for overwrite).
   */
  default void abort(TableSpec table, long runId) throws IOException {}

  /**
   * What the run's record says of a table that succeeded, beside its counts (a sink whose writes
   * land after the run, as Kusto's queued ingestion, says where their outcome is read); null: none.
   */
  default String outcome(TableSpec table) {
    return null;
  }

  @Override
  void close() throws IOException;
}
