package io.copyjob.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.Mode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** Job specs as text: the keywords of the job file and the settings record of a run. */
public final class JobSpecs {
  /** The job file's spelling of each mode, in the order messages list them. */
  static final Map<String, Mode> MODES =
      ordered("full", Mode.FULL, "delta", Mode.DELTA, "continuous", Mode.CONTINUOUS);

  /** The job file's spelling of each copy behavior, in the order messages list them. */
  static final Map<String, CopyBehavior> BEHAVIORS =
      ordered(
          "preserveHierarchy",
          CopyBehavior.PRESERVE_HIERARCHY,
          "flattenHierarchy",
          CopyBehavior.FLATTEN_HIERARCHY);

  // Drivers take a password as a URL property too (…?password=x, …;password=x). The parser refuses
  // those; this is the second line of defence for specs built in code.
  private static final Pattern URL_SECRET = Pattern.compile("(?i)((?:password|pwd)=)[^;&]*");

  private static final ObjectMapper JSON = new ObjectMapper();

  private JobSpecs() {}

  /**
   * The settings a run used, as compact JSON with the job file's keys and spellings, for the run
   * history. The output is itself a valid job file that parses back to an equal spec.
   *
   * <p>It must never contain a secret. Today the spec holds none: only the <em>name</em> of the
   * environment variable with the control store's password ({@code passwordEnv}), which is kept. A
   * password-like property in the control URL is masked. Any secret-bearing field added to {@link
   * JobSpec} later must be left out or masked here.
   */
  public static String toJson(JobSpec spec) {
    ObjectNode root = JSON.createObjectNode();
    root.put("name", spec.name());
    if (!spec.connections().isEmpty()) {
      ObjectNode connections = root.putObject("connections");
      spec.connections().values().stream()
          .sorted(java.util.Comparator.comparing(Connection::name))
          .forEach(c -> connections.set(c.name(), connection(c)));
    }
    if (spec.isTabular()) {
      TabularSpecs.put(root, spec);
      putControl(root, spec);
      return write(root);
    }
    ObjectNode source = root.putObject("source");
    source.put("root", spec.source().root().toString());
    spec.source().partitions().forEach(source.putArray("partitions")::add);
    if (spec.source().connection() != null) {
      source.put("connection", spec.source().connection());
    }
    ObjectNode sink = root.putObject("sink").put("root", spec.sink().root().toString());
    if (spec.sink().connection() != null) {
      sink.put("connection", spec.sink().connection());
    }
    root.putObject("copy")
        .put("behavior", keyword(BEHAVIORS, spec.copy().behavior()))
        .put("recursive", spec.copy().recursive())
        .put("transfersPerWorker", spec.copy().transfersPerWorker())
        .put("partitionsInFlight", spec.copy().partitionsInFlight())
        .put("maxRequestsPerSecond", spec.copy().maxRequestsPerSecond())
        .put("maxBytesPerSecond", spec.copy().maxBytesPerSecond())
        .put("parallelism", spec.copy().parallelism())
        .put("requestTimeout", Durations.format(spec.copy().requestTimeout()));
    root.put("mode", keyword(MODES, spec.mode()));
    spec.delta()
        .initialStart()
        .ifPresent(start -> root.putObject("delta").put("initialStart", start.toString()));
    if (spec.delta().interval() != null) {
      root.putObject("continuous").put("interval", Durations.format(spec.delta().interval()));
    }
    putControl(root, spec);
    return write(root);
  }

