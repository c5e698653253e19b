package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.ProgressState;
import io.copyjob.pipeline.CopyMetrics;
import io.copyjob.pipeline.LeaseKeeper;
import io.copyjob.pipeline.PipelineJob;
import io.copyjob.pipeline.ProgressKeeper;
import io.copyjob.pipeline.ProgressMeter;
import io.copyjob.pipeline.RunContext;
import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.FileFormat;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.RowConstants;
import io.copyjob.tabular.RowMapper;
import io.copyjob.tabular.RowReader;
import io.copyjob.tabular.RowReaders;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.SourceColumn;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.TableSinks;
import io.copyjob.tabular.jdbc.SourceDatabase;
import io.copyjob.tabular.jdbc.TableRead;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystemUtils;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Per table, the pieces it is read in: one per file listed under its prefix (through the store
 * contract, streamed) whose key below the prefix matches its glob; for a Kusto sink, the small
 * files in a row (key order) share a piece up to the table's {@code batchSize} of listed bytes,
 * since Kusto ingests per batch ({@link Grouping}). First the table's sink table is found and its
 * mapping checked against it, so a table whose mapping cannot work fails here, with one line and no
 * row written; so does a table whose listing fails.
 */
public final class PlanPieces extends PTransform<PCollection<TableKey>, PCollectionTuple> {
  public static final TupleTag<Piece> PIECES = new TupleTag<>() {};
  public static final TupleTag<PieceResult> FAILURES = new TupleTag<>() {};

  private final JobSpec spec;
  private final RunContext run;
  private final long runNumber;

  public PlanPieces(JobSpec spec, RunContext run, long runNumber) {
    this.spec = spec;
    this.run = run;
    this.runNumber = runNumber;
  }

  @Override
  public PCollectionTuple expand(PCollection<TableKey> tables) {
    PCollectionTuple planned =
        tables.apply(
            "List files",
            ParDo.of(new PlanFn(spec, run, runNumber))
                .withOutputTags(PIECES, TupleTagList.of(FAILURES)));
    planned.get(PIECES).setCoder(SerializableCoder.of(Piece.class));
    planned.get(FAILURES).setCoder(SerializableCoder.of(PieceResult.class));
    return planned;
  }

  /**
   * Finds the table's sink table (creating it when missing, {@code createTable} says so and {@code
   * create} is given) and checks the table's mapping against it, before any row is written. Shared
   * with {@code plan}, which creates nothing.
   *
   * @param create the source's columns a missing table is created with; null: never create
   * @throws MappingException when the sink table is missing or the mapping cannot work with it
   */
  public static SinkTable sinkTable(TableSpec table, TableSink sink, TableSink.SourceColumns create)
      throws MappingException, IOException {
    SinkTable sinkTable;
    try {
      sinkTable = sink.describe(table);
    } catch (MappingException e) {
      if (create == null || !(table.createTable() || sink.createsAlways()) || !sink.missing(e)) {
        throw e;
      }
      sinkTable = sink.create(table, create);
    }
    RowMapper.of(table, sinkTable);
    return sinkTable;
  }

