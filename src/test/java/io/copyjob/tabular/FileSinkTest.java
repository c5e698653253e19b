package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.pipeline.JobException;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.S3ProxyServer;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import io.copyjob.tabular.pipeline.TabularJobTestSupport;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;
import org.junit.After;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * File sinks: PostgreSQL tables into Parquet in s3proxy, read back with parquet-avro's own reader
 * and copyjob's; parts rolled over by size; append, overwrite and an overwrite that fails half way;
 * CSV in a local folder into CSV and into Parquet in Azurite with a typed mapping; a piece driven
 * twice written once.
 */
public class FileSinkTest {
  @ClassRule public static final S3ProxyServer S3 = new S3ProxyServer();
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private String id;
  private String bucket;
  private SinkDatabase source;
  private Store lake;

  @Before
  public void setUp() throws Exception {
    id = UUID.randomUUID().toString().substring(0, 8);
    bucket = "fsink-" + id;
    lake = Stores.open(URI.create("s3://" + bucket + "/"), S3.connection("s3", true));
    lake.prepare(true);
  }

  @After
  public void tearDown() throws Exception {
    if (lake != null) {
      lake.close();
    }
    if (source != null) {
      source.drop();
    }
  }

  private static final String ORDERS =
      "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer BIGINT, amount"
          + " NUMERIC(12,2), note TEXT, code VARCHAR(20), paid BOOLEAN, day DATE, at TIMESTAMP(6),"
          + " at_tz TIMESTAMPTZ, t TIME(6), b BYTEA)";

  private void seed() throws Exception {
    source = SinkDatabase.postgres();
    source.execute(
        ORDERS,
        "INSERT INTO orders VALUES (1, 10, 12.50, 'first, \"quoted\"\nline', 'a', true,"
            + " '2024-01-01', '2024-01-01 10:00:00.123456', '2024-01-01 10:00:00.654321+02',"
            + " '23:59:59.999999', '\\x00ff10')",
        "INSERT INTO orders VALUES (2, NULL, -0.01, NULL, NULL, false, NULL, NULL, NULL, NULL,"
            + " NULL)",
        "INSERT INTO orders VALUES (3, 30, 99999.99, 'ü ∑ 😀', 'c', NULL, '2000-02-29',"
            + " '1999-12-31 23:59:59.999999', '2038-01-19 03:14:07.000001+00', '00:00:00.000001',"
            + " '\\x')",
        "CREATE TABLE items (id INTEGER NOT NULL, qty INTEGER, name TEXT)",
        "INSERT INTO items SELECT g, g % 7, 'item ' || g FROM generate_series(1, 2000) g");
  }

  private String yaml(String name, String sink, String rest) {
    return "name: "
        + name
        + "-"
        + id
        + "\n"
        + "connections:\n"
        + "  s3: {type: s3, region: us-east-1, endpoint: '"
        + S3.endpoint()
        + "', pathStyle: true, accessKeyIdEnv: COPYJOB_TEST_S3_KEY,"
        + " secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET, createBucket: true}\n"
        + "source:\n"
        + source.yaml()
        + "sink: "
        + sink
        + "\n"
        + rest
        + "control: {url: 'jdbc:h2:file:"
        + tmp.getRoot().toPath().resolve("control")
        + ";AUTO_SERVER=TRUE'}\n";
  }

  private JobSpec job(String name, String sink, String rest) {
    return JobSpecParser.parse(yaml(name, sink, rest), tmp.getRoot().toPath(), "job.yaml");
  }

  private String parquetSink(String more) {
    return "{root: 's3://" + bucket + "/lake/', connection: s3, format: parquet" + more + "}";
  }

  /** The data files below {@code folder} (markers and hidden files left out), in key order. */
  private static List<String> dataFiles(Store store, String folder) throws Exception {
    List<String> keys = new ArrayList<>();
    try (Listing listing = store.list(folder, true)) {
      while (listing.hasNext()) {
        String key = listing.next().key();
        if (!key.substring(folder.length()).startsWith("_")) {
          keys.add(key);
        }
      }
    }
    return keys;
  }

