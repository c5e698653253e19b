package io.copyjob.tabular;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.util.Map;
import java.util.TreeMap;
import org.junit.After;

/**
 * A tabular job into Azure Data Explorer through the real ingest SDK, against {@link LocalKusto}
 * (the cluster's management and streaming endpoints) and Azurite (its storage): the job's sink is
 * {@code sink.kusto} on the local endpoint, database {@code sales}, authenticated by a token
 * variable that the SDK never sends to localhost.
 */
public abstract class KustoTestBase extends TabularTestBase {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = System.getenv("COPYJOB_TEST_KUSTO_TOKEN");

  LocalKusto kusto;

  @Override
  SinkDatabase database() {
    try {
      kusto = new LocalKusto(id);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return new SinkDatabase() {
      @Override
      String yaml() {
        return "  kusto:\n"
            + "    cluster: "
            + kusto.url()
            + "\n"
            + "    database: sales\n"
            + "    auth: {method: token, tokenEnv: COPYJOB_TEST_KUSTO_TOKEN}\n";
      }

      @Override
      Connection connect() {
        throw new UnsupportedOperationException("no SQL on Kusto here");
      }

      @Override
      void drop() {}
    };
  }

  @After
  public void closeKusto() {
    if (kusto != null) {
      kusto.close();
    }
  }

  /** A top-level field of a queue message, whichever case the SDK wrote it in. */
  static String field(JsonNode message, String name) {
    JsonNode v = message.get(name);
    if (v == null) {
      v = message.get(Character.toLowerCase(name.charAt(0)) + name.substring(1));
    }
    return v == null ? null : v.asText();
  }

  /** The message's additional properties: format, mapping, tags... */
  static JsonNode property(JsonNode message) {
    JsonNode p = message.get("AdditionalProperties");
    return p != null ? p : message.path("additionalProperties");
  }

  static Map<String, String> fields(JsonNode message) {
    Map<String, String> all = new TreeMap<>();
    message.fields().forEachRemaining(e -> all.put(e.getKey(), e.getValue().toString()));
    return all;
  }
}
