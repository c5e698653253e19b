package io.copyjob.tabular.files;

import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.FileSinkSpec;
import io.copyjob.spec.TabularSpec.SinkFormat;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.WriteMode;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import io.copyjob.tabular.CreatedColumns;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.PieceId;
import io.copyjob.tabular.PieceWriter;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.SourceColumn;
import io.copyjob.tabular.TableSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A folder of Parquet or CSV files in any store ({@code sink.root}): each table's rows go into the
 * folder its {@code target} names below the root, written through the store contract.
 *
 * <p>Files: each piece writes its rows into parts of at most about {@code rollOver} bytes, each
 * first into a local temporary file, then stored with {@link Store#put} (whole or not at all),
 * named {@code part-<loadFrom>-<piece>-<nnnnn>.<ext>}: a retried piece writes the same names again,
 * and parts a failed attempt of it left past its own last are deleted before it is marked loaded.
 *
 * <p>Exactly once: a piece is loaded when its marker {@code _copyjob/<job>/<table>/<piece>.<run>}
 * exists in the folder, written after its last part ({@link FilePieceWriter#commit}); a piece
 * retried after that finds it and writes nothing. Readers of the folder skip paths whose names
 * start with {@code _} or {@code .} (as Spark, Hive and DuckDB's hive reader do).
 *
 * <p>Write behaviours: {@code append} adds the run's files; {@code overwrite} adds them, then once
 * every piece of the table succeeded ({@link #commit}) deletes the folder's other data files, so a
 * failed run leaves the old files whole and {@link #abort} deletes its own. A piece is claimed
 * within the worker's JVM while it is written: a second attempt at it waits, then finds it loaded.
 * Attempts in two JVMs at once (which the runners here never make) would write the same names.
 *
 * <p>The columns come from the job: an explicit mapping with types is the folder's schema as it is;
 * otherwise the source's columns (with their types where the source has them) complete it ({@link
 * #create}).
 */
public final class FileSink implements TableSink {
  /** A Parquet (Avro) field name: letters, digits and '_', not starting with a digit. */
  private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** The folder of markers below a table's folder; '_' hides it from readers. */
  static final String MARKERS = "_copyjob/";

  /** The pieces being written in this JVM, by their marker's key without the run. */
  private static final Set<String> WRITING = ConcurrentHashMap.newKeySet();

  private final JobSpec spec;
  private final FileSinkSpec files;
  private transient StoreCache stores;

  public FileSink(JobSpec spec) {
    this.spec = spec;
    this.files = spec.tabular().fileSink();
  }

  private Store store() {
    if (stores == null) {
      stores = new StoreCache(spec);
    }
    return stores.get(files.root().toString());
  }

  private String where() {
    return "sink.root " + files.root();
  }

  /** A table's folder below the root, ending in '/'. */
  static String folder(TableSpec table) {
    return table.target() + "/";
  }

  /** Where a table's markers of this job are, below the root. */
  private String markers(TableSpec table) {
    return folder(table) + MARKERS + spec.name() + "/" + table.name() + "/";
  }

  @Override
  public void prepare() throws IOException {
    try {
      store().prepare(true);
    } catch (IOException | UncheckedIOException e) {
      String message =
          e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
      throw new IOException(where() + ": " + message, e);
    }
    for (TableSpec table : spec.tabular().tables()) {
      if (table.target().contains("*")) {
        continue; // a pattern's folders are known once it is expanded
      }
      String key = folder(table) + "part-1-0-00000" + files.extension();
      Optional<String> problem = store().keyProblem(key);
      if (problem.isPresent()) {
        throw new IOException("tables." + table.name() + ".target: " + key + " " + problem.get());
      }
    }
  }

  @Override
  public SinkTable describe(TableSpec table) throws MappingException {
    boolean typed =
        !table.columns().isEmpty() && table.columns().stream().allMatch(c -> c.type() != null);
    if (!typed) {
      throw new ColumnsFromSource(table);
    }
    return sinkTable(table, CreatedColumns.of(table, List.of()));
  }

  /** A table whose files' columns need the source's: {@link #create} makes them. */
  private static final class ColumnsFromSource extends MappingException {
    ColumnsFromSource(TableSpec table) {
      super("the columns of " + folder(table) + " come from the source");
    }
  }

  @Override
  public boolean missing(MappingException e) {
    return e instanceof ColumnsFromSource;
  }

  @Override
  public boolean createsAlways() {
    return true;
  }

  @Override
  public SinkTable create(TableSpec table, SourceColumns sourceColumns)
      throws MappingException, IOException {
    List<SourceColumn> columns =
        CreatedColumns.of(table, sourceColumns.columns().orElse(List.of()));
    if (columns.isEmpty()) {
      throw new MappingException(
          "no columns to write "
              + folder(table)
              + " with: the source names none; map them under columns: with their types");
    }
    return sinkTable(table, columns);
  }

  private SinkTable sinkTable(TableSpec table, List<SourceColumn> columns) throws MappingException {
    List<SinkColumn> sinkColumns = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (SourceColumn c : columns) {
      if (files.format() == SinkFormat.PARQUET && !FIELD.matcher(c.name()).matches()) {
        throw new MappingException(
            "column '"
                + c.name()
                + "' cannot be a Parquet field name (letters, digits and '_', not starting with a"
                + " digit): give it another sink name under columns:");
      }
      if (!names.add(c.name().toLowerCase(Locale.ROOT))) {
        throw new MappingException(
            "the source names column '" + c.name() + "' twice; map them under columns:");
      }
      io.copyjob.spec.ColumnType type =
          c.type() != null
              ? c.type()
              : io.copyjob.spec.ColumnType.of(io.copyjob.spec.ColumnType.Kind.TEXT);
      sinkColumns.add(
          new SinkColumn(c.name(), type, type.toString(), Types.OTHER, true, false, false, false));
    }
    return new SinkTable(files.root() + folder(table), folder(table), "\"", sinkColumns);
  }

  @Override
  public SinkTable begin(TableSpec table, SinkTable target, long runId, long loadFrom) {
    return target; // overwrite writes beside the old files and deletes them in commit
  }

  @Override
  public boolean loaded(PieceId piece) throws IOException {
    String prefix = markers(table(piece)) + piece.piece() + ".";
    try (Listing listing = store().list(prefix, false)) {
      while (listing.hasNext()) {
        String run = listing.next().key().substring(prefix.length());
        if (run.matches("\\d{1,18}") && Long.parseLong(run) >= piece.loadFrom()) {
          return true;
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return false;
  }

  private TableSpec table(PieceId piece) throws IOException {
    TableSpec table = spec.tabular().table(piece.table());
    if (table == null) {
      throw new IOException("table " + piece.table() + " is not in the job file's tables");
    }
    return table;
  }

  @Override
  public Optional<PieceWriter> open(
      PieceId piece, TableSpec tableSpec, SinkTable table, List<SinkColumn> columns)
      throws IOException {
    String claim = markers(tableSpec) + piece.piece();
    while (!WRITING.add(claim)) {
      try {
        Thread.sleep(200); // another attempt is writing it: wait for its outcome
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while another attempt wrote the piece", e);
      }
    }
    boolean handedOver = false;
    try {
      if (loaded(piece)) {
        return Optional.empty();
      }
      handedOver = true;
      return Optional.of(writer(piece, tableSpec, table, columns, () -> WRITING.remove(claim)));
    } finally {
      if (!handedOver) {
        WRITING.remove(claim);
      }
    }
  }

  private PieceWriter writer(
      PieceId piece,
      TableSpec tableSpec,
      SinkTable table,
      List<SinkColumn> columns,
      Runnable release) {
    return (new FilePieceWriter(
        store(),
        files,
        table,
        columns,
        folder(tableSpec)
            + "part-"
            + piece.loadFrom()
            + "-"
            + piece.piece().substring(0, Math.min(16, piece.piece().length()))
            + "-",
        markers(tableSpec) + piece.piece() + "." + piece.runId(),
        where() + " " + folder(tableSpec),
        release));
  }

  /**
   * Overwrite: the run's files become the folder's only data files, the older ones deleted (and the
   * markers of this table's older runs). Deleting again finds nothing to delete.
   */
  @Override
  public void commit(TableSpec table, long runId) throws IOException {
    if (table.write() != WriteMode.OVERWRITE) {
      return;
    }
    String folder = folder(table);
    String mine = "part-" + runId + "-";
    String markers = markers(table);
    for (String key : keys(folder, true)) {
      String below = key.substring(folder.length());
      if (key.startsWith(markers)) {
        String run = key.substring(key.lastIndexOf('.') + 1);
        if (run.matches("\\d{1,18}") && Long.parseLong(run) < runId) {
          store().delete(key);
        }
      } else if (!hidden(below) && !below.startsWith(mine)) {
        store().delete(key);
      }
    }
  }

  /** Overwrite: the run's own files and markers are deleted; the older files stay as they were. */
  @Override
  public void abort(TableSpec table, long runId) throws IOException {
    if (table.write() != WriteMode.OVERWRITE) {
      return; // append keeps the pieces it committed, as a database keeps their rows
    }
    for (String key : keys(folder(table) + "part-" + runId + "-", false)) {
      store().delete(key);
    }
    for (String key : keys(markers(table), false)) {
      if (key.endsWith("." + runId)) {
        store().delete(key);
      }
    }
  }

  /** The keys below {@code prefix}, listed before any is deleted. */
  private List<String> keys(String prefix, boolean recursive) throws IOException {
    List<String> keys = new ArrayList<>();
    try (Listing listing = store().list(prefix, recursive)) {
      while (listing.hasNext()) {
        FileInfo file = listing.next();
        keys.add(file.key());
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return keys;
  }

  /** Whether a path below a folder is one readers skip: a name in it starts with '_' or '.'. */
  static boolean hidden(String path) {
    for (String name : path.split("/")) {
      if (name.startsWith("_") || name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    if (stores != null) {
      stores.close();
      stores = null;
    }
  }
}