  private static GenericData model() {
    GenericData model = new GenericData();
    model.addLogicalTypeConversion(new Conversions.DecimalConversion());
    model.addLogicalTypeConversion(new TimeConversions.DateConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
    model.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
    return model;
  }

  /** Every record of the Parquet files, read with parquet-avro, each as "v1 | v2 | ...". */
  private List<String> parquetRows(Store store, List<String> keys, List<Schema> schemas)
      throws Exception {
    List<String> rows = new ArrayList<>();
    for (String key : keys) {
      Path local = tmp.newFile().toPath();
      try (InputStream in = store.open(key)) {
        Files.copy(in, local, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      try (ParquetReader<GenericRecord> reader =
          AvroParquetReader.<GenericRecord>builder(new LocalInputFile(local))
              .withDataModel(model())
              .build()) {
        for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
          schemas.add(r.getSchema());
          List<String> values = new ArrayList<>();
          for (int i = 0; i < r.getSchema().getFields().size(); i++) {
            values.add(shown(r.get(i)));
          }
          rows.add(String.join(" | ", values));
        }
      }
    }
    return rows;
  }

  /** The same files read with copyjob's own Parquet reader. */
  private List<String> copyjobRows(Store store, List<String> keys) throws Exception {
    List<String> rows = new ArrayList<>();
    for (String key : keys) {
      try (ParquetRowReader reader = new ParquetRowReader(store.open(key), List.of(), false, key)) {
        for (SourceRow row = reader.next(); row != null; row = reader.next()) {
          rows.add(
              java.util.Arrays.stream(row.values())
                  .map(FileSinkTest::shown)
                  .collect(Collectors.joining(" | ")));
        }
      }
    }
    return rows;
  }

  /** A value as PostgreSQL's getString writes it: bytes as \\x and hex. */
  private static String shown(Object value) {
    if (value instanceof java.nio.ByteBuffer buffer) {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
      value = bytes;
    }
    return value instanceof byte[] bytes
        ? "\\x" + java.util.HexFormat.of().formatHex(bytes)
        : String.valueOf(value);
  }

  private static List<PartitionRunRecord> tables(JobSpec spec, RunRecord run) throws Exception {
    try (ControlStore control = ControlStore.open(spec.control())) {
      return control.partitionRuns(run.runId()).stream()
          .sorted(Comparator.comparing(r -> r.result().key().prefix()))
          .toList();
    }
  }

  /** Runs the job and checks that it succeeded, saying each table's error when not. */
  private static RunRecord succeeds(JobSpec spec) throws Exception {
    RunRecord run = TabularTestBase.run(spec, false);
    assertThat(run.status().name())
        .as(
            () ->
                tablesOrEmpty(spec, run).stream()
                    .map(t -> t.result().firstError())
                    .toList()
                    .toString())
        .isEqualTo("SUCCEEDED");
    return run;
  }

  private static List<PartitionRunRecord> tablesOrEmpty(JobSpec spec, RunRecord run) {
    try {
      return tables(spec, run);
    } catch (Exception e) {
      return List.of();
    }
  }

  private static String sorted(List<String> rows) {
    return rows.stream().sorted().collect(Collectors.joining("\n"));
  }

  @Test
  public void postgresTablesBecomeParquetWithTheirTypesRolledOverBySize() throws Exception {
    seed();
    JobSpec spec =
        job(
            "pq",
            parquetSink(", rollOver: 8KiB"),
            "tables:\n"
                + "  orders: {table: orders}\n"
                + "  items: {table: items, target: shop/items, partitionColumn: id, pieces: 2}\n");

    RunRecord run = succeeds(spec);

    assertThat(tables(spec, run))
        .extracting(
            t ->
                t.result().key().prefix()
                    + " "
                    + t.result().table().rowsRead()
                    + "/"
                    + t.result().table().rowsWritten())
        .containsExactly("items 2000/2000", "orders 3/3");

    List<String> orderFiles = dataFiles(lake, "lake/orders/");
    assertThat(orderFiles).hasSize(1).allMatch(k -> k.endsWith(".parquet"));
    List<Schema> schemas = new ArrayList<>();
    List<String> expected = source.rows("SELECT * FROM orders ORDER BY id");
    assertThat(parquetRows(lake, orderFiles, schemas)).isEqualTo(expected);
    assertThat(copyjobRows(lake, orderFiles)).isEqualTo(expected);
    Schema schema = schemas.get(0);
    Map<String, String> types = new TreeMap<>();
    for (Schema.Field f : schema.getFields()) {
      Schema type = f.schema().getTypes().get(1);
      types.put(
          f.name(),
          type.getType().getName()
              + (type.getLogicalType() == null ? "" : " " + type.getLogicalType().getName())
              + (type.getLogicalType() instanceof org.apache.avro.LogicalTypes.Decimal d
                  ? "(" + d.getPrecision() + "," + d.getScale() + ")"
                  : ""));
    }
    assertThat(types)
        .containsExactlyInAnyOrderEntriesOf(
            Map.ofEntries(
                Map.entry("id", "int"),
                Map.entry("customer", "long"),
                Map.entry("amount", "bytes decimal(12,2)"),
                Map.entry("note", "string"),
                Map.entry("code", "string"),
                Map.entry("paid", "boolean"),
                Map.entry("day", "int date"),
                Map.entry("at", "long local-timestamp-micros"),
                Map.entry("at_tz", "long timestamp-micros"),
                Map.entry("t", "long time-micros"),
                Map.entry("b", "bytes")));

    // Rolled over: several files, every row once.
    List<String> itemFiles = dataFiles(lake, "lake/shop/items/");
    assertThat(itemFiles.size()).isGreaterThan(2);
    List<String> items = parquetRows(lake, itemFiles, new ArrayList<>());
    assertThat(sorted(items)).isEqualTo(sorted(source.rows("SELECT * FROM items")));
    // One marker per piece, none among the data files.
    assertThat(lake.list("lake/shop/items/_copyjob/", true))
        .toIterable()
        .extracting(FileInfo::key)
        .hasSize(2);
  }

  @Test
  public void appendAddsFilesOverwriteReplacesThemAndAFailedOverwriteLeavesTheOldOnes()
      throws Exception {
    seed();
    String items = "tables:\n  items:\n    table: items\n    partitionColumn: id\n    pieces: 2\n";
    JobSpec append = job("app", parquetSink(""), items);
    succeeds(append);
    List<String> first = dataFiles(lake, "lake/items/");
    succeeds(append);
    List<String> both = dataFiles(lake, "lake/items/");
    assertThat(both).hasSize(2 * first.size()).containsAll(first);
    String once = sorted(source.rows("SELECT * FROM items"));
    assertThat(sorted(parquetRows(lake, both, new ArrayList<>())))
        .isEqualTo(sorted(source.rows("SELECT * FROM items UNION ALL SELECT * FROM items")));

    // Overwrite: the run's files only, every row once. The mapping fails a quantity past smallint.
    String typed =
        items
            + "    write: overwrite\n"
            + "    columns: [{source: id, sink: id, type: integer},"
            + " {source: qty, sink: qty, type: smallint}, {source: name, sink: name, type: text}]\n";
    JobSpec overwrite = job("ow", parquetSink(""), typed);
    succeeds(overwrite);
    List<String> replaced = dataFiles(lake, "lake/items/");
    assertThat(replaced).hasSize(2).doesNotContainAnyElementsOf(both);
    assertThat(sorted(parquetRows(lake, replaced, new ArrayList<>()))).isEqualTo(once);

    // A row of the second piece cannot be written: the table fails after the first piece
    // committed its file, and the folder holds the last good run's files, whole.
    source.execute("INSERT INTO items VALUES (2001, 100000, 'too many')");
    RunRecord failed = TabularTestBase.run(overwrite, false);
    assertThat(failed.status().name()).isEqualTo("FAILED");
    assertThat(tables(overwrite, failed).get(0).result().firstError())
        .contains("row 1001")
        .contains("100000");
    assertThat(dataFiles(lake, "lake/items/")).isEqualTo(replaced);
    assertThat(sorted(parquetRows(lake, replaced, new ArrayList<>()))).isEqualTo(once);
  }

  @Test
  public void aSinkRootThatCannotBeReachedIsOneLineAndRecordsNoRun() throws Exception {
    seed();
    String sink = "{root: 's3://missing-" + id + "/lake/', connection: s3, format: parquet}";
    JobSpec spec =
        JobSpecParser.parse(
            yaml("down", sink, "tables:\n  orders: {table: orders}\n")
                .replace("createBucket: true", "createBucket: false"),
            tmp.getRoot().toPath(),
            "job.yaml");

    assertThatThrownBy(() -> TabularTestBase.run(spec, false))
        .isInstanceOf(JobException.class)
        .hasMessageStartingWith("sink.root s3://missing-" + id + "/lake/: ")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.history(spec.name(), 10)).isEmpty();
    }
  }

