package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.Compression;
import io.copyjob.spec.TabularSpec.CsvSpec;
import io.copyjob.spec.TabularSpec.DatabaseSpec;
import io.copyjob.spec.TabularSpec.FaultTolerance;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.WriteMode;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * Tabular job files: what a valid one means, and the one line each invalid one gets. What is not
 * built yet is refused by name, never accepted and ignored.
 */
public class TabularSpecParserTest {
  private static final Path DIR = Path.of("/jobs");
  private static final String SOURCE = "source: {root: s3://exports/sales/, format: csv}\n";
  private static final String SINK =
      "sink:\n  database: {url: 'jdbc:postgresql://db:5432/dw', user: loader, passwordEnv: PGPASSWORD}\n";
  private static final String TABLES =
      "tables:\n  orders: {files: orders/, target: public.orders}\n";
  private static final String VALID = "name: t\n" + SOURCE + SINK + TABLES;

  private static JobSpec parse(String yaml) {
    return JobSpecParser.parse(yaml, DIR, "job.yaml");
  }

  @Test
  public void aTabularJobMeansWhatItSays() {
    JobSpec spec =
        parse(
            "name: sales\n"
                + "connections:\n  aws: {type: s3, region: eu-west-1}\n"
                + "source:\n"
                + "  root: s3://exports/sales/\n"
                + "  connection: aws\n"
                + "  format: csv\n"
                + "  csv: {delimiter: ';', quote: \"'\", escape: '\\', header: false,"
                + " nullValue: 'NULL', encoding: iso-8859-1, skipLines: 2}\n"
                + "  compression: gzip\n"
                + SINK
                + "tableDefaults: {write: append, ignoreCase: true, timeZone: Europe/Paris}\n"
                + "tables:\n"
                + "  orders:\n"
                + "    files: orders/\n"
                + "    glob: '*.csv.gz'\n"
                + "    target: public.orders\n"
                + "    columns:\n"
                + "      - {source: 1, sink: id, type: bigint}\n"
                + "      - {source: 3, sink: amount, type: 'decimal(12,2)'}\n"
                + "      - {source: 4, sink: day, format: dd/MM/yyyy}\n"
                + "    keys: [id]\n"
                + "  customers: {files: '', target: customers, ignoreCase: false, timeZone: UTC}\n"
                + "faultTolerance:\n"
                + "  skipIncompatibleRows: true\n"
                + "  deadLetter: s3://exports/rejected/\n"
                + "  connection: aws\n"
                + "  maxRejectedRows: 10\n"
                + "  maxRejectedPercent: 2.5\n"
                + "mode: full\n");

    assertThat(spec.isTabular()).isTrue();
    assertThat(spec.source().root()).isEqualTo(URI.create("s3://exports/sales/"));
    assertThat(spec.source().partitions()).containsExactly("orders", "customers");
    TabularSpec t = spec.tabular();
    assertThat(t.format().csv())
        .isEqualTo(new CsvSpec(';', '\'', '\\', false, "NULL", "ISO-8859-1", 2));
    assertThat(t.format().compression()).isEqualTo(Compression.GZIP);
    assertThat(t.database())
        .isEqualTo(new DatabaseSpec("jdbc:postgresql://db:5432/dw", "loader", "PGPASSWORD"));
    assertThat(t.tables())
        .containsExactly(
            new TableSpec(
                "orders",
                "orders/",
                "*.csv.gz",
                "public.orders",
                List.of(
                    new ColumnMapping(null, 1, "id", ColumnType.of(ColumnType.Kind.BIGINT), null),
                    new ColumnMapping(
                        null, 3, "amount", new ColumnType(ColumnType.Kind.DECIMAL, 0, 12, 2), null),
                    new ColumnMapping(null, 4, "day", null, "dd/MM/yyyy")),
                List.of("id"),
                WriteMode.APPEND,
                true,
                "Europe/Paris",
                false,
                false,
                null,
                null),
            new TableSpec(
                "customers",
                "",
                null,
                "customers",
                List.of(),
                List.of(),
                WriteMode.APPEND,
                false,
                "UTC",
                false,
                false,
                null,
                null));
    assertThat(t.faultTolerance())
        .isEqualTo(new FaultTolerance(true, URI.create("s3://exports/rejected/"), "aws", 10, 2.5));
  }

