package io.copyjob.tabular.kusto;

import com.azure.core.exception.AzureException;
import com.microsoft.azure.kusto.ingest.IngestClient;
import com.microsoft.azure.kusto.ingest.result.IngestionResult;
import com.microsoft.azure.kusto.ingest.result.IngestionStatus;
import com.microsoft.azure.kusto.ingest.result.OperationStatus;
import com.microsoft.azure.kusto.ingest.source.FileSourceInfo;
import io.copyjob.spec.KustoSpec;
import io.copyjob.tabular.MappedRow;
import io.copyjob.tabular.PieceWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One piece's rows into Kusto: written as CSV or Parquet ({@link KustoBatchFile}) into a local
 * batch file until it holds the table's {@code batchSize} (uncompressed), then queued through the
 * SDK and a new batch begun; the last batch is queued by {@link #commit}.
 *
 * <p>A batch queued before the piece fails stays queued: a rerun sends it again under the same tag
 * and the cluster drops it ({@code ingestIfNotExists}). With status reporting into the status
 * table, {@link #commit} waits for the outcome of the piece's batches, up to the report's timeout.
 */
final class KustoPieceWriter implements PieceWriter {
  private static final Logger LOG = LoggerFactory.getLogger(KustoPieceWriter.class);
  private static final long POLL_MILLIS = 2_000;

  private final IngestClient client;
  private final KustoBatches batches;
  private final KustoSpec.Report report;
  private final String where;
  private final List<IngestionResult> results = new ArrayList<>();
  private Path dir;
  private Path file;
  private KustoBatchFile out;
  private int batch;
  private long rowsInBatch;
  private long rowsSent;
  private long bytesSent;

  KustoPieceWriter(
      IngestClient client, KustoBatches batches, KustoSpec.Report report, String where) {
    this.client = client;
    this.batches = batches;
    this.report = report;
    this.where = where;
  }

  @Override
  public void write(List<MappedRow> rows, Rejects rejects) throws IOException {
    for (MappedRow row : rows) {
      if (out == null) {
        begin();
      }
      out.write(row.values());
      rowsInBatch++;
      if (out.rawBytes() >= batches.batchSize()) {
        queue();
      }
    }
  }

  /** A value as Kusto's CSV parser reads it into the column's type; null is an empty field. */
  static String text(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (value instanceof OffsetDateTime t) {
      return DateTimeFormatter.ISO_INSTANT.format(t.toInstant());
    }
    if (value instanceof LocalDateTime t) {
      return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(t); // Kusto reads it as UTC
    }
    if (value instanceof LocalDate d) {
      return DateTimeFormatter.ISO_LOCAL_DATE.format(d);
    }
    if (value instanceof byte[] bytes) {
      return java.util.Base64.getEncoder().encodeToString(bytes);
    }
    return value.toString();
  }

  private void begin() throws IOException {
    if (dir == null) {
      dir = Files.createTempDirectory("copyjob-kusto-");
    }
    file = dir.resolve(batches.fileName(batch));
    out = KustoBatchFile.open(file, batches.format(), batches.columns());
    rowsInBatch = 0;
  }

  /** Hands the current batch to the SDK, which uploads it and queues its ingestion. */
  private void queue() throws IOException {
    long bytes;
    try {
      out.finish();
      bytes = out.rawBytes(); // a CSV's count is whole once its buffer is flushed
    } finally {
      out.close();
      out = null;
    }
    try {
      results.add(
          client.ingestFromFile(new FileSourceInfo(file.toString()), batches.properties(batch)));
    } catch (AzureException e) {
      throw new IOException(
          where + ": cannot send batch " + batch + ": " + KustoErrors.oneLine(e), e);
    }
    rowsSent += rowsInBatch;
    bytesSent += bytes;
    LOG.debug("{}: queued batch {} ({} rows, {} bytes)", where, batch, rowsInBatch, bytes);
    Files.deleteIfExists(file);
    batch++;
  }

  @Override
  public void commit(long rowsWritten) throws IOException {
    if (out != null && rowsInBatch > 0) {
      queue();
    }
    if (report.waits()) {
      awaitOutcome();
    } else if (batch > 0) {
      LOG.info(
          "{}: queued {} batch(es), {} rows, {} bytes; the cluster ingests them on its own:"
              + " .show ingestion failures shows any that fail",
          where,
          batch,
          rowsSent,
          bytesSent);
    }
  }

  /** Waits for every batch to leave Pending in the status table; a failed one fails the piece. */
  private void awaitOutcome() throws IOException {
    long deadline = System.currentTimeMillis() + report.timeout().toMillis();
    for (int i = 0; i < results.size(); i++) {
      while (true) {
        IngestionStatus status = status(results.get(i), i);
        OperationStatus s = status.status;
        if (s == OperationStatus.Succeeded || s == OperationStatus.Skipped) {
          break;
        }
        if (s == OperationStatus.Failed || s == OperationStatus.PartiallySucceeded) {
          throw new IOException(
              where
                  + ": batch "
                  + i
                  + " "
                  + s
                  + ": "
                  + status.getErrorCode()
                  + (status.getDetails() == null ? "" : ": " + status.getDetails()));
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IOException(
              where
                  + ": batch "
                  + i
                  + " is still "
                  + s
                  + " after "
                  + report.timeout().toSeconds()
                  + " s (report.timeout); a rerun sends it again and the cluster drops it if it"
                  + " lands meanwhile");
        }
        try {
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(where + ": interrupted while waiting for batch " + i, e);
        }
      }
    }
  }

  private IngestionStatus status(IngestionResult result, int i) throws IOException {
    try {
      List<IngestionStatus> statuses = result.getIngestionStatusCollection();
      return statuses.get(0);
    } catch (Exception e) { // URISyntaxException, TableServiceErrorException, AzureException
      throw new IOException(
          where + ": cannot read the status of batch " + i + ": " + KustoErrors.oneLine(e), e);
    }
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
      out = null;
    }
    if (dir != null) {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
      dir = null;
    }
  }
}
