package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.data.tables.models.TableEntity;
import com.fasterxml.jackson.databind.JsonNode;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * A CSV folder in S3 (s3proxy) into an Azure Data Explorer table, on the DirectRunner, through the
 * real ingest SDK: everything up to the cluster's storage is real (Azurite's blob container and
 * queue, which the SDK writes into); the cluster's management endpoint is {@link LocalKusto}. What
 * this cannot show: that a real cluster accepts the mapping and ends with the rows.
 */
public class S3CsvToKustoTest extends KustoTestBase {
  private static final String TABLES =
      "tables:\n"
          + "  orders:\n"
          + "    files: orders/\n"
          + "    target: Orders\n"
          + "    columns:\n"
          + "      - {source: id, sink: Id, type: bigint}\n"
          + "      - {source: customer, sink: Customer}\n"
          + "      - {source: amount, sink: Amount, type: 'decimal(12,2)'}\n"
          + "      - {source: at, sink: At, type: timestamptz}\n"
          + "      - {constant: $fileName, sink: SourceFile}\n";

  private String deadLetter() {
    return "s3://" + bucket + "/rejected/";
  }

  private JobSpec skippingJob() {
    return job(
        TABLES
            + "faultTolerance: {skipIncompatibleRows: true, deadLetter: '"
            + deadLetter()
            + "', connection: s3}\n");
  }

