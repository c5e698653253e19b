package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

/**
 * Parquet batches, and tables without {@code columns:}, into Azure Data Explorer through the real
 * ingest SDK up to Azurite: each blob is read back with copyjob's own Parquet reader (or gunzipped)
 * and compared with the rows the sink was given, and each queue message's fields with what the
 * table's settings mean. What this cannot show: that a real cluster accepts the mapping and ends
 * with the rows.
 */
public class KustoBatchFormatsTest extends KustoTestBase {
  private static final String ORDERS =
      "id,customer,amount,at\n"
          + "1,\"Smith, Jane\",12.50,2024-05-01T10:00:00Z\n"
          + "2,,7,2024-05-02T00:00:00+02:00\n";

  private static String table(String options, String columns) {
    return "tables:\n"
        + "  orders:\n"
        + "    files: orders/\n"
        + "    target: Orders\n"
        + options
        + columns;
  }

  private static final String COLUMNS =
      "    columns:\n"
          + "      - {source: id, sink: Id, type: bigint}\n"
          + "      - {source: customer, sink: Customer}\n"
          + "      - {source: amount, sink: Amount, type: 'decimal(12,2)'}\n"
          + "      - {source: at, sink: At, type: timestamptz}\n"
          + "      - {constant: $fileName, sink: SourceFile}\n";

  private RunRecord runOk(JobSpec spec) throws Exception {
    RunRecord run = run(spec, false);
    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    return run;
  }

