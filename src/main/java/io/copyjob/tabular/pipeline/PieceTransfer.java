package io.copyjob.tabular.pipeline;

import io.copyjob.pipeline.PipelineJob;
import io.copyjob.pipeline.ProgressMeter;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.FaultTolerance;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.tabular.DeadLetter;
import io.copyjob.tabular.MappedRow;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.PieceId;
import io.copyjob.tabular.PieceWriter;
import io.copyjob.tabular.RowConstants;
import io.copyjob.tabular.RowMapper;
import io.copyjob.tabular.RowReadException;
import io.copyjob.tabular.RowReader;
import io.copyjob.tabular.RowReaders;
import io.copyjob.tabular.RowRejected;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SourceRow;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.jdbc.JdbcRowReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one piece, streamed: reads its rows ({@link RowReader}), maps and converts them ({@link
 * RowMapper}), writes them in batches ({@link PieceWriter}) and commits them with the piece's
 * ledger entry, so a retried piece writes nothing twice. A row that cannot be converted, or that
 * the database refuses, fails the piece (nothing of it is written) or, with {@code
 * skipIncompatibleRows}, goes to the dead letter; past {@code maxRejectedRows} the piece fails. One
 * instance per DoFn instance; not thread-safe.
 */
final class PieceTransfer {
  private static final Logger LOG = LoggerFactory.getLogger(PieceTransfer.class);

  /** Rows held in memory per batch: what bounds a worker's memory per piece. */
  static final int BATCH_ROWS = 5_000;

  private final JobSpec spec;
  private final RunContext run;
  private final long runNumber;
  private final StoreCache stores;
  private final TableSink sink;

  PieceTransfer(JobSpec spec, RunContext run, long runNumber, StoreCache stores, TableSink sink) {
    this.spec = spec;
    this.run = run;
    this.runNumber = runNumber;
    this.stores = stores;
    this.sink = sink;
  }