  @Test
  public void theSettingsRecordIsAJobFileThatParsesBackToTheSameSpec() {
    JobSpec spec =
        parse(
            VALID.replace("format: csv", "format: csv, csv: {delimiter: '\\t', quote: ''}")
                + "faultTolerance: {skipIncompatibleRows: true, deadLetter: /tmp/dead/,"
                + " maxRejectedPercent: 5}\n"
                + "copy: {parallelism: 4, requestTimeout: 30s}\n");

    String json = JobSpecs.toJson(spec);

    assertThat(parse(json)).isEqualTo(spec);
    assertThat(json).doesNotContain("partitions").contains("\"passwordEnv\":\"PGPASSWORD\"");
  }

  @Test
  public void jsonAndParquetFieldsAreNamedByPathNeverByPosition() {
    String mapped =
        "name: t\n"
            + "source: {root: s3://exports/sales/, format: json, compression: gzip}\n"
            + SINK
            + "tables:\n  orders:\n    files: orders/\n    target: public.orders\n"
            + "    columns:\n      - {source: customer.id, sink: customer}\n";
    JobSpec spec = parse(mapped);
    assertThat(spec.tabular().format().format()).isEqualTo(TabularSpec.Format.JSON);
    assertThat(spec.tabular().format().compression()).isEqualTo(Compression.GZIP);
    assertThat(spec.tabular().tables().get(0).columns().get(0).sourceName())
        .isEqualTo("customer.id");
    assertThat(parse(VALID.replace("format: csv", "format: parquet")).tabular().format().format())
        .isEqualTo(TabularSpec.Format.PARQUET);

    refused(
        mapped.replace("source: customer.id", "source: 2"),
        "job.yaml: tables.orders.columns[0].source: positions are for CSV columns; name the json"
            + " field by its path (e.g. customer.id)");
    refused(
        mapped.replace("source: customer.id", "source: customer..id"),
        "job.yaml: tables.orders.columns[0].source: 'customer..id' is not a field path (names"
            + " joined by dots, e.g. customer.id)");
    refused(
        VALID.replace("format: csv}", "format: parquet, csv: {header: false}}"),
        "job.yaml: source.csv: only for format: csv");
  }

  private static void refused(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(SpecException.class).hasMessage(message);
  }

  @Test
  public void constantColumnsTakeTextOrTheRunsValues() {
    JobSpec spec =
        parse(
            VALID.replace(
                "target: public.orders}",
                "target: t, columns: [{source: a, sink: a}, {constant: $runNumber, sink: r},"
                    + " {constant: eu, sink: e}, {constant: $$x, sink: d, type: text}]}"));
    assertThat(spec.tabular().table("orders").columns())
        .extracting(ColumnMapping::constant)
        .containsExactly(
            null,
            new TabularSpec.Constant(TabularSpec.Constant.Kind.RUN_NUMBER, null),
            new TabularSpec.Constant(TabularSpec.Constant.Kind.TEXT, "eu"),
            new TabularSpec.Constant(TabularSpec.Constant.Kind.TEXT, "$x"));
    refused(
        VALID.replace(
            "target: public.orders}", "target: t, columns: [{constant: $runid, sink: r}]}"),
        "job.yaml: tables.orders.columns[0].constant: unknown value '$runid'; did you mean $runId?"
            + " (one of $runId, $runNumber, $runStart, $job, $table, $source, $fileName; $$ starts"
            + " a text beginning with $)");
    refused(
        VALID.replace(
            "target: public.orders}",
            "target: t, columns: [{source: a, constant: $runId, sink: r}]}"),
        "job.yaml: tables.orders.columns[0].constant: a column takes its value from a source column"
            + " or a constant, not both");
    refused(
        VALID.replace(
            "target: public.orders}", "target: t, columns: [{constant: $runId, sink: r}]}"),
        "job.yaml: tables.orders.columns: maps no source column, only constants; map at least one"
            + " source column");
  }