  /** The rows of a Parquet blob, read by copyjob's Parquet reader, and its field names. */
  private static List<List<Object>> parquetRows(byte[] blob, List<String> names)
      throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    try (ParquetRowReader reader =
        new ParquetRowReader(new ByteArrayInputStream(blob), List.of(), false, "blob")) {
      for (SourceRow row = reader.next(); row != null; row = reader.next()) {
        rows.add(Arrays.asList(row.values()));
      }
      names.addAll(reader.columnNames().orElseThrow());
    }
    return rows;
  }

  private static List<String> mapping(JsonNode message) throws IOException {
    List<String> columns = new ArrayList<>();
    for (JsonNode c : JSON.readTree(property(message).path("ingestionMapping").asText())) {
      columns.add(
          c.path("columnName").asText()
              + ":"
              + c.path("columnType").asText()
              + ":"
              + c.path("properties").toString());
    }
    return columns;
  }

  @Test
  public void parquetBatchesHoldTheRowsTypedAndMapEachColumnByPath() throws Exception {
    put("exports/orders/a.csv", ORDERS);
    RunRecord run = runOk(job(table("    format: parquet\n", COLUMNS)));

    List<JsonNode> messages = kusto.messages();
    assertThat(messages).hasSize(1);
    JsonNode m = messages.get(0);
    byte[] blob = kusto.blobBytes(m);
    List<String> names = new ArrayList<>();
    assertThat(parquetRows(blob, names))
        .containsExactly(
            List.of(
                1L,
                "Smith, Jane",
                new BigDecimal("12.50"),
                Instant.parse("2024-05-01T10:00:00Z"),
                "a.csv"),
            Arrays.asList(
                2L, null, new BigDecimal("7.00"), Instant.parse("2024-05-01T22:00:00Z"), "a.csv"));
    assertThat(names).containsExactly("Id", "Customer", "Amount", "At", "SourceFile");
    // Uploaded as it is (Parquet compresses itself), its size sent as the raw size.
    assertThat(m.path("blobPath").asText()).contains("/kusto-" + id + "/").contains(".parquet?");
    assertThat(field(m, "RawDataSize")).isEqualTo(String.valueOf(blob.length));
    assertThat(field(m, "DatabaseName")).isEqualTo("sales");
    assertThat(field(m, "TableName")).isEqualTo("Orders");
    assertThat(field(m, "FlushImmediately")).isEqualTo("false");
    assertThat(field(m, "ReportLevel")).isEqualTo("FailuresOnly");
    assertThat(field(m, "ReportMethod")).isEqualTo("Queue");
    JsonNode props = property(m);
    assertThat(props.path("format").asText()).isEqualTo("parquet");
    assertThat(props.path("ingestionMappingType").asText()).isEqualToIgnoringCase("parquet");
    assertThat(props.path("ignoreFirstRecord").asText()).isEqualTo("false");
    assertThat(props.path("authorizationContext").asText()).isEqualTo(LocalKusto.IDENTITY_TOKEN);
    assertThat(mapping(m))
        .containsExactly(
            "Id:long:{\"Path\":\"$.Id\"}",
            "Customer:string:{\"Path\":\"$.Customer\"}",
            "Amount:decimal:{\"Path\":\"$.Amount\"}",
            "At:datetime:{\"Path\":\"$.At\"}",
            "SourceFile:string:{\"Path\":\"$.SourceFile\"}");
    String tag = "copyjob/tab-" + id + "/orders/" + run.runId() + "/";
    String ifNotExists = JSON.readTree(props.path("ingestIfNotExists").asText()).get(0).asText();
    assertThat(ifNotExists).startsWith(tag).endsWith("/0");
    assertThat(props.path("tags").asText()).isEqualTo("[\"ingest-by:" + ifNotExists + "\"]");
  }

  @Test
  public void aPieceLargerThanBatchSizeGoesInSeveralParquetBatches() throws Exception {
    StringBuilder csv = new StringBuilder("id,customer,amount,at\n");
    int rows = 40_000; // about 2.5 MB as CSV: three batches of at most 1 MiB
    for (int i = 0; i < rows; i++) {
      csv.append(i).append(",customer number ").append(i).append(",1.5,2024-05-01T10:00:00Z\n");
    }
    put("exports/orders/big.csv", csv.toString());
    runOk(job(table("    format: parquet\n    batchSize: 1MiB\n", COLUMNS)));

    List<JsonNode> messages = kusto.messages();
    assertThat(messages).hasSize(3);
    List<Object> ids = new ArrayList<>();
    List<String> batches = new ArrayList<>();
    for (JsonNode m : messages) {
      for (List<Object> row : parquetRows(kusto.blobBytes(m), new ArrayList<>())) {
        ids.add(row.get(0));
        assertThat(row.get(1)).isEqualTo("customer number " + row.get(0));
      }
      String tag = JSON.readTree(property(m).path("ingestIfNotExists").asText()).get(0).asText();
      batches.add(tag.substring(tag.lastIndexOf('/') + 1));
    }
    assertThat(batches).containsExactlyInAnyOrder("0", "1", "2");
    List<Object> expected = new ArrayList<>();
    for (long i = 0; i < rows; i++) {
      expected.add(i);
    }
    assertThat(ids).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  public void withoutColumnsACsvBatchHoldsTheSourcesColumnsInOrderAndNoMapping() throws Exception {
    put("exports/orders/a.csv", ORDERS);
    JobSpec spec = job(table("", ""));
    runOk(spec);

    JsonNode m = kusto.messages().get(0);
    assertThat(kusto.messages()).hasSize(1);
    // The values as the source holds them, in its columns' order: Kusto takes them by position.
    assertThat(kusto.blobText(m))
        .isEqualTo(
            "1,\"Smith, Jane\",12.50,2024-05-01T10:00:00Z\n" + "2,,7,2024-05-02T00:00:00+02:00\n");
    JsonNode props = property(m);
    assertThat(props.path("format").asText()).isEqualTo("csv");
    assertThat(props.has("ingestionMapping")).as(props.toString()).isFalse();
    assertThat(props.has("ingestionMappingReference")).isFalse();
    assertThat(props.has("ingestionMappingType")).isFalse();
    assertThat(field(m, "TableName")).isEqualTo("Orders");
    assertThat(field(m, "RawDataSize"))
        .isEqualTo(String.valueOf(kusto.blobText(m).getBytes(StandardCharsets.UTF_8).length));
  }

  @Test
  public void withoutColumnsAParquetBatchNamesEachFieldAsTheSourceDoes() throws Exception {
    put("exports/orders/a.csv", ORDERS);
    runOk(job(table("    format: parquet\n", "")));

    JsonNode m = kusto.messages().get(0);
    List<String> names = new ArrayList<>();
    assertThat(parquetRows(kusto.blobBytes(m), names))
        .containsExactly(
            List.of("1", "Smith, Jane", "12.50", "2024-05-01T10:00:00Z"),
            Arrays.asList("2", null, "7", "2024-05-02T00:00:00+02:00"));
    // Kusto maps them by name onto the table's columns.
    assertThat(names).containsExactly("id", "customer", "amount", "at");
    JsonNode props = property(m);
    assertThat(props.path("format").asText()).isEqualTo("parquet");
    assertThat(props.has("ingestionMapping")).as(props.toString()).isFalse();
    assertThat(props.has("ingestionMappingReference")).isFalse();
  }

  @Test
  public void aMappingReferenceIsSentByNameForParquet() throws Exception {
    put("exports/orders/a.csv", ORDERS);
    runOk(job(table("    format: parquet\n    mappingRef: OrdersParquet\n", COLUMNS)));

    JsonNode props = property(kusto.messages().get(0));
    assertThat(props.path("ingestionMappingReference").asText()).isEqualTo("OrdersParquet");
    assertThat(props.path("ingestionMappingType").asText()).isEqualToIgnoringCase("parquet");
    assertThat(props.has("ingestionMapping")).isFalse();
    assertThat(parquetRows(kusto.blobBytes(kusto.messages().get(0)), new ArrayList<>())).hasSize(2);
  }
}
