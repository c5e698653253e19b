package io.copyjob.tabular.kusto;

import com.microsoft.azure.kusto.ingest.IngestClient;
import io.copyjob.spec.ColumnType;
import io.copyjob.spec.KustoSpec;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.PieceId;
import io.copyjob.tabular.PieceWriter;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.SourceColumn;
import io.copyjob.tabular.TableSink;
import java.io.IOException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An Azure Data Explorer (Kusto) sink: each piece's rows are written as CSV or Parquet into local
 * batch files of at most the table's {@code batchSize} (uncompressed), and each batch is handed to
 * the ingest SDK's queued client (or its managed streaming client), which uploads it (a CSV
 * compressed with gzip) to a container the cluster hands out and queues its ingestion.
 *
 * <p>Kusto has no transaction to commit a piece in, so a replay is made harmless instead: every
 * batch is tagged {@code ingest-by:} with the job, the table, the first run of the load, the piece
 * and the batch's number, and sent with {@code ingestIfNotExists} on that tag. A piece retried (a
 * failed bundle, {@code run --only-failed}) writes the same batches under the same tags, and the
 * cluster drops those it holds already. So {@link #loaded} finds nothing and {@link #open} claims
 * nothing: the cluster is the ledger.
 *
 * <p>The sink table is the job file's mapping ({@link #describe}), or without one the source's
 * columns ({@link #create}): Kusto's schema is not read.
 */
public final class KustoSink implements TableSink {
  /** A Parquet (Avro) field name, which the Parquet batches' columns are written under. */
  private static final Pattern PARQUET_FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final String job;
  private final KustoSpec kusto;
  private transient IngestClient queued;
  private transient IngestClient streaming;

  public KustoSink(String job, KustoSpec kusto) {
    this.job = job;
    this.kusto = kusto;
  }

  /** The Kusto type a column of copyjob's type is written as. */
  static String kustoType(ColumnType type) {
    if (type == null) {
      return "string";
    }
    return switch (type.kind()) {
      case SMALLINT, INTEGER -> "int";
      case BIGINT -> "long";
      case DECIMAL -> "decimal";
      case DOUBLE -> "real";
      case BOOLEAN -> "bool";
      case DATE, TIMESTAMP, TIMESTAMPTZ -> "datetime";
      case UUID -> "guid";
      case TIME -> "timespan";
        // Kusto has no binary type: bytes are written as their base64 text.
      case TEXT, BYTES -> "string";
    };
  }

  private String where() {
    return "sink " + KustoClients.where(kusto.cluster()) + " database " + kusto.database();
  }

  /**
   * Makes the ingest client, reading its secrets: an unset variable is one line before any row is
   * read. The cluster is first asked for its ingestion resources when the first batch is queued.
   */
  @Override
  public void prepare() throws IOException {
    client(false);
  }

  private IngestClient client(boolean stream) throws IOException {
    if (stream) {
      if (streaming == null) {
        streaming = KustoClients.streaming(kusto.cluster());
      }
      return streaming;
    }
    if (queued == null) {
      queued = KustoClients.queued(kusto.cluster());
    }
    return queued;
  }

  /**
   * The table as the job file's mapping describes it, in its order: each sink column typed by its
   * mapping's type (a constant's own type when it has none, else text), all nullable. Without
   * {@code columns:} the source's columns are the table's ({@link #create}).
   */
  @Override
  public SinkTable describe(TableSpec table) throws MappingException {
    if (table.columns().isEmpty()) {
      throw new ColumnsFromSource(table);
    }
    List<SourceColumn> columns = new ArrayList<>();
    for (ColumnMapping m : table.columns()) {
      columns.add(
          new SourceColumn(
              m.sink(),
              m.type() != null ? m.type() : m.constant() != null ? m.constant().type() : null));
    }
    return sinkTable(table, columns);
  }

  /** A table without {@code columns:}: {@link #create} takes the source's. */
  private static final class ColumnsFromSource extends MappingException {
    ColumnsFromSource(TableSpec table) {
      super("Kusto table " + table.target() + ": its columns come from the source");
    }
  }

  @Override
  public boolean missing(MappingException e) {
    return e instanceof ColumnsFromSource; // describe reads nothing from the cluster
  }

  /** Kusto's table is never created; a table without {@code columns:} takes the source's. */
  @Override
  public boolean createsAlways() {
    return true;
  }

  /**
   * The table as the source's columns describe it (a CSV header, a Parquet or database schema), in
   * their order, with their types where the source has them: rows are written in that order, with
   * no mapping, so Kusto takes a CSV batch's fields by position and a Parquet batch's by name.
   */
  @Override
  public SinkTable create(TableSpec table, SourceColumns sourceColumns)
      throws MappingException, IOException {
    List<SourceColumn> columns = sourceColumns.columns().orElse(List.of());
    if (columns.isEmpty()) {
      throw new MappingException(
          "Kusto table "
              + table.target()
              + ": the source names no columns (no header); list them under columns:");
    }
    return sinkTable(table, columns);
  }

  private SinkTable sinkTable(TableSpec table, List<SourceColumn> sourceColumns)
      throws MappingException {
    boolean parquet = kusto.table(table.name()).format() == KustoSpec.DataFormat.PARQUET;
    List<SinkColumn> columns = new ArrayList<>();
    for (SourceColumn c : sourceColumns) {
      if (parquet && !PARQUET_FIELD.matcher(c.name()).matches()) {
        throw new MappingException(
            "Kusto table "
                + table.target()
                + ": column '"
                + c.name()
                + "' cannot be a Parquet field name (letters, digits and '_', not starting with a"
                + " digit); use format: csv, or a mappingRef with columns: naming it otherwise");
      }
      ColumnType type = c.type() != null ? c.type() : ColumnType.of(ColumnType.Kind.TEXT);
      columns.add(
          new SinkColumn(c.name(), type, kustoType(type), Types.OTHER, true, true, false, false));
    }
    String name = kusto.database() + "." + table.target();
    return new SinkTable(name, table.target(), "", columns);
  }

  @Override
  public SinkTable begin(TableSpec table, SinkTable target, long runId, long loadFrom) {
    return target;
  }

  @Override
  public boolean loaded(PieceId piece) {
    return false; // the cluster drops a batch whose tag it holds (ingestIfNotExists)
  }

  @Override
  public Optional<PieceWriter> open(
      PieceId piece, TableSpec spec, SinkTable table, List<SinkColumn> columns) throws IOException {
    KustoSpec.TableOptions options = kusto.table(spec.name());
    return Optional.of(
        new KustoPieceWriter(
            client(options.streaming()),
            new KustoBatches(job, kusto, spec, options, piece, columns),
            kusto.report(),
            where() + " table " + spec.target()));
  }

  /**
   * Without status reporting into the status table the run ends when the batches are queued: it
   * says so, and where their fate is read. With it, each piece waited for its batches' outcome.
   */
  @Override
  public String outcome(TableSpec table) {
    if (kusto.report().waits()) {
      return null;
    }
    return "rows queued for ingestion into "
        + kusto.database()
        + "."
        + table.target()
        + "; the cluster ingests them after the run: .show ingestion failures shows any batch"
        + " that fails (set sink.kusto.report.method: table to wait for the outcome)";
  }

  @Override
  public void close() throws IOException {
    IOException failed = null;
    for (IngestClient c : new IngestClient[] {queued, streaming}) {
      if (c != null) {
        try {
          c.close();
        } catch (IOException e) {
          failed = e;
        }
      }
    }
    queued = null;
    streaming = null;
    if (failed != null) {
      throw failed;
    }
  }
}