  private static final String FILE_SINK =
      "connections:\n  aws: {type: s3, region: eu-west-1}\n"
          + "sink: {root: s3://lake/sales/, connection: aws, format: parquet}\n";

  @Test
  public void aFileSinkMeansWhatItSays() {
    JobSpec spec =
        parse(
            "name: t\n"
                + SOURCE
                + FILE_SINK.replace(
                    "format: parquet}",
                    "format: parquet, parquet: {compression: zstd}, rollOver: 1MiB}")
                + "tableDefaults: {write: overwrite}\n"
                + "tables:\n  orders: {files: orders/}\n  items: {files: items/, target: shop/items/}\n");
    TabularSpec.FileSinkSpec files = spec.tabular().fileSink();
    assertThat(spec.tabular().writesFiles()).isTrue();
    assertThat(spec.tabular().database()).isNull();
    assertThat(files.root()).hasToString("s3://lake/sales/");
    assertThat(files.connection()).isEqualTo("aws");
    assertThat(files.format()).isEqualTo(TabularSpec.SinkFormat.PARQUET);
    assertThat(files.parquetCompression()).isEqualTo(TabularSpec.ParquetCompression.ZSTD);
    assertThat(files.rollOver()).isEqualTo(1L << 20);
    assertThat(files.extension()).isEqualTo(".parquet");
    assertThat(spec.tabular().tables())
        .extracting(TabularSpec.TableSpec::target)
        .containsExactly("orders", "shop/items");
    assertThat(spec.connectionFor("s3://lake/sales/orders/")).isNotNull();

    JobSpec csv =
        parse(
            "name: t\n"
                + SOURCE
                + FILE_SINK.replace(
                    "format: parquet}",
                    "format: csv, csv: {delimiter: ';', nullValue: 'NULL'}, compression: gzip}")
                + TABLES.replace("target: public.orders", "target: orders"));
    assertThat(csv.tabular().fileSink().csv().delimiter()).isEqualTo(';');
    assertThat(csv.tabular().fileSink().csv().nullValue()).isEqualTo("NULL");
    assertThat(csv.tabular().fileSink().extension()).isEqualTo(".csv.gz");
    assertThat(csv.tabular().fileSink().rollOver()).isEqualTo(128L << 20);
    // The settings record is a job file that means the same.
    assertThat(parse(JobSpecs.toJson(csv)).tabular()).isEqualTo(csv.tabular());
    assertThat(parse(JobSpecs.toJson(spec)).tabular()).isEqualTo(spec.tabular());
  }

