package io.copyjob.spec;

import java.io.Serializable;
import java.net.URI;
import java.util.List;

/**
 * What a tabular job adds to a {@link JobSpec}: how its source files are read, the database its
 * rows go to, its tables and what happens to rows that cannot be written. A job with {@code
 * tables:} in its file is a tabular job; {@link JobSpec#tabular()} is null for a file copy.
 *
 * <p>Each table is a partition of the control table: its root is {@code source.root} (the source's
 * identity), its prefix the table's name, so that {@code partitions list/reset}, the history and
 * the lease work for tables as for files.
 *
 * @param format how the source files are parsed
 * @param database the sink database; null when the tables are written as files ({@code fileSink})
 * @param tables the tables, in the job file's order, each with the defaults applied
 * @param faultTolerance what happens to a row that cannot be converted or written
 * @param sourceDatabase the database the tables are read from ({@code source.database}); null when
 *     the job reads files ({@code format} is null otherwise)
 * @param fileSink the folder the tables are written into as files ({@code sink.root}); null when
 *     they go into a database or Kusto
 * @param kusto the Azure Data Explorer sink ({@code sink.kusto}); null for a database or file sink
 *     ({@code database} is null unless the sink is a database)
 */
public record TabularSpec(
    FileFormat format,
    DatabaseSpec database,
    List<TableSpec> tables,
    FaultTolerance faultTolerance,
    DatabaseSpec sourceDatabase,
    FileSinkSpec fileSink,
    KustoSpec kusto)
    implements Serializable {

  public TabularSpec {
    tables = List.copyOf(tables);
  }

  /** A job writing into a database. */
  public TabularSpec(
      FileFormat format,
      DatabaseSpec database,
      List<TableSpec> tables,
      FaultTolerance faultTolerance,
      DatabaseSpec sourceDatabase) {
    this(format, database, tables, faultTolerance, sourceDatabase, null, null);
  }

  /** A job reading files into a database. */
  public TabularSpec(
      FileFormat format,
      DatabaseSpec database,
      List<TableSpec> tables,
      FaultTolerance faultTolerance) {
    this(format, database, tables, faultTolerance, null, null, null);
  }

  /** A job writing files. */
  public TabularSpec(
      FileFormat format,
      DatabaseSpec database,
      List<TableSpec> tables,
      FaultTolerance faultTolerance,
      DatabaseSpec sourceDatabase,
      FileSinkSpec fileSink) {
    this(format, database, tables, faultTolerance, sourceDatabase, fileSink, null);
  }

  /** A job writing into Azure Data Explorer. */
  public TabularSpec(
      FileFormat format,
      DatabaseSpec database,
      List<TableSpec> tables,
      FaultTolerance faultTolerance,
      DatabaseSpec sourceDatabase,
      KustoSpec kusto) {
    this(format, database, tables, faultTolerance, sourceDatabase, null, kusto);
  }

  /**
   * Whether the tables are written as files below {@code sink.root} rather than into a database.
   */
  public boolean writesFiles() {
    return fileSink != null;
  }

  /** Whether the job reads database tables ({@code source.database}) rather than files. */
  public boolean readsDatabase() {
    return sourceDatabase != null;
  }

  /** The same job with {@code tables} in place of its tables (patterns expanded). */
  public TabularSpec withTables(List<TableSpec> tables) {
    return new TabularSpec(
        format, database, tables, faultTolerance, sourceDatabase, fileSink, kusto);
  }

  /** The table named {@code name} in the job file, or null. */
  public TableSpec table(String name) {
    return tables.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
  }

  /** The formats of source files copyjob reads. */
  public enum Format {
    CSV,
    /** Objects one after another (JSON lines), or one array of objects. */
    JSON,
    PARQUET
  }

  /** How source files are decompressed. */
  public enum Compression {
    /** gzip when the file's name ends in {@code .gz} or {@code .gzip}, else none. */
    AUTO,
    GZIP,
    NONE
  }

  /**
   * @param format the files' format
   * @param csv how CSV files are parsed (for {@link Format#CSV})
   * @param compression how the files are decompressed
   */
  public record FileFormat(Format format, CsvSpec csv, Compression compression)
      implements Serializable {}

  /**
   * How a CSV file is parsed (RFC 4180 with these settings): a quoted field may hold the delimiter,
   * quotes (doubled, or after the escape character) and line breaks.
   *
   * @param delimiter the field separator
   * @param quote the quote character; null: fields are never quoted
   * @param escape the escape character; null: a quote inside a quoted field is doubled
   * @param header whether the first line (after {@code skipLines}) names the columns
   * @param nullValue the field text read as NULL (default "": an empty field is NULL)
   * @param encoding the charset name; a byte order mark (UTF-8, UTF-16, UTF-32) is dropped
   * @param skipLines lines skipped at the start of each file, before the header
   */
  public record CsvSpec(
      char delimiter,
      Character quote,
      Character escape,
      boolean header,
      String nullValue,
      String encoding,
      int skipLines)
      implements Serializable {
    /** Comma-separated, double quotes, a header, empty fields NULL, UTF-8. */
    public static final CsvSpec DEFAULT = new CsvSpec(',', '"', null, true, "", "UTF-8", 0);
  }

  /** The formats of files a file sink writes. */
  public enum SinkFormat {
    PARQUET,
    CSV
  }

  /** How a Parquet file's column chunks are compressed. */
  public enum ParquetCompression {
    NONE,
    SNAPPY,
    GZIP,
    ZSTD
  }

  /**
   * A folder the tables are written into as files ({@code sink.root}): each table into the folder
   * its {@code target} names below the root, one file per part of a piece, rolled over by size.
   *
   * @param root the folder, in any store
   * @param connection the connection reaching it; null: as any root
   * @param format the files' format
   * @param csv how CSV files are written (for {@link SinkFormat#CSV}; {@code skipLines} unused)
   * @param gzip whether CSV files are gzip-compressed ({@code .csv.gz})
   * @param parquetCompression how Parquet files are compressed
   * @param rollOver the size at which a file is closed and the next one begun
   */
  public record FileSinkSpec(
      URI root,
      String connection,
      SinkFormat format,
      CsvSpec csv,
      boolean gzip,
      ParquetCompression parquetCompression,
      long rollOver)
      implements Serializable {
    /** 128 MiB: a row group's worth, what lake readers expect of a file. */
    public static final long DEFAULT_ROLL_OVER = 128L << 20;

    /** The extension of the files written: {@code .parquet}, {@code .csv} or {@code .csv.gz}. */
    public String extension() {
      return format == SinkFormat.PARQUET ? ".parquet" : gzip ? ".csv.gz" : ".csv";
    }
  }

  /**
   * A JDBC database. The password is never in the job file: {@code passwordEnv} names the
   * environment variable holding it, read where the connection is made.
   */
  public record DatabaseSpec(String url, String user, String passwordEnv) implements Serializable {
    /** The password from the environment, or null. Never logged. */
    public String password() {
      return passwordEnv == null ? null : System.getenv(passwordEnv);
    }
  }

  /** How rows are written into a sink table. */
  public enum WriteMode {
    /** Rows are added to what the table holds. */
    APPEND,
    /**
     * A row whose key columns match a row of the table replaces it, any other row is added: a rerun
     * never duplicates rows.
     */
    UPSERT,
    /**
     * The run's rows replace what the table held, all at once when every piece is loaded; a failed
     * run leaves the old rows whole.
     */
    OVERWRITE
  }

  /**
   * One table of the job.
   *
   * @param name the table's name in the job file: its partition's prefix in the control table
   * @param files the key prefix below {@code source.root} its files are listed under
   * @param glob a glob the key below {@code files} must match ({@code *} within a folder, {@code
   *     **} across folders); null: every file under the prefix
   * @param target the sink table, optionally schema-qualified; for a file sink, the folder below
   *     {@code sink.root} the table's files go into
   * @param columns the explicit mapping; empty: by name when the files have a header, else by
   *     position
   * @param keys the key columns of the sink table (checked to exist)
   * @param write how rows are written
   * @param ignoreCase whether an explicit mapping's source names match the files' header ignoring
   *     case
   * @param timeZone the zone of timestamps written into a column with a time zone when the value
   *     has no offset of its own (an ID such as UTC or Europe/Paris)
   * @param createTable whether a missing sink table is created, its columns typed from the mapping
   * @param truncateBeforeFullCopy whether the sink table is emptied before a load starts (append
   *     and upsert in full mode, as Fabric's Copy job has it)
   * @param source where a database source's rows come from; null when the job reads files
   * @param watermark the column an incremental job reads above; null in full mode
   */
  public record TableSpec(
      String name,
      String files,
      String glob,
      String target,
      List<ColumnMapping> columns,
      List<String> keys,
      WriteMode write,
      boolean ignoreCase,
      String timeZone,
      boolean createTable,
      boolean truncateBeforeFullCopy,
      TableSource source,
      Watermark watermark)
      implements Serializable {
    public TableSpec {
      columns = List.copyOf(columns);
      keys = List.copyOf(keys);
    }

    /** A table of files. */
    public TableSpec(
        String name,
        String files,
        String glob,
        String target,
        List<ColumnMapping> columns,
        List<String> keys,
        WriteMode write,
        boolean ignoreCase,
        String timeZone) {
      this(
          name,
          files,
          glob,
          target,
          columns,
          keys,
          write,
          ignoreCase,
          timeZone,
          false,
          false,
          null,
          null);
    }

    /** This table under another name, reading another source table into another target. */
    public TableSpec matched(String name, TableSource source, String target) {
      return new TableSpec(
          name,
          files,
          glob,
          target,
          columns,
          keys,
          write,
          ignoreCase,
          timeZone,
          createTable,
          truncateBeforeFullCopy,
          source,
          watermark);
    }

    /**
     * Whether an incremental read takes the rows equal to the last watermark again ({@code >=}):
     * only when the table is written by {@code upsert} on key columns, so the rows read twice are
     * not written twice. With {@code append} the bound is strict ({@code >}).
     */
    public boolean rereadsBoundary() {
      return !keys.isEmpty() && write == WriteMode.UPSERT;
    }
  }

  /**
   * Where a table of a database source is read from: exactly one of {@code table}, {@code query}
   * and {@code pattern} is set (a pattern is replaced by the tables it matches before a run).
   *
   * @param table the table, optionally schema-qualified, as SQL names it
   * @param query a SELECT whose rows are the table's
   * @param pattern {@code schema.glob} ({@code sales.*}): every table of the schema whose name
   *     matches ({@code *} any characters, {@code ?} one)
   * @param partitionColumn the numeric, date or timestamp column a table is read by in ranges;
   *     null: one piece
   * @param pieces how many ranges of {@code partitionColumn} the table is read in (at most)
   */
  public record TableSource(
      String table, String query, String pattern, String partitionColumn, int pieces)
      implements Serializable {
    /** What the rows come from, as a message names it. */
    public String describe() {
      if (table != null) {
        return "source table " + table;
      }
      return pattern != null ? "source pattern " + pattern : "source query";
    }
  }

  /**
   * The column of an incremental table's watermark.
   *
   * @param column the source column; rows with a value above the last run's are copied
   * @param lookback how far below the last watermark the next read starts again (late commits);
   *     zero: none
   */
  public record Watermark(String column, java.time.Duration lookback) implements Serializable {}

  /**
   * One entry of a table's explicit mapping.
   *
   * @param sourceName the source column by name, or null when {@code sourceOrdinal} is given
   * @param sourceOrdinal the source column by its 1-based position, or 0 when named
   * @param sink the sink column's name
   * @param type the type the value is converted to before it is written; null: the sink column's
   * @param format the pattern of a date or timestamp value ({@link
   *     java.time.format.DateTimeFormatter}); null: ISO-8601
   * @param constant the value the column takes in every row instead of a source column's (then
   *     {@code sourceName} is null and {@code sourceOrdinal} 0); null for a source column
   */
  public record ColumnMapping(
      String sourceName,
      int sourceOrdinal,
      String sink,
      ColumnType type,
      String format,
      Constant constant)
      implements Serializable {
    /** A source column. */
    public ColumnMapping(
        String sourceName, int sourceOrdinal, String sink, ColumnType type, String format) {
      this(sourceName, sourceOrdinal, sink, type, format, null);
    }

    /**
     * The source column as a person reads it: its name, {@code #3} for the third, or a constant.
     */
    public String source() {
      if (constant != null) {
        return constant.toString();
      }
      return sourceName != null ? sourceName : "#" + sourceOrdinal;
    }

    /** Whether the column's value comes from a source column (not a constant). */
    public boolean fromSource() {
      return constant == null;
    }
  }

  /**
   * A constant column's value: text the job file gives, or one of the run's own values, written
   * {@code $name} in the job file ({@code $$} starts a text that begins with a dollar).
   *
   * @param kind which value
   * @param text the text of a {@link Kind#TEXT} constant; null for the others
   */
  public record Constant(Kind kind, String text) implements Serializable {
    /** The values a constant column can take. */
    public enum Kind {
      /** The job file's text. */
      TEXT(null),
      /** The run's id in the control store (unique across jobs). */
      RUN_ID("$runId"),
      /** The run's number within its job, as {@code history} shows it. */
      RUN_NUMBER("$runNumber"),
      /** When the run started (UTC). */
      RUN_START("$runStart"),
      /** The job's name. */
      JOB("$job"),
      /** The table's name in the job file. */
      TABLE("$table"),
      /**
       * Where the row was read: the file's path below the source root, or the source table's name.
       */
      SOURCE("$source"),
      /** The file's name (its last path segment); files only. */
      FILE_NAME("$fileName");

      private final String written;

      Kind(String written) {
        this.written = written;
      }

      /** How the job file writes it; null for text. */
      public String written() {
        return written;
      }
    }

    /**
     * The type a column made for it takes: bigint for run ids, timestamptz for times, else text.
     */
    public ColumnType type() {
      return ColumnType.of(
          switch (kind) {
            case RUN_ID, RUN_NUMBER -> ColumnType.Kind.BIGINT;
            case RUN_START -> ColumnType.Kind.TIMESTAMPTZ;
            default -> ColumnType.Kind.TEXT;
          });
    }

    @Override
    public String toString() {
      return kind == Kind.TEXT ? "constant '" + text + "'" : "constant " + kind.written();
    }
  }

  /**
   * @param skipIncompatibleRows whether a row that cannot be converted or written is set aside in
   *     the dead letter (true) or fails its table (false)
   * @param deadLetter the folder rejected rows are written below (one JSON-lines file per table per
   *     run); null when rows are not skipped
   * @param deadLetterConnection the connection reaching {@code deadLetter}; null: as any root
   * @param maxRejectedRows a table with more rejected rows fails; -1: no limit
   * @param maxRejectedPercent a table with more rejected rows than this percentage of the rows read
   *     fails; -1: no limit
   */
  public record FaultTolerance(
      boolean skipIncompatibleRows,
      URI deadLetter,
      String deadLetterConnection,
      long maxRejectedRows,
      double maxRejectedPercent)
      implements Serializable {
    /** The first incompatible row fails its table. */
    public static final FaultTolerance NONE = new FaultTolerance(false, null, null, -1, -1);
  }
}
