package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Store;
import io.copyjob.store.Stores;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.junit.Test;

/**
 * Parquet files in Azure (Azurite), written here with parquet-avro, loaded into PostgreSQL: typed
 * values (int, long, decimal, double, boolean, date, timestamps local and UTC, string, UUID) and a
 * nested field by path, every row read back with its type; a file that is not Parquet fails its
 * table with one line naming it.
 */
public class ParquetFilesToPostgresTest extends TabularTestBase {
  private static final Schema BUYER =
      SchemaBuilder.record("buyer").fields().requiredLong("id").requiredString("name").endRecord();
  private static final Schema ORDER =
      SchemaBuilder.record("order")
          .fields()
          .requiredInt("id")
          .optionalLong("customer")
          .name("amount")
          .type(LogicalTypes.decimal(12, 2).addToSchema(Schema.create(Schema.Type.BYTES)))
          .noDefault()
          .requiredDouble("ratio")
          .requiredBoolean("paid")
          .name("day")
          .type(LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT)))
          .noDefault()
          .name("at")
          .type(LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG)))
          .noDefault()
          .name("at_tz")
          .type(LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG)))
          .noDefault()
          .requiredString("code")
          .optionalString("note")
          .name("uid")
          .type(LogicalTypes.uuid().addToSchema(Schema.create(Schema.Type.STRING)))
          .noDefault()
          .name("buyer")
          .type(BUYER)
          .noDefault()
          .endRecord();

  private String container;

  @Override
  SinkDatabase database() {
    return SinkDatabase.postgres();
  }

  private static GenericData model() {
    GenericData model = new GenericData();
    model.addLogicalTypeConversion(new Conversions.DecimalConversion());
    model.addLogicalTypeConversion(new Conversions.UUIDConversion());
    model.addLogicalTypeConversion(new TimeConversions.DateConversion());
    model.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
    return model;
  }

  private static GenericRecord order(
      int id,
      Long customer,
      String amount,
      double ratio,
      String day,
      String at,
      String atTz,
      String code,
      String note,
      long buyer,
      String buyerName) {
    return new GenericRecordBuilder(ORDER)
        .set("id", id)
        .set("customer", customer)
        .set("amount", new BigDecimal(amount))
        .set("ratio", ratio)
        .set("paid", id % 2 == 1)
        .set("day", LocalDate.parse(day))
        .set("at", LocalDateTime.parse(at))
        .set("at_tz", Instant.parse(atTz))
        .set("code", code)
        .set("note", note)
        .set("uid", UUID.nameUUIDFromBytes(new byte[] {(byte) id}))
        .set(
            "buyer",
            new GenericRecordBuilder(BUYER).set("id", buyer).set("name", buyerName).build())
        .build();
  }

  /** The bytes of a Parquet file holding {@code records}, written by parquet-avro. */
  private byte[] parquet(List<GenericRecord> records) throws Exception {
    Path file = tmp.getRoot().toPath().resolve(UUID.randomUUID() + ".parquet");
    try (ParquetWriter<GenericRecord> writer =
        AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
            .withSchema(ORDER)
            .withDataModel(model())
            .build()) {
      for (GenericRecord record : records) {
        writer.write(record);
      }
    }
    return Files.readAllBytes(file);
  }

  private void putAzure(String key, byte[] data) throws Exception {
    try (Store lake =
        Stores.open(
            URI.create("azfs://devstoreaccount1/" + container + "/"),
            AzuriteServer.connection("lake", true))) {
      lake.prepare(true);
      lake.put(key, new ByteArrayInputStream(data), new FileInfo(key, data.length, null, null));
    }
  }

  private JobSpec parquetJob(String tables) {
    String yaml =
        jobYaml(tables + "# the source's connection: lake\n")
            .replace(
                "source: {root: 's3://" + bucket + "/exports/', connection: s3, format: csv}",
                "source: {root: 'azfs://devstoreaccount1/"
                    + container
                    + "/exports/', connection: lake, format: parquet}");
    return JobSpecParser.parse(yaml, tmp.getRoot().toPath(), "job.yaml");
  }

  @Test
  public void parquetFilesInAzureLoadEveryRowWithItsType() throws Exception {
    container = "parquet-" + id;
    sink.execute(
        ORDERS_DDL,
        "CREATE TABLE \"buyers\" (\"id\" BIGINT, \"name\" VARCHAR(50) NOT NULL, \"order_id\" INTEGER)");
    putAzure(
        "exports/orders/part-0.parquet",
        parquet(
            List.of(
                order(
                    1,
                    100000000000L,
                    "12.50",
                    0.25,
                    "2024-01-02",
                    "2024-01-02T03:04:05",
                    "2024-01-02T02:04:05Z",
                    "A1",
                    "line one\nline two",
                    7,
                    "Grace"),
                order(
                    2,
                    null,
                    "-3.00",
                    1000.0,
                    "2024-02-29",
                    "2024-02-29T23:59:59.123456",
                    "2024-02-29T10:00:00.000001Z",
                    "B,2",
                    null,
                    100000000000L,
                    "Ada"))));
    putAzure(
        "exports/orders/part-1.parquet",
        parquet(
            List.of(
                order(
                    3,
                    5L,
                    "9999999999.99",
                    -0.5,
                    "1970-01-01",
                    "1900-01-01T00:00:00",
                    "2038-01-19T03:14:08Z",
                    "C",
                    "plain",
                    7,
                    "Grace"))));
    putAzure("exports/orders/empty.parquet", parquet(List.of()));
    JobSpec spec =
        parquetJob(
            "tables:\n"
                + "  orders: {files: orders/, target: orders}\n"
                + "  buyers:\n"
                + "    files: orders/\n"
                + "    target: buyers\n"
                + "    columns:\n"
                + "      - {source: buyer.id, sink: id}\n"
                + "      - {source: buyer.name, sink: name}\n"
                + "      - {source: id, sink: order_id}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    String uid1 = UUID.nameUUIDFromBytes(new byte[] {1}).toString();
    String uid2 = UUID.nameUUIDFromBytes(new byte[] {2}).toString();
    String uid3 = UUID.nameUUIDFromBytes(new byte[] {3}).toString();
    assertThat(sink.rows("SELECT * FROM \"orders\" ORDER BY \"id\""))
        .containsExactly(
            "1 | 100000000000 | 12.50 | 0.25 | true | 2024-01-02 | 2024-01-02T03:04:05"
                + " | 2024-01-02T02:04:05Z | A1 | line one\nline two | "
                + uid1,
            "2 | null | -3.00 | 1000.0 | false | 2024-02-29 | 2024-02-29T23:59:59.123456"
                + " | 2024-02-29T10:00:00.000001Z | B,2 | null | "
                + uid2,
            "3 | 5 | 9999999999.99 | -0.5 | true | 1970-01-01 | 1900-01-01T00:00"
                + " | 2038-01-19T03:14:08Z | C | plain | "
                + uid3);
    assertThat(
            sink.rows(
                "SELECT \"id\", \"name\", \"order_id\" FROM \"buyers\" ORDER BY \"order_id\""))
        .containsExactly("7 | Grace | 1", "100000000000 | Ada | 2", "7 | Grace | 3");
    assertThat(run.totals().rowsRead()).isEqualTo(6);
    assertThat(run.totals().rowsWritten()).isEqualTo(6);
  }

  @Test
  public void aFileThatIsNotParquetFailsItsTableInOneLine() throws Exception {
    container = "parquet-bad-" + id;
    sink.execute(ORDERS_DDL);
    putAzure("exports/orders/broken.parquet", "id,amount\n1,2\n".getBytes());
    JobSpec spec = parquetJob("tables:\n  orders: {files: orders/, target: orders}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    String where = "azfs://devstoreaccount1/" + container + "/exports/orders/broken.parquet";
    assertThat(run.error())
        .isEqualTo(
            "1 table(s) failed; first table 'orders': "
                + where
                + ": not a readable Parquet file (it is not a Parquet file. Expected magic number"
                + " at tail, but found [49, 44, 50, 10])");
    assertThat(sink.rows("SELECT COUNT(*) FROM \"orders\"")).containsExactly("0");
    try (ControlStore control = ControlStore.open(spec.control())) {
      assertThat(control.succeededInRun(run.runId(), tables(spec, run).get(0).result().key()))
          .isFalse();
    }
  }
}