  @Test
  public void rowsGoIntoGzipBlobsAndQueueMessagesWithTheirMappingAndTags() throws Exception {
    put(
        "exports/orders/a.csv",
        "id,customer,amount,at\n"
            + "1,\"Smith, Jane\",12.50,2024-05-01T10:00:00Z\n"
            + "2,O'Brien,1x,2024-05-01T11:00:00Z\n"
            + "3,\"multi\nline\",7,2024-05-02T00:00:00+02:00\n");
    JobSpec spec = skippingJob();
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    PrintStream realErr = System.err;
    RunRecord run;
    System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    try {
      run = run(spec, false);
    } finally {
      System.setErr(realErr);
    }

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    List<PartitionRunRecord> tables = tables(spec, run);
    assertThat(tables)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.result().table().rowsRead()).isEqualTo(3);
              assertThat(t.result().table().rowsWritten()).isEqualTo(2);
              assertThat(t.result().table().rowsRejected()).isEqualTo(1);
              assertThat(t.result().warning()).contains(".show ingestion failures");
            });
    // The rejected row went to the dead letter, as for any sink.
    assertThat(String.join("", read(deadLetter(), "")))
        .contains("\"column\":\"amount\"", "\"value\":\"1x\"");

    List<JsonNode> messages = kusto.messages();
    assertThat(messages).hasSize(1);
    JsonNode m = messages.get(0);
    String blob = kusto.blobText(m);
    assertThat(blob)
        .isEqualTo(
            "1,\"Smith, Jane\",12.50,2024-05-01T10:00:00Z,a.csv\n"
                + "3,\"multi\nline\",7.00,2024-05-01T22:00:00Z,a.csv\n");
    Map<String, String> fields = fields(m);
    assertThat(field(m, "DatabaseName")).isEqualTo("sales");
    assertThat(field(m, "TableName")).isEqualTo("Orders");
    assertThat(field(m, "RawDataSize"))
        .isEqualTo(String.valueOf(blob.getBytes(StandardCharsets.UTF_8).length));
    assertThat(field(m, "FlushImmediately")).isEqualTo("false");
    assertThat(field(m, "ReportLevel")).isEqualTo("FailuresOnly");
    assertThat(field(m, "ReportMethod")).isEqualTo("Queue");
    assertThat(m.path("blobPath").asText()).contains("/kusto-" + id + "/").contains(".csv.gz?");
    JsonNode props = property(m);
    assertThat(props.path("format").asText()).isEqualTo("csv");
    assertThat(props.path("ignoreFirstRecord").asText()).isEqualTo("false");
    assertThat(props.path("authorizationContext").asText()).isEqualTo(LocalKusto.IDENTITY_TOKEN);
    String tag = "copyjob/tab-" + id + "/orders/" + run.runId() + "/";
    assertThat(JSON.readTree(props.path("tags").asText()))
        .singleElement()
        .extracting(JsonNode::asText)
        .asString()
        .startsWith("ingest-by:" + tag)
        .endsWith("/0");
    assertThat(JSON.readTree(props.path("ingestIfNotExists").asText()))
        .singleElement()
        .extracting(JsonNode::asText)
        .asString()
        .startsWith(tag)
        .endsWith("/0");
    JsonNode mapping = JSON.readTree(props.path("ingestionMapping").asText());
    List<String> columns = new ArrayList<>();
    for (JsonNode c : mapping) {
      columns.add(
          c.path("columnName").asText()
              + ":"
              + c.path("columnType").asText()
              + ":"
              + c.path("properties").path("Ordinal").asText());
    }
    assertThat(columns)
        .containsExactly(
            "Id:long:0",
            "Customer:string:1",
            "Amount:decimal:2",
            "At:datetime:3",
            "SourceFile:string:4");
    assertThat(props.path("ingestionMappingType").asText()).isEqualToIgnoringCase("csv");
    assertThat(kusto.commands()).anyMatch(c -> c.contains("ingestion resources"));
    // The token is named by its variable only: no log line, message or record holds it.
    assertThat(logs.toString(StandardCharsets.UTF_8)).doesNotContain(TOKEN);
    assertThat(io.copyjob.spec.JobSpecs.toJson(spec))
        .doesNotContain(TOKEN)
        .contains("\"tokenEnv\":\"COPYJOB_TEST_KUSTO_TOKEN\"");
    assertThat(fields.toString()).doesNotContain(TOKEN);
  }

  @Test
  public void aRerunOfAFailedRunSendsTheSameTagsSoTheClusterDropsWhatItHas() throws Exception {
    // a.csv holds batchSize: a piece of its own, not grouped with b.csv (small files share one).
    put(
        "exports/orders/a.csv",
        "id,customer,amount,at\n1," + "x".repeat(1 << 20) + ",1,2024-05-01T10:00:00Z\n");
    put("exports/orders/b.csv", "id,customer,amount,at\n2,y,bad,2024-05-01T10:00:00Z\n");
    JobSpec strict = job(TABLES + "    batchSize: 1MiB\n");

    RunRecord first = run(strict, false);

    assertThat(first.status()).isEqualTo(RunStatus.FAILED);
    assertThat(first.error()).doesNotContain(TOKEN);
    List<JsonNode> queued = kusto.messages();
    assertThat(queued).hasSize(1); // a.csv's batch; b.csv failed before any was queued
    String tagOfA = property(queued.get(0)).path("tags").asText();

    put("exports/orders/b.csv", "id,customer,amount,at\n2,y,2,2024-05-01T10:00:00Z\n");
    RunRecord rerun = run(strict, true);

    assertThat(rerun.status()).as(rerun.error()).isEqualTo(RunStatus.SUCCEEDED);
    List<String> tags = new ArrayList<>();
    List<String> ifNotExists = new ArrayList<>();
    for (JsonNode m : kusto.messages()) {
      tags.add(property(m).path("tags").asText());
      ifNotExists.add(property(m).path("ingestIfNotExists").asText());
    }
    // a.csv again, under the same tag as in the first run (the cluster drops it), and b.csv.
    assertThat(tags).hasSize(3).filteredOn(tagOfA::equals).hasSize(2);
    assertThat(tags.get(1)).isNotEqualTo(tags.get(2));
    for (int i = 0; i < tags.size(); i++) {
      assertThat(tags.get(i))
          .isEqualTo("[\"ingest-by:" + JSON.readTree(ifNotExists.get(i)).get(0).asText() + "\"]");
      assertThat(tags.get(i)).contains("/" + first.runId() + "/");
    }
  }

  @Test
  public void withStatusInTheTableARunWaitsAndAFailedBatchFailsItsTable() throws Exception {
    put("exports/orders/a.csv", "id,customer,amount,at\n1,x,1,2024-05-01T10:00:00Z\n");
    JobSpec spec =
        io.copyjob.spec.JobSpecParser.parse(
            jobYaml(TABLES)
                .replace(
                    "    database: sales\n",
                    "    database: sales\n"
                        + "    report: {level: failuresAndSuccesses, method: table, timeout: 60s}\n"),
            tmp.getRoot().toPath(),
            "job.yaml");
    // The cluster's part: the SDK records each batch as Pending in the status table; the
    // "cluster" then records that it failed, with its error.
    Thread cluster =
        new Thread(
            () -> {
              long until = System.currentTimeMillis() + 50_000;
              while (System.currentTimeMillis() < until) {
                for (TableEntity e : kusto.statusTable().listEntities()) {
                  if ("Pending".equals(e.getProperty("Status"))) {
                    e.addProperty("Status", "Failed");
                    e.addProperty("ErrorCode", "BadRequest_InvalidMapping");
                    e.addProperty("FailureStatus", "Permanent");
                    e.addProperty("Details", "Mapping column 'At' is not in the table");
                    kusto.statusTable().updateEntity(e);
                    return;
                  }
                }
                try {
                  Thread.sleep(200);
                } catch (InterruptedException stop) {
                  return;
                }
              }
            });
    cluster.start();

    RunRecord run = run(spec, false);
    cluster.join();

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(tables(spec, run))
        .singleElement()
        .extracting(t -> t.result().firstError())
        .asString()
        .contains("table Orders: batch 0 Failed: BadRequest_InvalidMapping")
        .contains("Mapping column 'At' is not in the table")
        .doesNotContain(TOKEN);
    assertThat(property(kusto.messages().get(0)).path("tags").asText()).contains("ingest-by:");
    assertThat(field(kusto.messages().get(0), "ReportMethod")).isEqualTo("Table");
  }
}