  @Test
  public void whatAFileSinkCannotDoIsRefusedByName() {
    String base = "name: t\n" + SOURCE + FILE_SINK;
    String orders = "tables:\n  orders: {files: orders/";
    refused(
        base + orders + ", write: upsert, keys: [id]}\n",
        "job.yaml: tables.orders.write: upsert needs a database sink; files are written with"
            + " append or overwrite");
    refused(
        base + orders + ", keys: [id]}\n",
        "job.yaml: tables.orders.keys: only for a database sink (write: upsert); files have no"
            + " keys");
    refused(
        base + "tableDefaults: {truncateBeforeFullCopy: true}\n" + orders + "}\n",
        "job.yaml: tableDefaults.truncateBeforeFullCopy: not for a file sink; use write: overwrite"
            + " to replace a folder's files");
    refused(
        base + orders + ", createTable: true}\n",
        "job.yaml: tables.orders.createTable: not for a file sink: each table's files get the"
            + " mapping's or the source's columns");
    refused(
        base + orders + ", target: ../up}\n",
        "job.yaml: tables.orders.target: must be a folder below sink.root like orders or"
            + " sales/orders (no '/' first, no '..', no name starting with '_' or '.', which readers"
            + " skip)");
    refused(
        base.replace("format: parquet", "format: orc") + orders + "}\n",
        "job.yaml: sink.format: must be one of parquet, csv, got 'orc'");
    refused(
        base.replace("connection: aws", "connection: gcs") + orders + "}\n",
        "job.yaml: sink.connection: no connection 'gcs' (connections: aws)");
    refused(
        base.replace("format: parquet}", "format: parquet, compression: gzip}") + orders + "}\n",
        "job.yaml: sink.compression: only for format: csv (Parquet's is"
            + " sink.parquet.compression)");
    refused(
        base.replace("format: parquet}", "format: csv, csv: {skipLines: 1}}") + orders + "}\n",
        "job.yaml: sink.csv: unknown field 'skipLines' (known fields: delimiter, quote, escape,"
            + " header, nullValue, encoding)");
    refused(
        base.replace("s3://lake/sales/", "s3://exports/sales/out/") + orders + "}\n",
        "job.yaml: sink.root: must not overlap source.root");
    refused(
        base + orders + "}\n  items: {files: items/, target: orders/items}\n",
        "job.yaml: tables.items.target: 'orders/items' is inside or holds the folder of table"
            + " orders ('orders'); give each table a folder of its own");
    refused(
        base.replace("format: parquet}", "format: parquet, rollOver: 10}") + orders + "}\n",
        "job.yaml: sink.rollOver: must be at least 1KiB, got '10'");
  }

  @Test
  public void writeBehavioursTakeTheDefaultsThenTheTablesOwnSettings() {
    JobSpec spec =
        parse(
            "name: t\n"
                + SOURCE
                + SINK.replace(
                    "jdbc:postgresql://db:5432/dw", "jdbc:sqlserver://db:1433;databaseName=dw")
                + "tableDefaults: {write: upsert, createTable: true, truncateBeforeFullCopy: true}\n"
                + "tables:\n"
                + "  orders: {files: o/, target: o, keys: [id]}\n"
                + "  customers: {files: c/, target: c, write: overwrite,"
                + " truncateBeforeFullCopy: false}\n"
                + "  items: {files: i/, target: i, write: append, createTable: false}\n");

    assertThat(spec.tabular().tables())
        .extracting(
            TableSpec::name,
            TableSpec::write,
            TableSpec::createTable,
            TableSpec::truncateBeforeFullCopy)
        .containsExactly(
            tuple("orders", WriteMode.UPSERT, true, true),
            tuple("customers", WriteMode.OVERWRITE, true, false),
            tuple("items", WriteMode.APPEND, false, true));
    assertThat(parse(JobSpecs.toJson(spec))).isEqualTo(spec);
  }

  @Test
  public void upsertNeedsKeysAndOverwriteIsNotTruncated() {
    refused(
        VALID.replace("target: public.orders}", "target: public.orders, write: upsert}"),
        "job.yaml: tables.orders.keys: required with write: upsert (the columns a row is matched"
            + " on)");
    refused(
        VALID + "tableDefaults: {write: overwrite, truncateBeforeFullCopy: true}\n",
        "job.yaml: tableDefaults.truncateBeforeFullCopy: not with write: overwrite, which replaces"
            + " the table's rows already");
    refused(
        VALID + "tableDefaults: {write: replace}\n",
        "job.yaml: tableDefaults.write: must be one of append, upsert, overwrite, got 'replace'");
    refused(
        VALID.replace("jdbc:postgresql://db:5432/dw", "jdbc:mysql://db/dw"),
        "job.yaml: sink.database.url: must be a JDBC URL starting with jdbc:postgresql:,"
            + " jdbc:sqlserver: or jdbc:h2:");
  }

  private static final String DB_SOURCE =
      "source:\n  database: {url: 'jdbc:postgresql://src:5432/shop', user: reader,"
          + " passwordEnv: SRC_PASSWORD}\n";
  private static final String DB_JOB = "name: t\n" + DB_SOURCE + SINK;

