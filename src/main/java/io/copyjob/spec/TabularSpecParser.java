package io.copyjob.spec;

import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.Compression;
import io.copyjob.spec.TabularSpec.Constant;
import io.copyjob.spec.TabularSpec.CsvSpec;
import io.copyjob.spec.TabularSpec.DatabaseSpec;
import io.copyjob.spec.TabularSpec.FaultTolerance;
import io.copyjob.spec.TabularSpec.FileFormat;
import io.copyjob.spec.TabularSpec.FileSinkSpec;
import io.copyjob.spec.TabularSpec.Format;
import io.copyjob.spec.TabularSpec.ParquetCompression;
import io.copyjob.spec.TabularSpec.SinkFormat;
import io.copyjob.spec.TabularSpec.TableSource;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.Watermark;
import io.copyjob.spec.TabularSpec.WriteMode;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The parts of a job file that make a tabular job (one with {@code tables:}), with the same
 * discipline as {@link JobSpecParser}: one line naming the field, unknown fields refused. What a
 * later version will read (JDBC sources, file sinks, incremental mode) is refused by name with "not
 * supported yet", never accepted and ignored.
 */
final class TabularSpecParser {
  /** Fields of a tabular job that a file copy refuses. */
  static final List<String> TABULAR_ONLY = List.of("tableDefaults", "faultTolerance");

  private static final List<String> JOB_FIELDS =
      List.of(
          "name",
          "connections",
          "source",
          "sink",
          "tableDefaults",
          "tables",
          "faultTolerance",
          "mode",
          "continuous",
          "copy",
          "control");
  private static final List<String> SOURCE_FIELDS =
      List.of("root", "connection", "format", "csv", "compression");
  private static final List<String> DATABASE_SOURCE_FIELDS = List.of("database");
  private static final List<String> CSV_FIELDS =
      List.of("delimiter", "quote", "escape", "header", "nullValue", "encoding", "skipLines");
  private static final List<String> SINK_FIELDS = List.of("database", "kusto");
  private static final List<String> FILE_SINK_FIELDS =
      List.of("root", "connection", "format", "csv", "compression", "parquet", "rollOver");
  private static final List<String> SINK_CSV_FIELDS =
      List.of("delimiter", "quote", "escape", "header", "nullValue", "encoding");

