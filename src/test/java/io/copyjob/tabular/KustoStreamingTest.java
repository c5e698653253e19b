package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;

/**
 * {@code streaming: true}: rows go through the ingest SDK's managed streaming client, which posts
 * each batch to the engine's streaming endpoint ({@link LocalKusto} answers it here) and, as the
 * SDK does, retries a transient refusal and then queues the batch instead, while a permanent one
 * fails the table. What this cannot show: that a real cluster with a streaming policy takes the
 * rows.
 */
public class KustoStreamingTest extends KustoTestBase {
  private static final String ROWS =
      "1,\"Smith, Jane\",12.50,2024-05-01T10:00:00Z\n" + "2,,7,2024-05-02T00:00:00+02:00\n";

  private JobSpec job() {
    put();
    return job(
        "tables:\n"
            + "  orders:\n"
            + "    files: orders/\n"
            + "    target: Orders\n"
            + "    streaming: true\n");
  }

  private void put() {
    try {
      put("exports/orders/a.csv", "id,customer,amount,at\n" + ROWS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  public void aBatchIsPostedToTheStreamingEndpointGzipped() throws Exception {
    JobSpec spec = job();
    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    List<LocalKusto.Streamed> streamed = kusto.streamed();
    assertThat(streamed).hasSize(1);
    LocalKusto.Streamed s = streamed.get(0);
    assertThat(s.path()).isEqualTo("/v1/rest/ingest/sales/Orders");
    assertThat(s.query()).isEqualTo("streamFormat=csv");
    assertThat(s.contentEncoding()).isEqualTo("gzip");
    assertThat(new String(s.body(), StandardCharsets.UTF_8)).isEqualTo(ROWS);
    // Streamed, so nothing was queued.
    assertThat(kusto.messages()).isEmpty();
    assertThat(tables(spec, run))
        .singleElement()
        .satisfies(t -> assertThat(t.result().table().rowsWritten()).isEqualTo(2));
  }

  @Test
  public void aTransientRefusalIsRetriedThenTheBatchIsQueuedWithItsTag() throws Exception {
    kusto.failStreaming(503, false);
    JobSpec spec = job();
    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    // The SDK's three attempts, each with the same rows...
    assertThat(kusto.streamed())
        .hasSize(3)
        .allSatisfy(s -> assertThat(new String(s.body(), StandardCharsets.UTF_8)).isEqualTo(ROWS));
    // ...then queued ingestion of the same rows, tagged as any queued batch.
    List<JsonNode> messages = kusto.messages();
    assertThat(messages).hasSize(1);
    assertThat(kusto.blobText(messages.get(0))).isEqualTo(ROWS);
    JsonNode props = property(messages.get(0));
    assertThat(props.path("format").asText()).isEqualTo("csv");
    assertThat(props.path("tags").asText())
        .startsWith("[\"ingest-by:copyjob/tab-" + id + "/orders/" + run.runId() + "/");
    assertThat(props.has("ingestionMapping")).isFalse();
  }

  @Test
  public void aPermanentRefusalFailsTheTableWithTheServicesError() throws Exception {
    kusto.failStreaming(400, true);
    JobSpec spec = job();
    RunRecord run = run(spec, false);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(kusto.streamed()).hasSize(1);
    assertThat(kusto.messages()).isEmpty();
    assertThat(tables(spec, run))
        .singleElement()
        .extracting(t -> t.result().firstError())
        .asString()
        .contains(
            "table Orders: cannot send batch 0: BadRequest_StreamingIngestionPolicyNotEnabled:"
                + " Streaming ingestion is not enabled (no streaming policy on the table)"
                + " [permanent]")
        .doesNotContain(TOKEN)
        .doesNotContain("\n");
  }
}