  @Test
  public void aDatabaseSourceJobMeansWhatItSaysAndItsSettingsParseBack() {
    JobSpec spec =
        parse(
            DB_JOB
                + "tables:\n"
                + "  orders:\n"
                + "    table: sales.orders\n"
                + "    target: public.orders\n"
                + "    watermark: {column: updated_at}\n"
                + "  items: {pattern: 'sales.item_*', target: 'dw.*', watermark: {column: id}}\n"
                + "  recent: {query: 'SELECT * FROM sales.orders WHERE id > 5', target: r,"
                + " watermark: {column: id}}\n"
                + "mode: incremental\n");

    assertThat(spec.mode()).isEqualTo(JobSpec.Mode.INCREMENTAL);
    assertThat(spec.source().root()).isEqualTo(URI.create("jdbc:postgresql://src:5432/shop"));
    assertThat(spec.tabular().sourceDatabase())
        .isEqualTo(new DatabaseSpec("jdbc:postgresql://src:5432/shop", "reader", "SRC_PASSWORD"));
    assertThat(spec.tabular().format()).isNull();
    TableSpec orders = spec.tabular().table("orders");
    assertThat(orders.source())
        .isEqualTo(new TabularSpec.TableSource("sales.orders", null, null, null, 1));
    assertThat(orders.watermark())
        .isEqualTo(new TabularSpec.Watermark("updated_at", java.time.Duration.ZERO));
    assertThat(orders.rereadsBoundary()).isFalse();
    assertThat(spec.tabular().table("items").source().pattern()).isEqualTo("sales.item_*");
    assertThat(spec.tabular().table("recent").source().query())
        .isEqualTo("SELECT * FROM sales.orders WHERE id > 5");

    String json = JobSpecs.toJson(spec);
    assertThat(parse(json)).isEqualTo(spec);
    assertThat(json).contains("\"mode\":\"incremental\"").contains("SRC_PASSWORD");
    JobSpec pieces =
        parse(
            DB_JOB + "tables:\n  big: {table: big, target: big, partitionColumn: id, pieces: 8}\n");
    assertThat(pieces.tabular().table("big").source())
        .isEqualTo(new TabularSpec.TableSource("big", null, null, "id", 8));
    assertThat(parse(JobSpecs.toJson(pieces))).isEqualTo(pieces);
  }