  /** A folder below sink.root: relative, each segment visible (not starting with '_' or '.'). */
  private static final Pattern FOLDER =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._=-]*(/[A-Za-z0-9][A-Za-z0-9._=-]*){0,31}");

  private static final List<String> DATABASE_FIELDS = List.of("url", "user", "passwordEnv");
  private static final List<String> DEFAULT_FIELDS =
      List.of("write", "createTable", "truncateBeforeFullCopy", "ignoreCase", "timeZone");
  private static final List<String> TABLE_FIELDS =
      List.of(
          "files",
          "glob",
          "target",
          "columns",
          "keys",
          "write",
          "createTable",
          "truncateBeforeFullCopy",
          "ignoreCase",
          "timeZone",
          "mappingRef",
          "format",
          "batchSize",
          "streaming");
  private static final List<String> DATABASE_TABLE_FIELDS =
      List.of(
          "table",
          "query",
          "pattern",
          "partitionColumn",
          "pieces",
          "watermark",
          "target",
          "columns",
          "keys",
          "write",
          "createTable",
          "truncateBeforeFullCopy",
          "ignoreCase",
          "timeZone",
          "mappingRef",
          "format",
          "batchSize",
          "streaming");
  private static final List<String> WATERMARK_FIELDS = List.of("column", "lookback");
  private static final Pattern SOURCE_PATTERN =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}\\.[A-Za-z0-9_*?]{1,128}");
  private static final List<String> COLUMN_FIELDS =
      List.of("source", "constant", "sink", "type", "format");
  private static final List<String> FAULT_FIELDS =
      List.of(
          "skipIncompatibleRows",
          "deadLetter",
          "connection",
          "maxRejectedRows",
          "maxRejectedPercent");
  private static final List<String> COPY_FIELDS =
      List.of("parallelism", "requestTimeout", "maxRequestsPerSecond", "maxBytesPerSecond");
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private final JobSpecParser files;

  TabularSpecParser(JobSpecParser files) {
    this.files = files;
  }

  JobSpec job(Node job) {
    for (String field : List.of("delta", "partitions")) {
      if (job.get(field).exists()) {
        throw job.get(field).error("only for a file copy (a tabular job copies its tables:)");
      }
    }
    job.mapping(JOB_FIELDS);
    String name = JobSpecParser.name(job.get("name"));
    Map<String, Connection> connections = ConnectionParser.connections(job.get("connections"));
    Node source = job.get("source");
    if (source.get("database").exists()) {
      return databaseJob(job, name, connections, source);
    }
    if (source.get("partitions").exists()) {
      throw source
          .get("partitions")
          .error("not used by a tabular job: its partitions are its tables");
    }
    source.mapping(SOURCE_FIELDS);
    URI root = files.root(source.get("root"));
    String sourceConnection =
        ConnectionParser.reference(source.get("connection"), root, connections);
    FileFormat format = format(source);
    Sink sink = sink(job.get("sink"), connections, root);
    Mode mode = mode(job.get("mode"), false);
    continuous(job, mode);
    FaultTolerance faults = faultTolerance(job.get("faultTolerance"), root, connections);
    sink.checkApart(job.get("faultTolerance"), faults);
    Node defaults = job.get("tableDefaults").mapping(DEFAULT_FIELDS);
    List<TableSpec> tables = tables(job.get("tables"), defaults, format, false, sink.writesFiles());
    sink.checkFolders(job.get("tables"), tables);
    KustoSpec kusto = kusto(job, connections, tables);
    CopySpec copy = JobSpecParser.copy(job.get("copy").mapping(COPY_FIELDS));
    Node control = job.get("control");
    if (control.get("partitionTable").exists()) {
      throw control.get("partitionTable").error("not used by a tabular job");
    }
    ControlSpec controlSpec = files.control(control);
    List<String> names = tables.stream().map(TableSpec::name).toList();
    return new JobSpec(
        name,
        new SourceSpec(root, names, sourceConnection),
        sink.spec(),
        copy,
        mode,
        DeltaSpec.none(),
        controlSpec,
        null,
        connections,
        new TabularSpec(format, sink.database(), tables, faults, null, sink.files(), kusto));
  }

  /** A job reading tables of a database ({@code source.database}) rather than files. */
  private JobSpec databaseJob(
      Node job, String name, Map<String, Connection> connections, Node source) {
    for (String field : SOURCE_FIELDS) {
      if (source.get(field).exists()) {
        throw source.get(field).error("only for files; a database source names its tables");
      }
    }
    source.mapping(DATABASE_SOURCE_FIELDS);
    DatabaseSpec sourceDatabase = database(source.get("database"), "source.database");
    Sink sink = sink(job.get("sink"), connections, null);
    Mode mode = mode(job.get("mode"), true);
    // The source's identity in the control table: its URL without credentials or properties.
    URI root = URI.create(io.copyjob.control.Jdbc.redact(sourceDatabase.url()));
    FaultTolerance faults = faultTolerance(job.get("faultTolerance"), null, connections);
    sink.checkApart(job.get("faultTolerance"), faults);
    Node defaults = job.get("tableDefaults").mapping(DEFAULT_FIELDS);
    List<TableSpec> tables = tables(job.get("tables"), defaults, null, true, sink.writesFiles());
    sink.checkFolders(job.get("tables"), tables);
    DeltaSpec delta = continuous(job, mode);
    boolean aboveWatermark = mode == Mode.INCREMENTAL || mode == Mode.CONTINUOUS;
    String modeName = mode == Mode.CONTINUOUS ? "continuous" : "incremental";
    if (mode == Mode.CONTINUOUS && sink.database() == null) {
      // A round replayed after a kill reads its rows again: only a write by key in one database
      // transaction makes that harmless; files and Kusto ingestions would hold the rows twice.
      throw job.get("mode")
          .error(
              "continuous writes into a database table (sink.database) with keys and write:"
                  + " upsert; files and Kusto sinks would receive a replayed round's rows twice");
    }
    for (int i = 0; i < tables.size(); i++) {
      Node table = job.get("tables").get(tables.get(i).name());
      if (aboveWatermark && tables.get(i).watermark() == null) {
        throw table.get("watermark").error("required with mode: " + modeName);
      }
      if (!aboveWatermark && tables.get(i).watermark() != null) {
        throw table.get("watermark").error("only with mode: incremental or continuous");
      }
      if (mode == Mode.CONTINUOUS && !tables.get(i).rereadsBoundary()) {
        // A round whose rows are committed but not yet recorded (a kill, a failover) is read again
        // by the next one: with append its rows would be written twice.
        throw table
            .get("write")
            .error(
                "mode: continuous needs keys and write: upsert (a round replayed after a kill"
                    + " reads its rows again; append would duplicate them)");
      }
      if (aboveWatermark && tables.get(i).write() == WriteMode.OVERWRITE) {
        // An overwrite would replace the table with the rows above the watermark alone.
        throw table
            .get("write")
            .error(
                "overwrite replaces the whole table, so it is for mode: full; use append or upsert");
      }
      if (aboveWatermark && tables.get(i).truncateBeforeFullCopy()) {
        throw table.get("truncateBeforeFullCopy").error("only with mode: full");
      }
      if (mode == Mode.INCREMENTAL
          && tables.get(i).source().pieces() > 1
          && !tables.get(i).rereadsBoundary()) {
        // A run failing after some pieces committed would append them again when retried (its
        // range is read again): one piece is one transaction, all or nothing.
        throw table
            .get("pieces")
            .error(
                "with mode: incremental and write: append a table is read in one piece (a"
                    + " failed run's committed pieces would be appended again)");
      }
    }
    CopySpec copy = JobSpecParser.copy(job.get("copy").mapping(COPY_FIELDS));
    Node control = job.get("control");
    if (control.get("partitionTable").exists()) {
      throw control.get("partitionTable").error("not used by a tabular job");
    }
    ControlSpec controlSpec = files.control(control);
    List<String> names = tables.stream().map(TableSpec::name).toList();
    return new JobSpec(
        name,
        new SourceSpec(root, names, null),
        sink.spec(),
        copy,
        mode,
        delta,
        controlSpec,
        null,
        connections,
        new TabularSpec(
            null,
            sink.database(),
            tables,
            faults,
            sourceDatabase,
            sink.files(),
            kusto(job, connections, tables)));
  }

  /** Where a database source's table comes from, and in how many pieces. */
  private static TableSource tableSource(Node table) {
    List<String> given =
        List.of("table", "query", "pattern").stream()
            .filter(f -> table.get(f).isPresent())
            .toList();
    if (given.size() != 1) {
      throw table.error(
          given.isEmpty()
              ? "needs one of table, query or pattern"
              : "has " + String.join(" and ", given) + "; give one of table, query or pattern");
    }
    String sourceTable = table.get("table").optText().orElse(null);
    if (sourceTable != null && !JobSpecParser.TABLE.matcher(sourceTable).matches()) {
      throw table.get("table").error("must be a table name like orders or sales.orders");
    }
    // A trailing ';' would end the subquery the query is read through.
    String query =
        table.get("query").optText().map(q -> q.strip().replaceAll(";+$", "").strip()).orElse(null);
    if (query != null
        && !query.strip().regionMatches(true, 0, "select", 0, 6)
        && !query.strip().regionMatches(true, 0, "with", 0, 4)) {
      throw table.get("query").error("must be a SELECT (or WITH ... SELECT) query");
    }
    String pattern = table.get("pattern").optText().orElse(null);
    if (pattern != null && !SOURCE_PATTERN.matcher(pattern).matches()) {
      throw table
          .get("pattern")
          .error("must be schema.glob like sales.* or sales.order_? (* any characters, ? one)");
    }
    Node piecesNode = table.get("pieces");
    int pieces = piecesNode.intBetween(1, 1, 1000);
    Node columnNode = table.get("partitionColumn");
    String partitionColumn = columnNode.optText().orElse(null);
    if (pieces > 1 && partitionColumn == null) {
      throw columnNode.error("required with pieces > 1: the column whose ranges are the pieces");
    }
    if (partitionColumn != null && piecesNode.exists() && pieces == 1) {
      throw piecesNode.error("must be more than 1 with partitionColumn");
    }
    if (partitionColumn != null && !piecesNode.exists()) {
      throw piecesNode.error("required with partitionColumn: how many ranges to read");
    }
    return new TableSource(sourceTable, query, pattern, partitionColumn, pieces);
  }

  private static Watermark watermark(Node node, TableSpec table) {
    if (!node.isPresent()) {
      return null;
    }
    node.mapping(WATERMARK_FIELDS);
    String column = node.get("column").text();
    Node lookbackNode = node.get("lookback");
    java.time.Duration lookback =
        Durations.duration(
            lookbackNode,
            java.time.Duration.ZERO,
            java.time.Duration.ZERO,
            java.time.Duration.ofDays(3650));
    if (!lookback.isZero() && !table.rereadsBoundary()) {
      // Rows read again would be appended again: only a write by key makes the overlap harmless.
      throw lookbackNode.error(
          "re-reads rows already copied, so it needs keys and write: upsert (append would"
              + " duplicate them)");
    }
    return new Watermark(column, lookback);
  }

  /** {@code sink.kusto} (null without it); the tables' Kusto fields are refused without it. */
  private static KustoSpec kusto(
      Node job, Map<String, Connection> connections, List<TableSpec> tables) {
    Node kusto = job.get("sink").get("kusto");
    if (!kusto.isPresent()) {
      for (TableSpec table : tables) {
        KustoSpecParser.refuseWithoutKusto(job.get("tables").get(table.name()));
      }
      return null;
    }
    return KustoSpecParser.sink(kusto, connections, job.get("tables"), tables);
  }

  private static void notYet(Node node, String what, String instead) {
    if (node.exists()) {
      throw node.error(what + " not supported yet; " + instead);
    }
  }

  private static FileFormat format(Node source) {
    Node formatNode = source.get("format");
    String name = formatNode.text();
    Format format =
        switch (name) {
          case "csv" -> Format.CSV;
          case "json" -> Format.JSON;
          case "parquet" -> Format.PARQUET;
          default ->
              throw formatNode.error("must be one of csv, json, parquet, got '" + name + "'");
        };
    Compression compression =
        source
            .get("compression")
            .oneOf(
                Compression.AUTO,
                ordered(
                    "auto", Compression.AUTO, "gzip", Compression.GZIP, "none", Compression.NONE));
    if (format != Format.CSV && source.get("csv").exists()) {
      throw source.get("csv").error("only for format: csv");
    }
    return new FileFormat(format, csv(source.get("csv").mapping(CSV_FIELDS)), compression);
  }

  private static CsvSpec csv(Node node) {
    CsvSpec d = CsvSpec.DEFAULT;
    char delimiter = character(node.get("delimiter"), d.delimiter());
    Character quote = optionalCharacter(node.get("quote"), d.quote());
    Character escape = optionalCharacter(node.get("escape"), d.escape());
    if (escape != null && escape.equals(quote)) {
      escape = null; // an escape equal to the quote is RFC 4180's doubled quote, the default
    }
    if (quote != null && quote == delimiter) {
      throw node.get("quote").error("must differ from csv.delimiter");
    }
    if (escape != null && escape == delimiter) {
      throw node.get("escape").error("must differ from csv.delimiter");
    }
    Node encodingNode = node.get("encoding");
    String encoding = encodingNode.optText().orElse(d.encoding());
    try {
      if (!Charset.isSupported(encoding)) {
        throw encodingNode.error("unknown encoding '" + encoding + "'");
      }
    } catch (IllegalCharsetNameException e) {
      throw encodingNode.error("unknown encoding '" + encoding + "'");
    }
    Node nullNode = node.get("nullValue");
    if (nullNode.isNull()) {
      throw nullNode.error(
          "put the text in quotes, e.g. 'NULL': unquoted, YAML reads NULL, null and ~ as no value");
    }
    String nullValue = nullNode.isEmptyText() ? "" : nullNode.optText().orElse(d.nullValue());
    return new CsvSpec(
        delimiter,
        quote,
        escape,
        node.get("header").bool(d.header()),
        nullValue,
        Charset.forName(encoding).name(),
        node.get("skipLines").intBetween(0, 0, 1_000_000));
  }

  /** One character; {@code \t} may be written for a tab. */
  private static char character(Node node, char defaultValue) {
    if (!node.isPresent()) {
      return defaultValue;
    }
    String text = node.textAllowingEmpty().replace("\\t", "\t");
    if (text.length() != 1 || text.charAt(0) == '\n' || text.charAt(0) == '\r') {
      throw node.error("must be one character (\\t for a tab), got '" + text + "'");
    }
    return text.charAt(0);
  }

  /** One character, or "" for none. */
  private static Character optionalCharacter(Node node, Character defaultValue) {
    if (!node.exists()) {
      return defaultValue;
    }
    if (!node.isPresent()) {
      return null;
    }
    return character(node, ' ');
  }

  /** A database: url, user and the environment variable of its password. */
  private static DatabaseSpec database(Node database, String field) {
    if (!database.isPresent()) {
      throw database.error("required");
    }
    if (database.get("password").exists()) {
      throw database
          .get("password")
          .error(
              "not allowed in a job file; name an environment variable with "
                  + field
                  + ".passwordEnv");
    }
    database.mapping(DATABASE_FIELDS);
    Node urlNode = database.get("url");
    String url = urlNode.text();
    // The URL is not echoed: it may hold credentials.
    if (!url.regionMatches(true, 0, "jdbc:postgresql:", 0, 16)
        && !url.regionMatches(true, 0, "jdbc:h2:", 0, 8)
        && !url.regionMatches(true, 0, "jdbc:sqlserver:", 0, 15)) {
      throw urlNode.error(
          "must be a JDBC URL starting with jdbc:postgresql:, jdbc:sqlserver: or jdbc:h2:");
    }
    if (JobSpecParser.URL_PASSWORD.matcher(url).find()) {
      throw urlNode.error(
          "must not hold a password; name an environment variable with " + field + ".passwordEnv");
    }
    Node envNode = database.get("passwordEnv");
    Optional<String> env = envNode.optText();
    if (env.isPresent() && !JobSpecParser.ENV_NAME.matcher(env.get()).matches()) {
      throw envNode.error(
          "must be the name of an environment variable (letters, digits and '_'), not a password");
    }
    return new DatabaseSpec(url, database.get("user").optText().orElse(null), env.orElse(null));
  }

  /** The job's sink: a database, or a folder of files (then {@code database} is null). */
  private record Sink(DatabaseSpec database, FileSinkSpec files) {
    boolean writesFiles() {
      return files != null;
    }

    SinkSpec spec() {
      return files == null
          ? new SinkSpec(null, null)
          : new SinkSpec(files.root(), files.connection());
    }

    /**
     * Each table writes a folder of its own: an overwrite deletes the other files of its folder,
     * and a failed one the run's own, so a folder shared (or nested) would lose another table's.
     */
    void checkFolders(Node tablesNode, List<TableSpec> tables) {
      if (files == null) {
        return;
      }
      for (int i = 0; i < tables.size(); i++) {
        String folder = tables.get(i).target() + "/";
        for (int j = 0; j < i; j++) {
          String other = tables.get(j).target() + "/";
          if (!folder.contains("*") && (folder.startsWith(other) || other.startsWith(folder))) {
            throw tablesNode
                .get(tables.get(i).name())
                .get("target")
                .error(
                    "'"
                        + tables.get(i).target()
                        + "' is inside or holds the folder of table "
                        + tables.get(j).name()
                        + " ('"
                        + tables.get(j).target()
                        + "'); give each table a folder of its own");
          }
        }
      }
    }

    /** Rejected rows written among a folder's data files would be read as data. */
    void checkApart(Node faultNode, FaultTolerance faults) {
      if (files != null
          && faults.deadLetter() != null
          && Roots.overlap(faults.deadLetter(), files.root())) {
        throw faultNode.get("deadLetter").error("must not overlap sink.root");
      }
    }
  }

  private Sink sink(Node node, Map<String, Connection> connections, URI sourceRoot) {
    notYet(node.get("table"), "sink.table is", "name each table's target under tables:");
    if (!node.get("root").exists()) {
      return new Sink(databaseSink(node), null);
    }
    if (node.get("database").exists()) {
      throw node.get("database").error("give sink.database or sink.root (files), not both");
    }
    node.mapping(FILE_SINK_FIELDS);
    Node rootNode = node.get("root");
    URI root = files.root(rootNode);
    if (sourceRoot != null && Roots.overlap(root, sourceRoot)) {
      // The next run would read the files this one writes.
      throw rootNode.error("must not overlap source.root");
    }
    String connection = ConnectionParser.reference(node.get("connection"), root, connections);
    Node formatNode = node.get("format");
    String name = formatNode.text();
    SinkFormat format =
        switch (name) {
          case "parquet" -> SinkFormat.PARQUET;
          case "csv" -> SinkFormat.CSV;
          default -> throw formatNode.error("must be one of parquet, csv, got '" + name + "'");
        };
    for (String field : List.of("csv", "compression")) {
      if (format != SinkFormat.CSV && node.get(field).exists()) {
        throw node.get(field).error("only for format: csv (Parquet's is sink.parquet.compression)");
      }
    }
    if (format != SinkFormat.PARQUET && node.get("parquet").exists()) {
      throw node.get("parquet").error("only for format: parquet");
    }
    Map<String, Boolean> gzipNames = new LinkedHashMap<>();
    gzipNames.put("none", false);
    gzipNames.put("gzip", true);
    boolean gzip = node.get("compression").oneOf(false, gzipNames);
    Map<String, ParquetCompression> codecs = new LinkedHashMap<>();
    codecs.put("snappy", ParquetCompression.SNAPPY);
    codecs.put("gzip", ParquetCompression.GZIP);
    codecs.put("zstd", ParquetCompression.ZSTD);
    codecs.put("none", ParquetCompression.NONE);
    ParquetCompression codec =
        node.get("parquet")
            .mapping(List.of("compression"))
            .get("compression")
            .oneOf(ParquetCompression.SNAPPY, codecs);
    Node rollNode = node.get("rollOver");
    long rollOver = Sizes.bytes(rollNode);
    if (rollNode.isPresent() && rollOver < 1024) {
      throw rollNode.error("must be at least 1KiB, got '" + rollNode.scalarText() + "'");
    }
    return new Sink(
        null,
        new FileSinkSpec(
            root,
            connection,
            format,
            csv(node.get("csv").mapping(SINK_CSV_FIELDS)),
            gzip,
            codec,
            rollOver == 0 ? FileSinkSpec.DEFAULT_ROLL_OVER : rollOver));
  }

  private static DatabaseSpec databaseSink(Node node) {
    notYet(node.get("format"), "sink.format is", "give sink.root for files");
    node.mapping(SINK_FIELDS);
    Node database = node.get("database");
    if (node.get("kusto").isPresent()) {
      if (database.exists()) {
        throw database.error("give one of sink.database and sink.kusto");
      }
      return null;
    }
    if (!database.isPresent()) {
      throw database.error("required (or sink.kusto)");
    }
    if (database.get("password").exists()) {
      throw database
          .get("password")
          .error(
              "not allowed in a job file; name an environment variable with"
                  + " sink.database.passwordEnv");
    }
    database.mapping(DATABASE_FIELDS);
    Node urlNode = database.get("url");
    String url = urlNode.text();
    // The URL is not echoed: it may hold credentials.
    if (!url.regionMatches(true, 0, "jdbc:postgresql:", 0, 16)
        && !url.regionMatches(true, 0, "jdbc:sqlserver:", 0, 15)
        && !url.regionMatches(true, 0, "jdbc:h2:", 0, 8)) {
      throw urlNode.error(
          "must be a JDBC URL starting with jdbc:postgresql:, jdbc:sqlserver: or jdbc:h2:");
    }
    if (JobSpecParser.URL_PASSWORD.matcher(url).find()) {
      throw urlNode.error(
          "must not hold a password; name an environment variable with"
              + " sink.database.passwordEnv");
    }
    Node envNode = database.get("passwordEnv");
    Optional<String> env = envNode.optText();
    if (env.isPresent() && !JobSpecParser.ENV_NAME.matcher(env.get()).matches()) {
      throw envNode.error(
          "must be the name of an environment variable (letters, digits and '_'), not a password");
    }
    return new DatabaseSpec(url, database.get("user").optText().orElse(null), env.orElse(null));
  }

  /** Continuous mode's settings ({@code continuous.interval}); none in the other modes. */
  private static DeltaSpec continuous(Node job, Mode mode) {
    Node continuous = job.get("continuous");
    if (mode != Mode.CONTINUOUS) {
      if (continuous.exists()) {
        throw continuous.error("only used with mode continuous");
      }
      return DeltaSpec.none();
    }
    continuous.mapping(List.of("interval"));
    Node interval = continuous.get("interval");
    if (!interval.isPresent()) {
      throw interval.error("required with mode continuous (e.g. 1m)");
    }
    return new DeltaSpec(
        null,
        java.time.Duration.ZERO,
        Durations.duration(
            interval, null, java.time.Duration.ofSeconds(1), java.time.Duration.ofDays(1)));
  }

  private static Mode mode(Node node, boolean readsDatabase) {
    if (!node.isPresent()) {
      return Mode.FULL;
    }
    String text = node.optText().orElse("");
    return switch (text) {
      case "full" -> Mode.FULL;
      case "incremental" -> {
        if (!readsDatabase) {
          throw node.error("incremental reads database tables (source.database); files are full");
        }
        yield Mode.INCREMENTAL;
      }
      case "continuous" -> {
        if (!readsDatabase) {
          throw node.error(
              "continuous reads database tables (source.database) above their watermark; files"
                  + " are full (run them with copyjob schedule)");
        }
        yield Mode.CONTINUOUS;
      }
      case "delta" ->
          throw node.error(
              "delta is for file copies; a tabular job's mode is full"
                  + (readsDatabase ? " or incremental" : ""));
      default ->
          throw node.error(
              "must be full"
                  + (readsDatabase ? ", incremental or continuous" : "")
                  + ", got '"
                  + text
                  + "'");
    };
  }

  private FaultTolerance faultTolerance(
      Node node, URI sourceRoot, Map<String, Connection> connections) {
    node.mapping(FAULT_FIELDS);
    boolean skip = node.get("skipIncompatibleRows").bool(false);
    if (!skip) {
      for (String field : FAULT_FIELDS.subList(1, FAULT_FIELDS.size())) {
        if (node.get(field).isPresent()) {
          throw node.get(field).error("only used with faultTolerance.skipIncompatibleRows: true");
        }
      }
      return FaultTolerance.NONE;
    }
    Node deadLetterNode = node.get("deadLetter");
    if (!deadLetterNode.isPresent()) {
      throw deadLetterNode.error(
          "required with skipIncompatibleRows: true (rejected rows are kept there, never dropped)");
    }
    URI deadLetter = files.root(deadLetterNode);
    if (sourceRoot != null && Roots.overlap(deadLetter, sourceRoot)) {
      throw deadLetterNode.error("must not overlap source.root");
    }
    String connection = ConnectionParser.reference(node.get("connection"), deadLetter, connections);
    long maxRows = node.get("maxRejectedRows").intBetween(-1, 0, Integer.MAX_VALUE);
    double maxPercent = node.get("maxRejectedPercent").numberBetween(-1, 0, 100);
    return new FaultTolerance(true, deadLetter, connection, maxRows, maxPercent);
  }

  /**
   * @param format the files' format; null for a database source (columns by name or position)
   */
  private static List<TableSpec> tables(
      Node node, Node defaults, FileFormat format, boolean readsDatabase, boolean fileSink) {
    List<String> names = node.keys();
    if (names.isEmpty()) {
      throw node.error("must name at least one table");
    }
    List<TableSpec> tables = new ArrayList<>();
    for (String name : names) {
      Node table = node.get(name);
      if (!TABLE_NAME.matcher(name).matches()) {
        throw table.error(
            "a table's name must be 1 to 100 letters, digits, '.', '_' or '-', starting with a"
                + " letter or digit");
      }
      tables.add(table(name, table, defaults, format, readsDatabase, fileSink));
    }
    return tables;
  }

  private static TableSpec table(
      String name,
      Node table,
      Node defaults,
      FileFormat format,
      boolean readsDatabase,
      boolean fileSink) {
    if (!table.isPresent()) {
      throw table.error(
          readsDatabase
              ? "required: table, query or pattern, and target"
              : "required: files and target");
    }
    TableSource source = null;
    String files = null;
    String glob = null;
    if (readsDatabase) {
      for (String field : List.of("files", "glob")) {
        if (table.get(field).exists()) {
          throw table.get(field).error("only for files; a database source's table names table:");
        }
      }
      table.mapping(DATABASE_TABLE_FIELDS);
      source = tableSource(table);
    } else {
      for (String field : List.of("table", "query", "pattern", "partitionColumn", "pieces")) {
        if (table.get(field).exists()) {
          throw table.get(field).error("only with source.database (this job reads files)");
        }
      }
      if (table.get("watermark").exists()) {
        throw table
            .get("watermark")
            .error("only for database sources in mode: incremental; files are copied in full");
      }
      table.mapping(TABLE_FIELDS);
      // "" is the whole root: written, it is a value, not an absence.
      files = table.get("files").isEmptyText() ? "" : table.get("files").text();
      if (files.startsWith("/")) {
        throw table.get("files").error("must not start with '/' (it is relative to source.root)");
      }
      glob = table.get("glob").optText().orElse(null);
    }
    Node globNode = table.get("glob");
    if (glob != null) {
      try {
        Pattern.compile(org.apache.beam.sdk.io.FileSystemUtils.wildcardToRegexp(glob));
      } catch (PatternSyntaxException e) {
        throw globNode.error("not a valid glob: '" + glob + "'");
      }
    }
    Node targetNode = table.get("target");
    String target;
    if (fileSink) {
      target = folder(targetNode, name, source != null && source.pattern() != null);
    } else if (source != null && source.pattern() != null) {
      target = targetNode.text();
      // Each table the pattern matches goes to the table of its own name in the target's schema.
      if (!target.matches("[A-Za-z_][A-Za-z0-9_]{0,127}\\.\\*")) {
        throw targetNode.error(
            "with pattern, must be schema.* (each table goes to the table of its name there)");
      }
    } else {
      target = targetNode.text();
      if (!JobSpecParser.TABLE.matcher(target).matches()) {
        throw targetNode.error("must be a table name like orders or public.orders");
      }
    }
    if (fileSink) {
      refuseForFiles(table, defaults);
    }
    List<ColumnMapping> columns = columns(table.get("columns"), format);
    List<String> keys = new ArrayList<>();
    for (Node key : table.get("keys").elements()) {
      String column = key.text();
      if (keys.contains(column)) {
        throw key.error("duplicate key column '" + column + "'");
      }
      keys.add(column);
    }
    Node writeNode = setting(table, defaults, "write");
    WriteMode write = write(writeNode);
    if (write == WriteMode.UPSERT && keys.isEmpty()) {
      throw table
          .get("keys")
          .error("required with write: upsert (the columns a row is matched on)");
    }
    boolean createTable = setting(table, defaults, "createTable").bool(false);
    Node truncateNode = setting(table, defaults, "truncateBeforeFullCopy");
    boolean truncate = truncateNode.bool(false);
    if (truncate && write == WriteMode.OVERWRITE) {
      throw truncateNode.error(
          "not with write: overwrite, which replaces the table's rows already");
    }
    boolean ignoreCase = setting(table, defaults, "ignoreCase").bool(false);
    Node zoneNode = setting(table, defaults, "timeZone");
    String zone = zoneNode.optText().orElse("UTC");
    try {
      ZoneId.of(zone);
    } catch (DateTimeException e) {
      throw zoneNode.error("unknown time zone '" + zone + "'; use an ID like UTC or Europe/Paris");
    }
    Watermark watermark =
        readsDatabase
            ? watermark(
                table.get("watermark"),
                new TableSpec(name, null, null, target, columns, keys, write, ignoreCase, zone))
            : null;
    return new TableSpec(
        name,
        files,
        glob,
        target,
        columns,
        keys,
        write,
        ignoreCase,
        zone,
        createTable,
        truncate,
        source,
        watermark);
  }

  /**
   * A table's folder below sink.root: its {@code target}, or its name. With a pattern, {@code
   * folder/*} or {@code *}: each matched table goes into the folder of its name there.
   */
  private static String folder(Node node, String name, boolean pattern) {
    String target = node.optText().orElse(pattern ? "*" : name);
    if (pattern) {
      String prefix =
          target.equals("*") ? "" : target.substring(0, Math.max(0, target.length() - 2));
      if (!target.equals("*") && (!target.endsWith("/*") || !FOLDER.matcher(prefix).matches())) {
        throw node.error(
            "with pattern, must be folder/* or * (each table goes into the folder of its name)");
      }
      return target;
    }
    target = target.endsWith("/") ? target.substring(0, target.length() - 1) : target;
    if (!FOLDER.matcher(target).matches()) {
      throw node.error(
          "must be a folder below sink.root like orders or sales/orders (no '/' first, no"
              + " '..', no name starting with '_' or '.', which readers skip)");
    }
    return target;
  }

  /** What only a database sink does, refused by name for a file sink. */
  private static void refuseForFiles(Node table, Node defaults) {
    Node write = setting(table, defaults, "write");
    if ("upsert".equals(write.optText().orElse(""))) {
      throw write.error("upsert needs a database sink; files are written with append or overwrite");
    }
    if (table.get("keys").exists()) {
      throw table.get("keys").error("only for a database sink (write: upsert); files have no keys");
    }
    Node truncate = setting(table, defaults, "truncateBeforeFullCopy");
    if (truncate.exists()) {
      throw truncate.error("not for a file sink; use write: overwrite to replace a folder's files");
    }
    Node create = setting(table, defaults, "createTable");
    if (create.exists()) {
      throw create.error(
          "not for a file sink: each table's files get the mapping's or the source's columns");
    }
  }

  /** The table's own setting, else the one of tableDefaults (absent when neither has it). */
  private static Node setting(Node table, Node defaults, String field) {
    return table.get(field).exists() ? table.get(field) : defaults.get(field);
  }

  private static WriteMode write(Node node) {
    String text = node.optText().orElse("append");
    return switch (text) {
      case "append" -> WriteMode.APPEND;
      case "upsert" -> WriteMode.UPSERT;
      case "overwrite" -> WriteMode.OVERWRITE;
      default -> throw node.error("must be one of append, upsert, overwrite, got '" + text + "'");
    };
  }

  private static List<ColumnMapping> columns(Node node, FileFormat fileFormat) {
    List<ColumnMapping> columns = new ArrayList<>();
    Set<String> sinks = new HashSet<>();
    for (Node column : node.elements()) {
      column.mapping(COLUMN_FIELDS);
      Node sourceNode = column.get("source");
      String sourceName = null;
      int ordinal = 0;
      Constant constant = null;
      Node constantNode = column.get("constant");
      if (constantNode.exists()) {
        if (sourceNode.exists()) {
          throw constantNode.error(
              "a column takes its value from a source column or a constant, not both");
        }
        constant = constant(constantNode, fileFormat);
      } else if (sourceNode.isWholeNumber()) {
        if (fileFormat != null && fileFormat.format() != Format.CSV) {
          throw sourceNode.error(
              "positions are for CSV columns; name the "
                  + fileFormat.format().name().toLowerCase(Locale.ROOT)
                  + " field by its path (e.g. customer.id)");
        }
        ordinal = sourceNode.intBetween(0, 1, 100_000);
      } else {
        sourceName = sourceNode.text();
        if (fileFormat == null) {
          // a database column: by its name
        } else if (fileFormat.format() != Format.CSV) {
          if (List.of(sourceName.split("\\.", -1)).contains("")) {
            throw sourceNode.error(
                "'"
                    + sourceName
                    + "' is not a field path (names joined by dots, e.g. customer.id)");
          }
        } else if (!fileFormat.csv().header()) {
          throw sourceNode.error(
              "names a column, but source.csv.header is false: name it by position (1, 2, ...)");
        }
      }
      Node sinkNode = column.get("sink");
      String sink = sinkNode.text();
      if (!sinks.add(sink)) {
        throw sinkNode.error("sink column '" + sink + "' is mapped twice");
      }
      Node typeNode = column.get("type");
      ColumnType type =
          typeNode
              .optText()
              .map(
                  text ->
                      ColumnType.parse(text)
                          .orElseThrow(
                              () ->
                                  typeNode.error(
                                      "unknown type '"
                                          + text
                                          + "'; use one of "
                                          + ColumnType.NAMES)))
              .orElse(null);
      Node formatNode = column.get("format");
      String format = formatNode.optText().orElse(null);
      if (format != null) {
        if (type != null && !type.kind().temporal()) {
          throw formatNode.error("only for date, timestamp and timestamptz values, not " + type);
        }
        try {
          DateTimeFormatter.ofPattern(format);
        } catch (IllegalArgumentException e) {
          throw formatNode.error("not a date/time pattern: " + e.getMessage());
        }
      }
      columns.add(new ColumnMapping(sourceName, ordinal, sink, type, format, constant));
    }
    if (!columns.isEmpty() && columns.stream().noneMatch(ColumnMapping::fromSource)) {
      throw node.error("maps no source column, only constants; map at least one source column");
    }
    return columns;
  }

  /** A constant column's value: {@code $name} for one of the run's, else the text itself. */
  private static Constant constant(Node node, FileFormat fileFormat) {
    String text = node.text();
    if (text.startsWith("$$")) {
      return new Constant(Constant.Kind.TEXT, text.substring(1));
    }
    if (!text.startsWith("$")) {
      return new Constant(Constant.Kind.TEXT, text);
    }
    List<String> known = new ArrayList<>();
    for (Constant.Kind kind : Constant.Kind.values()) {
      if (kind.written() == null) {
        continue;
      }
      known.add(kind.written());
      if (kind.written().equals(text)) {
        if (kind == Constant.Kind.FILE_NAME && fileFormat == null) {
          throw node.error(
              "$fileName is the name of a source file; a database source has none (use $source)");
        }
        return new Constant(kind, null);
      }
    }
    throw node.error(
        "unknown value '"
            + text
            + "'"
            + DidYouMean.closest(text, known).map(k -> "; did you mean " + k + "?").orElse("")
            + " (one of "
            + String.join(", ", known)
            + "; $$ starts a text beginning with $)");
  }

  private static <E> Map<String, E> ordered(String k1, E v1, String k2, E v2, String k3, E v3) {
    Map<String, E> map = new LinkedHashMap<>();
    map.put(k1, v1);
    map.put(k2, v2);
    map.put(k3, v3);
    return map;
  }
}