  private static final String CSV_HEADER = "id,amount,day,at_tz,note\n";

  private static final String TYPED =
      "    columns:\n"
          + "      - {source: id, sink: id, type: integer}\n"
          + "      - {source: amount, sink: amount, type: 'decimal(10,2)'}\n"
          + "      - {source: day, sink: day, type: date, format: dd/MM/yyyy}\n"
          + "      - {source: at_tz, sink: at_tz, type: timestamptz}\n"
          + "      - {source: note, sink: note}\n";

  /** A job reading the CSV files of a local folder into {@code sink}. */
  private JobSpec csvJob(String name, String sink, String connections) throws Exception {
    Path exports = tmp.getRoot().toPath().resolve("exports");
    Files.createDirectories(exports.resolve("orders"));
    Files.writeString(
        exports.resolve("orders/1.csv"),
        CSV_HEADER
            + "1,12.5,31/01/2024,2024-01-31T23:00:00+01:00,\"two\nlines, \"\"quoted\"\"\"\n"
            + "2,,29/02/2000,,\n");
    Files.writeString(exports.resolve("orders/2.csv"), CSV_HEADER + "3,-0.01,01/01/1970,,ü\n");
    String yaml =
        "name: "
            + name
            + "-"
            + id
            + "\n"
            + connections
            + "source: {root: '"
            + exports
            + "/', format: csv}\n"
            + "sink: "
            + sink
            + "\n"
            + "tables:\n  orders:\n    files: orders/\n"
            + TYPED
            + "control: {url: 'jdbc:h2:file:"
            + tmp.getRoot().toPath().resolve("control")
            + ";AUTO_SERVER=TRUE'}\n";
    return JobSpecParser.parse(yaml, tmp.getRoot().toPath(), "job.yaml");
  }