  @Test
  public void aContinuousDatabaseJobMeansWhatItSaysAndItsMistakesAreRefused() {
    String table =
        "tables:\n  orders: {table: orders, target: orders, keys: [id], write: upsert,"
            + " watermark: {column: at}}\n";
    JobSpec spec = parse(DB_JOB + table + "mode: continuous\ncontinuous: {interval: 30s}\n");
    assertThat(spec.mode()).isEqualTo(JobSpec.Mode.CONTINUOUS);
    assertThat(spec.delta().interval()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(spec.readsAboveWatermark()).isTrue();
    assertThat(parse(JobSpecs.toJson(spec))).isEqualTo(spec);

    refused(
        DB_JOB + table + "mode: continuous\n",
        "job.yaml: continuous.interval: required with mode continuous (e.g. 1m)");
    refused(
        DB_JOB + table + "continuous: {interval: 30s}\n",
        "job.yaml: continuous: only used with mode continuous");
    refused(
        DB_JOB
            + table.replace(", watermark: {column: at}", "")
            + "mode: continuous\ncontinuous: {interval: 30s}\n",
        "job.yaml: tables.orders.watermark: required with mode: continuous");
    refused(
        DB_JOB
            + table.replace("keys: [id], write: upsert", "write: append")
            + "mode: continuous\ncontinuous: {interval: 30s}\n",
        "job.yaml: tables.orders.write: mode: continuous needs keys and write: upsert (a round"
            + " replayed after a kill reads its rows again; append would duplicate them)");
    refused(
        "name: t\n"
            + DB_SOURCE
            + FILE_SINK
            + table.replace("keys: [id], write: upsert", "write: append")
            + "mode: continuous\ncontinuous: {interval: 30s}\n",
        "job.yaml: mode: continuous writes into a database table (sink.database) with keys and"
            + " write: upsert; files and Kusto sinks would receive a replayed round's rows twice");
  }

  @Test
  public void aDatabaseSourceJobsMistakesAreOneLineNamingTheField() {
    String table = "tables:\n  orders: {table: orders, target: orders}\n";
    refused(
        VALID + "mode: incremental\n",
        "job.yaml: mode: incremental reads database tables (source.database); files are full");
    refused(
        VALID.replace("target: public.orders}", "target: public.orders, watermark: {column: x}}"),
        "job.yaml: tables.orders.watermark: only for database sources in mode: incremental; files"
            + " are copied in full");
    refused(
        VALID.replace("target: public.orders}", "target: public.orders, table: x}"),
        "job.yaml: tables.orders.table: only with source.database (this job reads files)");
    refused(
        DB_JOB + table + "mode: incremental\n",
        "job.yaml: tables.orders.watermark: required with mode: incremental");
    refused(
        DB_JOB + table.replace("target: orders}", "target: orders, watermark: {column: x}}"),
        "job.yaml: tables.orders.watermark: only with mode: incremental or continuous");
    refused(
        DB_JOB
            + table.replace(
                "target: orders}", "target: orders, watermark: {column: x, lookback: 5m}}")
            + "mode: incremental\n",
        "job.yaml: tables.orders.watermark.lookback: re-reads rows already copied, so it needs"
            + " keys and write: upsert (append would duplicate them)");
    refused(
        DB_JOB
            + table.replace(
                "target: orders}",
                "target: orders, partitionColumn: id, pieces: 2, watermark: {column: x}}")
            + "mode: incremental\n",
        "job.yaml: tables.orders.pieces: with mode: incremental and write: append a table is"
            + " read in one piece (a failed run's committed pieces would be appended again)");
    refused(
        DB_JOB
            + "tables:\n  orders: {table: orders, target: orders, write: overwrite,"
            + " watermark: {column: x}}\nmode: incremental\n",
        "job.yaml: tables.orders.write: overwrite replaces the whole table, so it is for mode:"
            + " full; use append or upsert");
    refused(
        DB_JOB
            + "tables:\n  orders: {table: orders, target: orders, truncateBeforeFullCopy: true,"
            + " watermark: {column: x}}\nmode: incremental\n",
        "job.yaml: tables.orders.truncateBeforeFullCopy: only with mode: full");
    refused(
        DB_JOB + "tables:\n  orders: {target: orders}\n",
        "job.yaml: tables.orders: needs one of table, query or pattern");
    refused(
        DB_JOB + "tables:\n  orders: {table: a, query: 'SELECT 1', target: orders}\n",
        "job.yaml: tables.orders: has table and query; give one of table, query or pattern");
    refused(
        DB_JOB + "tables:\n  orders: {query: 'DELETE FROM a', target: orders}\n",
        "job.yaml: tables.orders.query: must be a SELECT (or WITH ... SELECT) query");
    refused(
        DB_JOB + "tables:\n  orders: {pattern: 'sales.*', target: orders}\n",
        "job.yaml: tables.orders.target: with pattern, must be schema.* (each table goes to the"
            + " table of its name there)");
    refused(
        DB_JOB + table.replace("target: orders}", "target: orders, pieces: 4}"),
        "job.yaml: tables.orders.partitionColumn: required with pieces > 1: the column whose"
            + " ranges are the pieces");
    refused(
        DB_JOB + table.replace("target: orders}", "target: orders, files: x/}"),
        "job.yaml: tables.orders.files: only for files; a database source's table names table:");
    refused(
        DB_JOB.replace("passwordEnv: SRC_PASSWORD", "password: hunter2") + table,
        "job.yaml: source.database.password: not allowed in a job file; name an environment"
            + " variable with source.database.passwordEnv");
    refused(
        DB_JOB.replace("database: {url", "root: s3://x/\n  database: {url") + table,
        "job.yaml: source.root: only for files; a database source names its tables");
  }

  @Test
  public void mistakesAreOneLineNamingTheField() {
    refused(
        VALID.replace(
            "target: public.orders}", "target: o, columns: [{source: a, sink: b, type: intger}]}"),
        "job.yaml: tables.orders.columns[0].type: unknown type 'intger'; use one of "
            + ColumnType.NAMES);
    refused(
        VALID
            .replace("format: csv}", "format: csv, csv: {header: false}}")
            .replace("target: public.orders}", "target: o, columns: [{source: a, sink: b}]}"),
        "job.yaml: tables.orders.columns[0].source: names a column, but source.csv.header is"
            + " false: name it by position (1, 2, ...)");
    refused(
        VALID.replace(
            "target: public.orders}",
            "target: o, columns: [{source: 1, sink: b, type: int, format: x}]}"),
        "job.yaml: tables.orders.columns[0].format: only for date, timestamp and timestamptz"
            + " values, not integer");
    refused(
        VALID.replace("user: loader", "user: loader, password: hunter2"),
        "job.yaml: sink.database.password: not allowed in a job file; name an environment"
            + " variable with sink.database.passwordEnv");
    refused(
        VALID.replace("jdbc:postgresql://db:5432/dw", "jdbc:postgresql://db/dw?password=hunter2"),
        "job.yaml: sink.database.url: must not hold a password; name an environment variable"
            + " with sink.database.passwordEnv");
    refused(
        VALID + "faultTolerance: {skipIncompatibleRows: true}\n",
        "job.yaml: faultTolerance.deadLetter: required with skipIncompatibleRows: true (rejected"
            + " rows are kept there, never dropped)");
    refused(
        VALID + "faultTolerance: {maxRejectedRows: 5}\n",
        "job.yaml: faultTolerance.maxRejectedRows: only used with"
            + " faultTolerance.skipIncompatibleRows: true");
    refused(
        VALID
            + "faultTolerance: {skipIncompatibleRows: true, deadLetter: s3://exports/sales/bad/}\n",
        "job.yaml: faultTolerance.deadLetter: must not overlap source.root");
    refused(
        VALID + "tableDefaults: {timeZone: Mars/Olympus}\n",
        "job.yaml: tableDefaults.timeZone: unknown time zone 'Mars/Olympus'; use an ID like UTC or"
            + " Europe/Paris");
    refused(
        VALID.replace("{files: orders/, target: public.orders}", "{files: orders/}"),
        "job.yaml: tables.orders.target: required");
    refused(
        VALID.replace("target: public.orders}", "target: 'orders; DROP TABLE x'}"),
        "job.yaml: tables.orders.target: must be a table name like orders or public.orders");
    refused(
        VALID + "mode: delta\n",
        "job.yaml: mode: delta is for file copies; a tabular job's mode is full");
    refused(
        VALID + "mode: continuous\n",
        "job.yaml: mode: continuous reads database tables (source.database) above their"
            + " watermark; files are full (run them with copyjob schedule)");
    refused(
        VALID + "delta: {overlap: 5m}\n",
        "job.yaml: delta: only for a file copy (a tabular job copies its tables:)");
    refused(
        "name: t\nsource: {root: /data/}\nsink: {root: /out/}\ntableDefaults: {write: append}\n",
        "job.yaml: tableDefaults: only for a tabular job (one with tables:)");
    refused(
        VALID.replace("format: csv}", "format: csv, csv: {delimiter: ';;'}}"),
        "job.yaml: source.csv.delimiter: must be one character (\\t for a tab), got ';;'");
    refused(
        VALID.replace("format: csv}", "format: csv, csv: {nullValue: NULL}}"),
        "job.yaml: source.csv.nullValue: put the text in quotes, e.g. 'NULL': unquoted, YAML reads"
            + " NULL, null and ~ as no value");
    refused(
        VALID.replace("format: csv}", "format: csv, compression: zip}"),
        "job.yaml: source.compression: must be one of auto, gzip, none, got 'zip'");
  }
}