  private static void putControl(ObjectNode root, JobSpec spec) {
    ObjectNode control = root.putObject("control");
    control.put("url", maskUrl(spec.control().url()));
    if (spec.control().user() != null) {
      control.put("user", spec.control().user());
    }
    if (spec.control().passwordEnv() != null) {
      control.put("passwordEnv", spec.control().passwordEnv());
    }
    JobSpec.PartitionTableSpec table = spec.partitionTable();
    if (table != null) {
      ObjectNode adopted = control.putObject("partitionTable");
      adopted.put("url", URL_SECRET.matcher(table.connection().url()).replaceAll("$1***"));
      if (table.connection().user() != null) {
        adopted.put("user", table.connection().user());
      }
      if (table.connection().passwordEnv() != null) {
        adopted.put("passwordEnv", table.connection().passwordEnv());
      }
      adopted
          .put("table", table.table())
          .put("prefixColumn", table.prefixColumn())
          .put("successColumn", table.successColumn())
          .put("runTimeColumn", table.runTimeColumn());
      if (table.rootColumn() != null) {
        adopted.put("rootColumn", table.rootColumn());
      }
    }
  }

  private static String write(ObjectNode root) {
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree of strings", e);
    }
  }

  /** A JDBC URL with any password-like property masked. */
  static String maskUrl(String url) {
    return URL_SECRET.matcher(url).replaceAll("$1***");
  }

  /** A connection as the job file writes it: names of environment variables, never secrets. */
  private static ObjectNode connection(Connection connection) {
    ObjectNode node = JSON.createObjectNode();
    if (connection instanceof Connection.S3 s3) {
      node.put("type", "s3");
      putIfSet(node, "region", s3.region());
      putIfSet(node, "endpoint", s3.endpoint() == null ? null : s3.endpoint().toString());
      node.put("pathStyle", s3.pathStyle());
      putIfSet(node, "accessKeyIdEnv", s3.accessKeyIdEnv());
      putIfSet(node, "secretAccessKeyEnv", s3.secretAccessKeyEnv());
      putIfSet(node, "profile", s3.profile());
      node.put("createBucket", s3.createBucket());
    } else if (connection instanceof Connection.Azure azure) {
      node.put("type", "azure");
      putIfSet(node, "account", azure.account());
      putIfSet(node, "endpoint", azure.endpoint() == null ? null : azure.endpoint().toString());
      putIfSet(node, "accountKeyEnv", azure.accountKeyEnv());
      putIfSet(node, "sasTokenEnv", azure.sasTokenEnv());
      putIfSet(node, "connectionStringEnv", azure.connectionStringEnv());
      node.put("createContainer", azure.createContainer());
    } else if (connection instanceof Connection.Hadoop hadoop) {
      node.put("type", "hadoop");
      if (!hadoop.conf().isEmpty()) {
        ObjectNode conf = node.putObject("conf");
        new java.util.TreeMap<>(hadoop.conf()).forEach(conf::put);
      }
      if (!hadoop.confEnv().isEmpty()) {
        ObjectNode confEnv = node.putObject("confEnv");
        new java.util.TreeMap<>(hadoop.confEnv()).forEach(confEnv::put);
      }
      putIfSet(node, "kerberosPrincipal", hadoop.kerberosPrincipal());
      putIfSet(node, "kerberosKeytab", hadoop.kerberosKeytab());
    } else if (connection instanceof Connection.Kusto kusto) {
      node.put("type", "kusto");
      KustoSpecParser.putConnection(node, kusto);
    }
    return node;
  }

  static void putIfSet(ObjectNode node, String key, String value) {
    if (value != null) {
      node.put(key, value);
    }
  }

  /** The job file's spelling of {@code value}. */
  static <E> String keyword(Map<String, E> keywords, E value) {
    return keywords.entrySet().stream()
        .filter(e -> e.getValue() == value)
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no keyword for " + value));
  }

  private static <E> Map<String, E> ordered(String k1, E v1, String k2, E v2) {
    Map<String, E> map = new LinkedHashMap<>();
    map.put(k1, v1);
    map.put(k2, v2);
    return Collections.unmodifiableMap(map);
  }

  private static <E> Map<String, E> ordered(String k1, E v1, String k2, E v2, String k3, E v3) {
    Map<String, E> map = new LinkedHashMap<>(ordered(k1, v1, k2, v2));
    map.put(k3, v3);
    return Collections.unmodifiableMap(map);
  }
}