  /**
   * The columns of the table's first file that names them (a CSV header, a Parquet schema, with its
   * types), or empty without such a file.
   */
  static Optional<List<SourceColumn>> firstHeader(TableSpec table, Store store, FileFormat format)
      throws IOException {
    Pattern glob =
        table.glob() == null
            ? null
            : Pattern.compile(FileSystemUtils.wildcardToRegexp(table.glob()));
    try (Listing listing = store.list(table.files(), true)) {
      while (listing.hasNext()) {
        FileInfo file = listing.next();
        if (glob == null || glob.matcher(file.key().substring(table.files().length())).matches()) {
          try (RowReader reader = RowReaders.open(store, file, format, table)) {
            if (reader.columnNames().isPresent()) {
              return Optional.of(reader.columns());
            }
          }
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return Optional.empty();
  }

  /**
   * Streams the table's files to {@code piece}: those under its prefix whose key below it matches
   * its glob. Shared with {@code plan}.
   */
  public static void listFiles(TableSpec table, Store store, Consumer<FileInfo> piece)
      throws IOException {
    Pattern glob =
        table.glob() == null
            ? null
            : Pattern.compile(FileSystemUtils.wildcardToRegexp(table.glob()));
    try (Listing listing = store.list(table.files(), true)) {
      while (listing.hasNext()) {
        FileInfo file = listing.next();
        if (glob == null || glob.matcher(file.key().substring(table.files().length())).matches()) {
          piece.accept(file);
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * The pieces of a table of a database source: its columns and the mapping checked against the
   * sink table, its high-water mark read (incremental mode: above {@code last}, the watermark of
   * the table's last successful run), its ranges cut. Shared with {@code plan}.
   */
  public static List<TableRead> planReads(
      JobSpec spec,
      TableSpec table,
      SinkTable sinkTable,
      SourceDatabase source,
      String last,
      RowConstants constants)
      throws MappingException, IOException {
    List<TableRead> reads = source.plan(table, last, spec.readsAboveWatermark());
    RowMapper.of(table, sinkTable).bind(Optional.of(reads.get(0).columnNames()), constants);
    return reads;
  }

  /** The watermark stored by the table's last successful incremental run, or null. */
  public static String lastWatermark(JobSpec spec, TableSpec table, ControlStore control)
      throws SQLException {
    if (!spec.readsAboveWatermark()) {
      return null;
    }
    return control.watermark(spec.name(), table.name(), table.watermark().column()).orElse(null);
  }

  /**
   * Groups a table's files, in the order listed (key order), into pieces of at most {@code limit}
   * listed bytes; a file of that size or more is a piece alone (its writer splits it into batches).
   * The same listing always gives the same groups, so a replayed piece holds the same files and
   * sends the same batches under the same tags.
   */
  static final class Grouping {
    private final long limit;
    private final Consumer<List<FileInfo>> piece;
    private List<FileInfo> files = new ArrayList<>();
    private long bytes;

    Grouping(long limit, Consumer<List<FileInfo>> piece) {
      this.limit = limit;
      this.piece = piece;
    }

    void add(FileInfo file) {
      if (!files.isEmpty() && bytes + file.size() > limit) {
        flush();
      }
      files.add(file);
      bytes += file.size();
      if (bytes >= limit) {
        flush();
      }
    }

    /** Hands on the group begun, if any. */
    void flush() {
      if (!files.isEmpty()) {
        piece.accept(files);
        files = new ArrayList<>();
        bytes = 0;
      }
    }
  }

  static final class PlanFn extends DoFn<TableKey, Piece> {
    private final JobSpec spec;
    private final RunContext run;
    private final long runNumber;
    private final Counter listed = CopyMetrics.counter(CopyMetrics.FILES_LISTED);
    private transient StoreCache stores;
    private transient TableSink sink;
    private transient LeaseKeeper lease;
    private transient ProgressKeeper progress;
    private transient SourceDatabase source;

    PlanFn(JobSpec spec, RunContext run, long runNumber) {
      this.spec = spec;
      this.run = run;
      this.runNumber = runNumber;
    }

    @Setup
    public void setup() {
      stores = new StoreCache(spec, run);
      sink = TableSinks.of(spec);
      lease = LeaseKeeper.hold(spec, run);
      progress = ProgressKeeper.hold(spec, run);
      if (spec.tabular().readsDatabase()) {
        source = new SourceDatabase(spec.tabular().sourceDatabase());
      }
    }

    @ProcessElement
    public void process(@Element TableKey table, MultiOutputReceiver out) {
      plan(table, out.get(PIECES)::output, out.get(FAILURES)::output);
    }

    /**
     * Plans the table's pieces into {@code pieces}, or its failure into {@code failures}; a
     * continuous run's rounds plan through here.
     */
    void plan(TableKey table, Consumer<Piece> pieces, Consumer<PieceResult> failures) {
      lease.check();
      ProgressMeter meter = progress.partition(table.partition());
      meter.advance(ProgressState.LISTING);
      long planning = System.nanoTime();
      try {
        plan(table, new Outputs(pieces, failures), meter);
      } finally {
        meter.listing(System.nanoTime() - planning);
        meter.advance(ProgressState.COPYING);
      }
    }

    /** Where a table's plan goes: its pieces, or its failure. */
    private record Outputs(Consumer<Piece> pieces, Consumer<PieceResult> failures) {}

    private void plan(TableKey table, Outputs out, ProgressMeter meter) {
      long start = System.currentTimeMillis();
      TableSpec tableSpec = spec.tabular().table(table.name());
      if (tableSpec == null) {
        out.failures()
            .accept(PieceResult.tableFailed(table, "not in the job file's tables", start));
        return;
      }
      try {
        if (source != null) {
          String last;
          try (ControlStore control = ControlStore.openExisting(spec.control())) {
            last = lastWatermark(spec, tableSpec, control);
          } catch (SQLException e) {
            throw new IOException(
                "cannot read the watermark of table " + table.name() + ": " + e.getMessage(), e);
          }
          List<TableRead> reads = source.plan(tableSpec, last, spec.readsAboveWatermark());
          SinkTable target = sinkTable(tableSpec, sink, () -> Optional.of(reads.get(0).columns()));
          RowMapper.of(tableSpec, target)
              .bind(
                  Optional.of(reads.get(0).columnNames()),
                  PieceTransfer.constants(
                      spec, run, runNumber, tableSpec, new Piece(table, reads.get(0), target)));
          long loadFrom = table.loadFrom() > 0 ? table.loadFrom() : run.runId();
          SinkTable writeInto = sink.begin(tableSpec, target, run.runId(), loadFrom);
          for (TableRead read : reads) {
            listed.inc();
            meter.listed(0);
            out.pieces().accept(new Piece(table, read, writeInto));
          }
          return;
        }
        Store store = stores.get(table.root());
        SinkTable target =
            sinkTable(
                tableSpec, sink, () -> firstHeader(tableSpec, store, spec.tabular().format()));
        long loadFrom = table.loadFrom() > 0 ? table.loadFrom() : run.runId();
        SinkTable writeInto = sink.begin(tableSpec, target, run.runId(), loadFrom);
        if (spec.tabular().kusto() == null) {
          listFiles(
              tableSpec,
              store,
              file -> {
                listed.inc();
                meter.listed(file.size());
                out.pieces().accept(new Piece(table, file, writeInto));
              });
          return;
        }
        // Kusto ingests per batch, not per row: small files share a piece, and so its batches.
        Grouping groups =
            new Grouping(
                spec.tabular().kusto().table(tableSpec.name()).batchSize(),
                files -> out.pieces().accept(Piece.group(table, files, writeInto)));
        listFiles(
            tableSpec,
            store,
            file -> {
              listed.inc();
              meter.listed(file.size());
              groups.add(file);
            });
        groups.flush();
      } catch (MappingException | IOException e) {
        out.failures().accept(PieceResult.tableFailed(table, e.getMessage(), start));
      } catch (RuntimeException e) {
        out.failures().accept(PieceResult.tableFailed(table, PipelineJob.oneLine(e), start));
      }
    }

    @Teardown
    public void teardown() throws IOException {
      if (progress != null) {
        progress.release();
      }
      if (stores != null) {
        stores.close();
      }
      if (sink != null) {
        sink.close();
      }
      if (lease != null) {
        lease.release();
      }
      if (source != null) {
        source.close();
      }
    }
  }
}
