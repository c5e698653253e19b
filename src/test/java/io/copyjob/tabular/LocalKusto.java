package io.copyjob.tabular;

import com.azure.data.tables.TableClient;
import com.azure.data.tables.TableClientBuilder;
import com.azure.data.tables.sas.TableSasPermission;
import com.azure.data.tables.sas.TableSasSignatureValues;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.models.PeekedMessageItem;
import com.azure.storage.queue.sas.QueueSasPermission;
import com.azure.storage.queue.sas.QueueServiceSasSignatureValues;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.copyjob.store.AzuriteServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * The part of an Azure Data Explorer cluster that the ingest SDK talks to before it queues an
 * ingestion, on http://localhost (where the SDK asks Azure AD for no token): no cloud metadata (404
 * to {@code /v1/rest/auth/metadata}), the ingestion resources (a container, queues and a status
 * table of its own on Azurite, with SAS tokens made by the Azure SDK), and an identity token. What
 * the SDK then writes, blobs and queue messages, is read back from Azurite.
 */
final class LocalKusto implements AutoCloseable {
  static final String IDENTITY_TOKEN = "local-identity-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final BlobContainerClient container;
  private final QueueClient queue;
  private final QueueClient succeeded;
  private final QueueClient failed;
  private final TableClient statusTable;
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final List<Streamed> streamed = new CopyOnWriteArrayList<>();
  private volatile int streamingStatus = 200;
  private volatile boolean streamingPermanent;

  /**
   * A streaming ingestion the endpoint received: its path and query, and its body as sent ({@code
   * Content-Encoding: gzip} undone).
   */
  record Streamed(String path, String query, String contentEncoding, byte[] body) {}

