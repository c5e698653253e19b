package io.copyjob.tabular.kusto;

import com.microsoft.azure.kusto.ingest.ColumnMapping;
import com.microsoft.azure.kusto.ingest.IngestionMapping.IngestionMappingKind;
import com.microsoft.azure.kusto.ingest.IngestionProperties;
import com.microsoft.azure.kusto.ingest.IngestionProperties.DataFormat;
import com.microsoft.azure.kusto.ingest.IngestionProperties.IngestionReportLevel;
import com.microsoft.azure.kusto.ingest.IngestionProperties.IngestionReportMethod;
import io.copyjob.spec.KustoSpec;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.PieceId;
import io.copyjob.tabular.SinkColumn;
import java.util.List;

/**
 * The ingestion properties of one piece's batches: database, table, format (CSV or Parquet), the
 * mapping, and the tag that makes a replay a no-op.
 *
 * <p>The mapping: a reference to one made on the table ({@code mappingRef}); else, with {@code
 * columns:}, inline: each column by its ordinal in the CSV, or by its path ({@code $.Name}) in the
 * Parquet file; else none, and Kusto maps a CSV by position and a Parquet file by name, as it does
 * for any ingestion without one.
 *
 * <p>Constant columns ({@code $runId}, {@code $source}...) are written into the batch as values,
 * not as a mapping's {@code ConstValue}: the mapper already gives each piece its own values, the
 * blob holds exactly the rows the table receives, and a {@code mappingRef} made on the cluster
 * works the same way. (The ingest SDK 6.0.2 also refuses a Parquet mapping column without a path:
 * its {@code ColumnMapping.isValid} asks for one, so a {@code ConstValue} column cannot be sent.)
 */
final class KustoBatches {
  private final String job;
  private final KustoSpec kusto;
  private final TableSpec table;
  private final KustoSpec.TableOptions options;
  private final PieceId piece;
  private final List<SinkColumn> columns;

  KustoBatches(
      String job,
      KustoSpec kusto,
      TableSpec table,
      KustoSpec.TableOptions options,
      PieceId piece,
      List<SinkColumn> columns) {
    this.job = job;
    this.kusto = kusto;
    this.table = table;
    this.options = options;
    this.piece = piece;
    this.columns = List.copyOf(columns);
  }

  KustoSpec.DataFormat format() {
    return options.format();
  }

  long batchSize() {
    return options.batchSize();
  }

  List<SinkColumn> columns() {
    return columns;
  }

  /** A name for the batch's file: the SDK names the blob after it. */
  String fileName(int batch) {
    return table.name()
        + "_"
        + piece.piece().substring(0, Math.min(12, piece.piece().length()))
        + "_"
        + batch
        + (options.format() == KustoSpec.DataFormat.PARQUET ? ".parquet" : ".csv");
  }

  /**
   * The tag of batch {@code batch} of the piece: the job, the table, the first run of the load (the
   * same for every run of it, so {@code run --only-failed} sends the same tags), the piece's hash
   * (its file and version) and the batch's number.
   */
  String tag(int batch) {
    return "copyjob/"
        + job
        + "/"
        + table.name()
        + "/"
        + piece.loadFrom()
        + "/"
        + piece.piece()
        + "/"
        + batch;
  }

  IngestionProperties properties(int batch) {
    IngestionProperties p = new IngestionProperties(kusto.database(), table.target());
    boolean parquet = options.format() == KustoSpec.DataFormat.PARQUET;
    p.setDataFormat(parquet ? DataFormat.PARQUET : DataFormat.CSV);
    IngestionMappingKind kind = parquet ? IngestionMappingKind.PARQUET : IngestionMappingKind.CSV;
    if (options.mappingRef() != null) {
      p.setIngestionMapping(options.mappingRef(), kind);
    } else if (!table.columns().isEmpty()) {
      ColumnMapping[] mapping = new ColumnMapping[columns.size()];
      for (int i = 0; i < columns.size(); i++) {
        SinkColumn c = columns.get(i);
        mapping[i] = new ColumnMapping(c.name(), KustoSink.kustoType(c.type()));
        if (parquet) {
          mapping[i].setPath("$." + c.name());
        } else {
          mapping[i].setOrdinal(i);
        }
      }
      p.setIngestionMapping(mapping, kind);
    }
    // Without columns: no mapping; Kusto takes a CSV by position and a Parquet file by name.
    p.setIgnoreFirstRecord(false); // the batches have no header
    String tag = tag(batch);
    p.setIngestByTags(List.of(tag));
    p.setIngestIfNotExists(List.of(tag));
    // Kusto's batching merges small ingestions; flushing each would make many small extents.
    p.setFlushImmediately(false);
    p.setReportLevel(
        switch (kusto.report().level()) {
          case NONE -> IngestionReportLevel.NONE;
          case FAILURES_ONLY -> IngestionReportLevel.FAILURES_ONLY;
          case FAILURES_AND_SUCCESSES -> IngestionReportLevel.FAILURES_AND_SUCCESSES;
        });
    p.setReportMethod(
        switch (kusto.report().method()) {
          case QUEUE -> IngestionReportMethod.QUEUE;
          case TABLE -> IngestionReportMethod.TABLE;
          case QUEUE_AND_TABLE -> IngestionReportMethod.QUEUE_AND_TABLE;
        });
    return p;
  }
}
