package io.copyjob.tabular;

import io.copyjob.spec.TabularSpec.TableSpec;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/**
 * Where a tabular job's rows go: one implementation per kind of sink (a JDBC database today;
 * Parquet files, Azure Data Explorer later), chosen from the job file. Made once per job on the
 * client and once per DoFn instance on the workers (serialized with the DoFn: connections are made
 * where it runs, never serialized); {@link #close} ends what a worker opened.
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
   * The sink table of {@code table}, read before any row of it is written.
   *
   * @throws MappingException when it does not exist (one line naming it)
   */
  SinkTable describe(TableSpec table) throws MappingException, IOException;

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
  Optional<PieceWriter> open(PieceId piece, SinkTable table, List<SinkColumn> columns)
      throws IOException;

  /**
   * After every piece of a table succeeded: the step a write behaviour needs to make the table's
   * rows visible (swap a staging table in, merge it). Append has none.
   */
  default void commit(TableSpec table, SinkTable sinkTable) throws IOException {}

  /** After a table failed: undo what {@link #commit} would have made visible (drop staging). */
  default void abort(TableSpec table, SinkTable sinkTable) throws IOException {}

  @Override
  void close() throws IOException;
}