  @Test
  public void csvInALocalFolderBecomesGzippedCsvWithATypedMapping() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("out");
    JobSpec spec =
        csvJob(
            "csv",
            "{root: '"
                + out
                + "/', format: csv, compression: gzip, csv: {delimiter: ';', nullValue: 'NULL'}}",
            "");

    RunRecord run = succeeds(spec);

    assertThat(tables(spec, run).get(0).result().table().rowsWritten()).isEqualTo(3);
    List<String> texts = new ArrayList<>();
    try (Store folder = Stores.open(out.toUri(), null)) {
      List<String> keys = dataFiles(folder, "orders/");
      assertThat(keys).hasSize(2).allMatch(k -> k.endsWith(".csv.gz"));
      for (String key : keys) {
        try (InputStream in = new GZIPInputStream(folder.open(key))) {
          texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
    String header = "id;amount;day;at_tz;note\r\n";
    assertThat(texts)
        .containsExactlyInAnyOrder(
            header
                + "1;12.50;2024-01-31;2024-01-31T23:00:00+01:00;\"two\nlines, \"\"quoted\"\"\"\r\n"
                + "2;NULL;2000-02-29;NULL;NULL\r\n",
            header + "3;-0.01;1970-01-01;NULL;ü\r\n");
  }

  @Test
  public void csvInALocalFolderBecomesParquetInAzureWithATypedMapping() throws Exception {
    String container = "fsink-" + id;
    JobSpec spec =
        csvJob(
            "az",
            "{root: 'azfs://devstoreaccount1/"
                + container
                + "/lake/', connection: lake,"
                + " format: parquet, parquet: {compression: zstd}}",
            "connections:\n  lake: {type: azure, account: devstoreaccount1, endpoint: '"
                + AzuriteServer.endpoint()
                + "', accountKeyEnv: COPYJOB_TEST_AZURE_KEY, createContainer: true}\n");

    succeeds(spec);

    try (Store azure =
        Stores.open(
            URI.create("azfs://devstoreaccount1/" + container + "/"),
            AzuriteServer.connection("lake", true))) {
      List<String> keys = dataFiles(azure, "lake/orders/");
      assertThat(keys).hasSize(2);
      List<Schema> schemas = new ArrayList<>();
      assertThat(parquetRows(azure, keys, schemas))
          .containsExactlyInAnyOrder(
              "1 | 12.50 | 2024-01-31 | 2024-01-31T22:00:00Z | two\nlines, \"quoted\"",
              "2 | null | 2000-02-29 | null | null",
              "3 | -0.01 | 1970-01-01 | null | ü");
      assertThat(schemas.get(0).getField("amount").schema().getTypes().get(1).getLogicalType())
          .isEqualTo(org.apache.avro.LogicalTypes.decimal(10, 2));
    }
  }

  @Test
  public void aPieceDrivenTwiceInOneRunIsWrittenOnce() throws Exception {
    byte[] csv =
        (CSV_HEADER + "1,1.5,01/02/2024,,a\n2,2,02/02/2024,,b\n").getBytes(StandardCharsets.UTF_8);
    lake.put(
        "exports/orders/1.csv",
        new ByteArrayInputStream(csv),
        new FileInfo("x", csv.length, null, null));
    String yaml =
        "name: twice-"
            + id
            + "\n"
            + "connections:\n"
            + "  s3: {type: s3, region: us-east-1, endpoint: '"
            + S3.endpoint()
            + "', pathStyle: true, accessKeyIdEnv: COPYJOB_TEST_S3_KEY,"
            + " secretAccessKeyEnv: COPYJOB_TEST_S3_SECRET, createBucket: true}\n"
            + "source: {root: 's3://"
            + bucket
            + "/exports/', connection: s3, format: csv}\n"
            + "sink: "
            + parquetSink("")
            + "\ntables:\n  orders:\n    files: orders/\n"
            // Every column typed: the folder's columns are known without reading the source.
            + TYPED.replace("sink: note}", "sink: note, type: text}")
            + "control: {url: 'jdbc:h2:file:"
            + tmp.getRoot().toPath().resolve("control")
            + ";AUTO_SERVER=TRUE'}\n";
    JobSpec spec = JobSpecParser.parse(yaml, tmp.getRoot().toPath(), "job.yaml");

    TabularJobTestSupport.Driven driven =
        TabularJobTestSupport.transferTwice(spec, "orders", "1.csv");

    assertThat(driven.outcomes()).containsExactlyInAnyOrder("LOADED", "SKIPPED");
    List<String> keys = dataFiles(lake, "lake/orders/");
    assertThat(keys).hasSize(1);
    assertThat(parquetRows(lake, keys, new ArrayList<>()))
        .containsExactly("1 | 1.50 | 2024-02-01 | null | a", "2 | 2.00 | 2024-02-02 | null | b");
    assertThat(lake.list("lake/orders/_copyjob/", true)).toIterable().hasSize(1);
  }

  @Test
  public void thePostgresToParquetExampleWritesEveryRowOnceEachRun() throws Exception {
    source = SinkDatabase.postgres();
    Path examples = Path.of("examples").toAbsolutePath();
    String schema = source.yaml().substring(source.yaml().indexOf("currentSchema=") + 14);
    schema = schema.substring(0, schema.indexOf('\''));
    source.execute(
        Files.readString(examples.resolve("postgres-to-parquet.sql"))
            .replace("CREATE SCHEMA IF NOT EXISTS shop;", "")
            .replace("shop.", schema + ".")
            .split(";\n"));
    String url = source.yaml().substring(source.yaml().indexOf("url: '") + 6);
    url = url.substring(0, url.indexOf('\''));
    String yaml =
        Files.readString(examples.resolve("postgres-to-parquet.yaml"))
                .replace("jdbc:postgresql://127.0.0.1:55432/copyjob_test", url)
                .replace("user: copyjob", "user: " + System.getenv("COPYJOB_TEST_PG_USER"))
                .replace("COPYJOB_LOCAL_PG_PASSWORD", "COPYJOB_TEST_PG_PASSWORD")
                .replace("http://127.0.0.1:9000", S3.endpoint().toString())
                .replace("COPYJOB_LOCAL_S3_KEY", "COPYJOB_TEST_S3_KEY")
                .replace("COPYJOB_LOCAL_S3_SECRET", "COPYJOB_TEST_S3_SECRET")
                .replace("s3://lake/shop/", "s3://" + bucket + "/shop/")
                .replace("shop.", schema + ".")
            + "control: {url: 'jdbc:h2:file:"
            + tmp.getRoot().toPath().resolve("control")
            + "'}\n";
    JobSpec spec = JobSpecParser.parse(yaml, examples, "postgres-to-parquet.yaml");

    for (int run = 1; run <= 2; run++) {
      succeeds(spec);
      List<String> customers = dataFiles(lake, "shop/customers/");
      List<String> orders = dataFiles(lake, "shop/orders/");
      assertThat(orders).hasSize(4);
      assertThat(parquetRows(lake, customers, new ArrayList<>()))
          .isEqualTo(source.rows("SELECT * FROM " + schema + ".customers ORDER BY id"));
      assertThat(sorted(parquetRows(lake, orders, new ArrayList<>())))
          .isEqualTo(sorted(source.rows("SELECT * FROM " + schema + ".orders")));
    }
  }
}