  LocalKusto(String id) throws IOException {
    StorageSharedKeyCredential key =
        new StorageSharedKeyCredential("devstoreaccount1", System.getenv("COPYJOB_TEST_AZURE_KEY"));
    OffsetDateTime expiry = OffsetDateTime.now().plusHours(2);
    container =
        new BlobServiceClientBuilder()
            .endpoint(AzuriteServer.endpoint().toString())
            .credential(key)
            .buildClient()
            .getBlobContainerClient("kusto-" + id);
    container.createIfNotExists();
    queue = queue(key, "kusto-ready-" + id);
    succeeded = queue(key, "kusto-ok-" + id);
    failed = queue(key, "kusto-failed-" + id);
    statusTable =
        new TableClientBuilder()
            .endpoint(AzuriteServer.tableEndpoint().toString())
            .credential(
                new com.azure.core.credential.AzureNamedKeyCredential(
                    "devstoreaccount1", System.getenv("COPYJOB_TEST_AZURE_KEY")))
            .tableName("kustostatus" + id.replace("-", ""))
            .buildClient();
    statusTable.createTable();
    String containerSas =
        container.getBlobContainerUrl()
            + "?"
            + container.generateSas(
                new BlobServiceSasSignatureValues(
                    expiry,
                    new BlobContainerSasPermission()
                        .setReadPermission(true)
                        .setWritePermission(true)
                        .setCreatePermission(true)
                        .setListPermission(true)));
    String tableSas =
        // Not getTableEndpoint(): on an address with the account in its path (Azurite's), it
        // drops the account.
        AzuriteServer.tableEndpoint()
            + "/"
            + statusTable.getTableName()
            + "?"
            + statusTable.generateSas(
                new TableSasSignatureValues(
                    expiry,
                    new TableSasPermission()
                        .setAddPermission(true)
                        .setReadPermission(true)
                        .setUpdatePermission(true)));
    ArrayNode resources = JSON.createArrayNode();
    resources.add(JSON.createArrayNode().add("TempStorage").add(containerSas));
    resources.add(
        JSON.createArrayNode().add("SecuredReadyForAggregationQueue").add(sas(queue, expiry)));
    resources.add(
        JSON.createArrayNode().add("SuccessfulIngestionsQueue").add(sas(succeeded, expiry)));
    resources.add(JSON.createArrayNode().add("FailedIngestionsQueue").add(sas(failed, expiry)));
    resources.add(JSON.createArrayNode().add("IngestionsStatusTable").add(tableSas));
    byte[] resourcesAnswer = table(List.of("ResourceTypeName", "StorageRoot"), resources);
    ArrayNode token = JSON.createArrayNode();
    token.add(JSON.createArrayNode().add(IDENTITY_TOKEN));
    byte[] tokenAnswer = table(List.of("AuthorizationContext"), token);

    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (auth != null) {
              authorizations.add(auth);
            }
            if (path.startsWith("/v1/rest/auth/metadata")) {
              answer(exchange, 404, new byte[0]);
              return;
            }
            if (path.startsWith("/v1/rest/ingest/")) {
              stream(exchange);
              return;
            }
            if (!path.equals("/v1/rest/mgmt")) {
              answer(
                  exchange, 400, "only management commands here".getBytes(StandardCharsets.UTF_8));
              return;
            }
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            String csl = request.path("csl").asText();
            commands.add(csl);
            if (csl.contains("ingestion resources")) {
              answer(exchange, 200, resourcesAnswer);
            } else if (csl.contains("kusto identity token")) {
              answer(exchange, 200, tokenAnswer);
            } else {
              answer(exchange, 400, ("unknown command " + csl).getBytes(StandardCharsets.UTF_8));
            }
          }
        });
    server.start();
  }

  /**
   * A streaming ingestion ({@code POST /v1/rest/ingest/DB/TABLE?streamFormat=...}), recorded; the
   * answer is the engine's for a table that took the rows, or the error {@link #failStreaming} set,
   * in the service's OneApi shape (which the SDK reads for {@code @permanent}).
   */
  private void stream(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
    if ("gzip".equalsIgnoreCase(encoding)) {
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
        body = in.readAllBytes();
      }
    }
    streamed.add(
        new Streamed(
            exchange.getRequestURI().getPath(),
            exchange.getRequestURI().getRawQuery(),
            encoding,
            body));
    if (streamingStatus == 200) {
      ArrayNode rows = JSON.createArrayNode();
      rows.add(JSON.createArrayNode().add("ok"));
      answer(exchange, 200, table(List.of("Result"), rows));
      return;
    }
    ObjectNode error = JSON.createObjectNode();
    error
        .putObject("error")
        .put("code", streamingPermanent ? "BadRequest_StreamingIngestionPolicyNotEnabled" : "")
        .put("message", streamingPermanent ? "Streaming ingestion is not enabled" : "Busy")
        .put("@type", "Kusto.DataNode.Exceptions.StreamingIngestionException")
        .put("@message", streamingPermanent ? "no streaming policy on the table" : "try later")
        .put("@permanent", streamingPermanent);
    answer(exchange, streamingStatus, JSON.writeValueAsBytes(error));
  }

  /**
   * From now on the streaming endpoint answers {@code status} with a OneApi error, {@code
   * permanent} or not.
   */
  void failStreaming(int status, boolean permanent) {
    this.streamingPermanent = permanent;
    this.streamingStatus = status;
  }

  /** The streaming ingestions received, in order. */
  List<Streamed> streamed() {
    return streamed;
  }

  private static QueueClient queue(StorageSharedKeyCredential key, String name) {
    QueueClient q =
        new QueueClientBuilder()
            .endpoint(AzuriteServer.queueEndpoint().toString())
            .credential(key)
            .queueName(name)
            .buildClient();
    q.createIfNotExists();
    return q;
  }

  private static String sas(QueueClient q, OffsetDateTime expiry) {
    return q.getQueueUrl()
        + "?"
        + q.generateSas(
            new QueueServiceSasSignatureValues(
                expiry,
                new QueueSasPermission()
                    .setAddPermission(true)
                    .setReadPermission(true)
                    .setProcessPermission(true)));
  }

  /** A Kusto v1 answer holding one table of string columns. */
  private static byte[] table(List<String> columns, ArrayNode rows) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode t = root.putArray("Tables").addObject();
    t.put("TableName", "Table_0");
    ArrayNode cols = t.putArray("Columns");
    for (String c : columns) {
      cols.addObject().put("ColumnName", c).put("DataType", "String").put("ColumnType", "string");
    }
    t.set("Rows", rows);
    return JSON.writeValueAsBytes(root);
  }

  private static void answer(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The cluster's URL. */
  String url() {
    return "http://localhost:" + server.getAddress().getPort();
  }

  /** The management commands received, in order. */
  List<String> commands() {
    return commands;
  }

  List<String> authorizations() {
    return authorizations;
  }

  /** The ingestion messages queued, each decoded from base64 into its JSON. */
  List<JsonNode> messages() throws IOException {
    List<JsonNode> messages = new ArrayList<>();
    for (PeekedMessageItem m : queue.peekMessages(32, null, null)) {
      String text = m.getBody().toString();
      byte[] json;
      try {
        json = Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException notBase64) {
        json = text.getBytes(StandardCharsets.UTF_8);
      }
      messages.add(JSON.readTree(json));
    }
    return messages;
  }

  /** How many ingestion messages are queued (all of them; {@link #messages} peeks 32 at most). */
  int messageCount() {
    return queue.getProperties().getApproximateMessagesCount();
  }

  /** The bytes of the blob a message names, as stored. */
  byte[] blobBytes(JsonNode message) {
    String path = message.path("BlobPath").asText(message.path("blobPath").asText());
    String name = path.substring(container.getBlobContainerUrl().length() + 1);
    int query = name.indexOf('?');
    if (query >= 0) {
      name = name.substring(0, query);
    }
    return container.getBlobClient(name).downloadContent().toBytes();
  }

  /** The bytes of the blob a message names, gunzipped. */
  String blobText(JsonNode message) throws IOException {
    String path = message.path("BlobPath").asText(message.path("blobPath").asText());
    String name = path.substring(container.getBlobContainerUrl().length() + 1);
    int query = name.indexOf('?');
    if (query >= 0) {
      name = name.substring(0, query);
    }
    byte[] gz = container.getBlobClient(name).downloadContent().toBytes();
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  TableClient statusTable() {
    return statusTable;
  }

  @Override
  public void close() {
    server.stop(0);
    for (QueueClient q : List.of(queue, succeeded, failed)) {
      q.deleteIfExists();
    }
    statusTable.deleteTable();
    container.deleteIfExists();
  }
}