  /** The ledger's key of a piece: its file and the version listed (a changed file is new). */
  static String pieceHash(Piece piece) {
    if (piece.read() != null) {
      return piece.read().hash();
    }
    // A group's id is its files' ids in order: a file changed or moved in or out is a new piece.
    StringBuilder id = new StringBuilder();
    for (FileInfo file : piece.files()) {
      if (id.length() > 0) {
        id.append('\u0002');
      }
      id.append(piece.where(file))
          .append('\u0001')
          .append(file.size())
          .append('\u0001')
          .append(file.version() != null ? file.version() : String.valueOf(file.lastModified()));
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(id.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The piece's id in the sink's ledger. */
  PieceId pieceId(Piece piece) {
    long loadFrom = piece.table().loadFrom() > 0 ? piece.table().loadFrom() : run.runId();
    return new PieceId(spec.name(), piece.table().name(), pieceHash(piece), run.runId(), loadFrom);
  }

  /** The values of the table's constant columns for {@code piece} (a group: its first file). */
  static RowConstants constants(
      JobSpec spec, RunContext run, long runNumber, TableSpec table, Piece piece) {
    return constants(spec, run, runNumber, table, piece, piece.file());
  }

  /** The values of the table's constant columns for the rows of {@code file} of the piece. */
  private static RowConstants constants(
      JobSpec spec, RunContext run, long runNumber, TableSpec table, Piece piece, FileInfo file) {
    return new RowConstants(
        run.runId(),
        runNumber,
        run.runStart(),
        spec.name(),
        table.name(),
        source(table, piece, file));
  }

  /** Where a piece's rows come from, for {@code $source}: the file below the root, or the table. */
  private static String source(TableSpec table, Piece piece, FileInfo file) {
    if (file != null) {
      return file.key();
    }
    return table.source() != null && table.source().table() != null
        ? table.source().table()
        : table.name();
  }

  PieceResult load(Piece piece) {
    return load(piece, null);
  }

  /**
   * Loads the piece, counting on {@code meter} (when given) its rows as each batch is written,
   * taken back when the piece fails (its transaction writes none of them), and the time spent
   * writing them apart from the rest (reading and mapping).
   */
  PieceResult load(Piece piece, ProgressMeter meter) {
    long began = System.nanoTime();
    Load load = new Load(piece, pieceId(piece), meter);
    PieceResult result = load(load);
    if (meter != null) {
      if (result.outcome() != PieceResult.Outcome.LOADED) {
        meter.rows(-load.metered);
      }
      meter.writing(load.writingNanos);
      meter.reading(Math.max(0, System.nanoTime() - began - load.writingNanos));
    }
    return result;
  }

  private PieceResult load(Load load) {
    Piece piece = load.piece;
    long start = System.currentTimeMillis();
    try (DeadLetter.Part rejected = load.rejected) {
      try {
        if (sink.loaded(load.id)) {
          return load.result(PieceResult.Outcome.SKIPPED, start, null);
        }
        return load.result(
            load.transfer() ? PieceResult.Outcome.LOADED : PieceResult.Outcome.SKIPPED,
            start,
            null);
      } catch (IOException e) {
        load.keepRejectedAfterFailure();
        String message = e.getMessage() == null ? PipelineJob.oneLine(e) : e.getMessage();
        boolean named =
            e instanceof PieceFailed
                || e instanceof RowReadException
                || message.startsWith(piece.where());
        return load.result(
            PieceResult.Outcome.FAILED, start, named ? message : piece.where() + ": " + message);
      }
    } catch (IOException e) {
      // Only the temporary file of rejected rows failed to close; the piece's outcome was reported.
      LOG.warn("Could not remove a temporary file of rejected rows: {}", e.getMessage());
      return load.result(PieceResult.Outcome.FAILED, start, piece.where() + ": " + e.getMessage());
    }
  }

  /** One piece's load: its counts and its rejected rows. */
  private final class Load {
    private final Piece piece;
    private final PieceId id;
    private final FaultTolerance faults = spec.tabular().faultTolerance();
    private final DeadLetter.Part rejected;
    private long read;
    private long written;
    private long rejectedRows;
    private long refused;
    private final ProgressMeter meter;
    private long metered;
    private long writingNanos;

    /** The file (or range) being read: what a rejected row or a failure is named by. */
    private String current;

    /** Set while the sink is called: its failure concerns the piece's batch, not one file. */
    private boolean inSink;

    Load(Piece piece, PieceId id, ProgressMeter meter) {
      this.piece = piece;
      this.id = id;
      this.meter = meter;
      this.rejected = new DeadLetter.Part(piece.where());
      this.current = piece.where();
    }

    /**
     * Reads, maps and writes the piece; true when committed, false when another attempt was. A
     * group's files are read one after the other into the same writer, so they share its batches;
     * each file's rows take their own constants and are named by their own file.
     */
    boolean transfer() throws IOException {
      TableSpec table = spec.tabular().table(piece.table().name());
      List<FileInfo> files = piece.read() != null ? null : piece.files();
      int count = files == null ? 1 : files.size();
      try (Opened opened = new Opened()) {
        List<MappedRow> batch = new ArrayList<>();
        PieceWriter.Rejects refusals =
            (refusedRow, why) -> {
              refused++;
              reject(refusedRow.source(), why);
            };
        for (int i = 0; i < count; i++) {
          FileInfo file = files == null ? null : files.get(i);
          current = file == null ? piece.where() : piece.where(file);
          try (RowReader reader = open(file)) {
            SourceRow row = reader.next();
            RowMapper.Bound mapping = null;
            if (row != null) { // a file without rows needs no mapping: its header is not checked
              try {
                mapping =
                    RowMapper.of(table, piece.sink())
                        .bind(
                            reader.columnNames(),
                            constants(spec, run, runNumber, table, piece, file));
              } catch (MappingException e) {
                throw new PieceFailed(current + ": " + e.getMessage());
              }
            }
            if (opened.writer == null && (row != null || i == count - 1)) {
              opened.columns = mapping == null ? List.of() : mapping.columns();
              inSink = true;
              Optional<PieceWriter> claimed = sink.open(id, table, piece.sink(), opened.columns);
              inSink = false;
              if (claimed.isEmpty()) {
                return false;
              }
              opened.writer = claimed.get();
            } else if (mapping != null && !mapping.columns().equals(opened.columns)) {
              throw new PieceFailed(
                  current
                      + ": its rows map to other columns than the files before it in the piece"
                      + " ("
                      + mapping.columns().stream().map(SinkColumn::name).toList()
                      + ", not "
                      + opened.columns.stream().map(SinkColumn::name).toList()
                      + ")");
            }
            if (row != null) {
              // Read and mapped on a thread of their own, while this one waits for the sink.
              try (ReadAhead rows = new ReadAhead(reader, row, mapping::map)) {
                for (ReadAhead.Item item = rows.next(); item != null; item = rows.next()) {
                  read++;
                  if (item.rejected() != null) {
                    reject(item.row(), item.rejected());
                  } else {
                    batch.add(new MappedRow(item.row(), item.values()));
                  }
                  if (batch.size() >= BATCH_ROWS) {
                    write(opened.writer, batch, refusals);
                  }
                }
              }
            }
          } catch (IOException e) {
            throw named(e);
          }
          if (opened.writer != null) {
            // Each file's rows are handed on before the next file's: a refusal names its file.
            write(opened.writer, batch, refusals);
          }
        }
        // Before the commit: a part that cannot be stored fails the piece, never loses its rows.
        if (rejected.rows() > 0) {
          rejected.store(deadLetterStore(), partKey());
        }
        long committing = System.nanoTime();
        opened.writer.commit(written);
        writingNanos += System.nanoTime() - committing;
        return true;
      }
    }

    /**
     * A group's failure reading a file names that file; a single file's, and the sink's, are named
     * by the caller ({@link #load}).
     */
    private IOException named(IOException e) {
      if (piece.more().isEmpty()
          || inSink
          || e instanceof PieceFailed
          || e instanceof RowReadException
          || (e.getMessage() != null && e.getMessage().startsWith(current))) {
        return e;
      }
      String message = e.getMessage() == null ? PipelineJob.oneLine(e) : e.getMessage();
      return new PieceFailed(current + ": " + message, e);
    }

    private RowReader open(FileInfo file) throws IOException {
      if (piece.read() != null) {
        return JdbcRowReader.open(spec.tabular().sourceDatabase(), piece.read());
      }
      return RowReaders.open(
          stores.get(piece.table().root()),
          file,
          spec.tabular().format(),
          spec.tabular().table(piece.table().name()));
    }

    private void write(PieceWriter writer, List<MappedRow> batch, PieceWriter.Rejects refusals)
        throws IOException {
      long before = refused;
      inSink = true; // left set by a failure: the sink's, not the file's
      long start = System.nanoTime();
      writer.write(batch, refusals);
      writingNanos += System.nanoTime() - start;
      inSink = false;
      long batchWritten = batch.size() - (refused - before);
      written += batchWritten;
      if (meter != null) {
        meter.rows(batchWritten);
        metered += batchWritten;
      }
      batch.clear();
    }

    /** A row that cannot be written: set aside, or the end of the piece. */
    private void reject(SourceRow row, RowRejected why) throws IOException {
      if (!faults.skipIncompatibleRows()) {
        throw new PieceFailed(current + " " + why.describe(row));
      }
      rejectedRows++;
      rejected.add(current, row, why);
      if (faults.maxRejectedRows() >= 0 && rejectedRows > faults.maxRejectedRows()) {
        throw new PieceFailed(
            current
                + " "
                + row.position()
                + ": more than "
                + faults.maxRejectedRows()
                + " rows rejected (faultTolerance.maxRejectedRows); the last: "
                + why.describe(row));
      }
    }

    /** After a failure, the rows rejected so far are stored still: a person wants to see them. */
    void keepRejectedAfterFailure() {
      if (rejected.rows() == 0) {
        return;
      }
      try {
        rejected.store(deadLetterStore(), partKey());
      } catch (IOException | RuntimeException e) {
        LOG.warn("Could not keep the rejected rows of {}: {}", piece.where(), e.getMessage());
      }
    }

    private io.copyjob.store.Store deadLetterStore() {
      return stores.get(faults.deadLetter().toString());
    }

    private String partKey() {
      return DeadLetter.partsPrefix(spec.name(), piece.table().name(), run.runId())
          + id.piece()
          + ".jsonl";
    }

    PieceResult result(PieceResult.Outcome outcome, long start, String error) {
      boolean loaded = outcome == PieceResult.Outcome.LOADED;
      return new PieceResult(
          piece.table().id(),
          piece.key(),
          outcome,
          outcome == PieceResult.Outcome.SKIPPED ? 0 : read,
          loaded ? written : 0,
          outcome == PieceResult.Outcome.SKIPPED ? 0 : rejectedRows,
          loaded ? piece.files().stream().mapToLong(FileInfo::size).sum() : 0,
          start,
          System.currentTimeMillis(),
          error,
          piece.read() == null ? null : piece.read().watermark(),
          Math.max(1, piece.files().size()),
          piece.round());
    }
  }

  /** The piece's writer, once opened: it takes every file's rows, then is closed once. */
  private static final class Opened implements AutoCloseable {
    PieceWriter writer;
    List<SinkColumn> columns = List.of();

    @Override
    public void close() throws IOException {
      if (writer != null) {
        writer.close();
      }
    }
  }

  /** A piece that fails, with its one line naming the file (and line). */
  static final class PieceFailed extends IOException {
    PieceFailed(String message) {
      super(message);
    }

    PieceFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
