package io.copyjob.spec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.spec.KustoSpec.Auth;
import io.copyjob.spec.KustoSpec.AuthMethod;
import io.copyjob.spec.KustoSpec.DataFormat;
import io.copyjob.spec.KustoSpec.Report;
import io.copyjob.spec.KustoSpec.ReportLevel;
import io.copyjob.spec.KustoSpec.ReportMethod;
import io.copyjob.spec.KustoSpec.TableOptions;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.WriteMode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Azure Data Explorer parts of a tabular job's file: a {@code kusto} connection, {@code
 * sink.kusto}, and the Kusto options of each table ({@code mappingRef}, {@code format}, {@code
 * batchSize}, {@code streaming}). Secrets only by the name of their environment variable.
 */
final class KustoSpecParser {
  /** The fields a table may have with a Kusto sink only. */
  static final List<String> TABLE_FIELDS =
      List.of("mappingRef", "format", "batchSize", "streaming");

  private static final List<String> CONNECTION_FIELDS =
      List.of("type", "cluster", "ingest", "auth");
  private static final List<String> SINK_FIELDS =
      List.of("connection", "cluster", "ingest", "auth", "database", "report");
  private static final List<String> AUTH_FIELDS =
      List.of(
          "method",
          "appId",
          "tenant",
          "secretEnv",
          "certificate",
          "certificateEnv",
          "passwordEnv",
          "tokenEnv");
  private static final List<String> REPORT_FIELDS = List.of("level", "method", "timeout");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_ .-]{1,260}");
  private static final Set<String> LOCAL_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]");

  static final Map<String, AuthMethod> METHODS = new LinkedHashMap<>();
  static final Map<String, ReportLevel> LEVELS = new LinkedHashMap<>();
  static final Map<String, ReportMethod> REPORT_METHODS = new LinkedHashMap<>();

  static {
    METHODS.put("application", AuthMethod.APPLICATION_SECRET);
    METHODS.put("certificate", AuthMethod.APPLICATION_CERTIFICATE);
    METHODS.put("managedIdentity", AuthMethod.MANAGED_IDENTITY);
    METHODS.put("azureCli", AuthMethod.AZURE_CLI);
    METHODS.put("token", AuthMethod.ACCESS_TOKEN);
    METHODS.put("none", AuthMethod.NONE);
    LEVELS.put("none", ReportLevel.NONE);
    LEVELS.put("failuresOnly", ReportLevel.FAILURES_ONLY);
    LEVELS.put("failuresAndSuccesses", ReportLevel.FAILURES_AND_SUCCESSES);
    REPORT_METHODS.put("queue", ReportMethod.QUEUE);
    REPORT_METHODS.put("table", ReportMethod.TABLE);
    REPORT_METHODS.put("queueAndTable", ReportMethod.QUEUE_AND_TABLE);
  }

  private KustoSpecParser() {}

  /** A {@code type: kusto} entry of {@code connections:}. */
  static Connection.Kusto connection(String name, Node c) {
    c.mapping(CONNECTION_FIELDS);
    return cluster(name, c);
  }

  private static Connection.Kusto cluster(String name, Node c) {
    Node clusterNode = c.get("cluster");
    URI cluster = url(clusterNode);
    URI ingest = c.get("ingest").isPresent() ? url(c.get("ingest")) : ingestOf(cluster);
    return new Connection.Kusto(name, cluster, ingest, auth(c.get("auth"), cluster));
  }

  /** {@code https://ingest-HOST} for a cluster on Azure; a local endpoint serves both. */
  private static URI ingestOf(URI cluster) {
    String host = cluster.getHost();
    if (isLocal(cluster) || host.startsWith("ingest-")) {
      return cluster;
    }
    return URI.create(cluster.getScheme() + "://ingest-" + cluster.getRawAuthority());
  }

  private static boolean isLocal(URI url) {
    return LOCAL_HOSTS.contains(url.getHost());
  }

  private static URI url(Node node) {
    String text = node.text();
    URI uri;
    try {
      uri = URI.create(text.replaceAll("/+$", ""));
    } catch (IllegalArgumentException e) {
      throw node.error("must be a URL like https://mycluster.westeurope.kusto.windows.net");
    }
    if (uri.getHost() == null
        || uri.getUserInfo() != null
        || uri.getQuery() != null
        || !("https".equals(uri.getScheme()) || ("http".equals(uri.getScheme()) && isLocal(uri)))) {
      throw node.error(
          "must be an https URL like https://mycluster.westeurope.kusto.windows.net (http only on"
              + " localhost), without user or query");
    }
    return uri;
  }

  private static Auth auth(Node node, URI cluster) {
    for (String secret : List.of("secret", "appKey", "password", "token", "accessToken")) {
      if (node.get(secret).exists()) {
        throw node.get(secret)
            .error("not allowed in a job file; name an environment variable with secretEnv");
      }
    }
    if (!node.isPresent()) {
      throw node.error(
          "required: method (one of " + String.join(", ", METHODS.keySet()) + ") and its fields");
    }
    node.mapping(AUTH_FIELDS);
    Node methodNode = node.get("method");
    if (!methodNode.isPresent()) {
      throw methodNode.error("required: one of " + String.join(", ", METHODS.keySet()));
    }
    AuthMethod method = methodNode.oneOf(AuthMethod.NONE, METHODS);
    String appId = node.get("appId").optText().orElse(null);
    String tenant = node.get("tenant").optText().orElse(null);
    URI certificate = null;
    String certificateEnv = null;
    String env = null;
    List<String> allowed;
    switch (method) {
      case APPLICATION_SECRET -> {
        required(node, "appId", "tenant", "secretEnv");
        env = env(node.get("secretEnv"));
        allowed = List.of("appId", "tenant", "secretEnv");
      }
      case APPLICATION_CERTIFICATE -> {
        required(node, "appId", "tenant");
        boolean file = node.get("certificate").isPresent();
        if (file == node.get("certificateEnv").isPresent()) {
          throw node.get("certificate")
              .error(
                  "give either certificate (the .pfx/.p12 or .pem file) or certificateEnv (the"
                      + " variable holding its path) with method certificate");
        }
        if (file) {
          certificate = Path.of(node.get("certificate").text()).toUri();
        } else {
          certificateEnv = env(node.get("certificateEnv"));
        }
        env = env(node.get("passwordEnv"));
        allowed = List.of("appId", "tenant", "certificate", "certificateEnv", "passwordEnv");
      }
      case MANAGED_IDENTITY -> allowed = List.of("appId");
      case ACCESS_TOKEN -> {
        required(node, "tokenEnv");
        env = env(node.get("tokenEnv"));
        allowed = List.of("tokenEnv");
      }
      case NONE -> {
        if (!isLocal(cluster)) {
          throw methodNode.error("none is only for a local endpoint (http://localhost)");
        }
        allowed = List.of();
      }
      default -> allowed = List.of();
    }
    for (String field : AUTH_FIELDS.subList(1, AUTH_FIELDS.size())) {
      if (node.get(field).exists() && !allowed.contains(field)) {
        throw node.get(field)
            .error(
                "not used by method "
                    + JobSpecs.keyword(METHODS, method)
                    + (allowed.isEmpty() ? "" : " (it takes " + String.join(", ", allowed) + ")"));
      }
    }
    return new Auth(method, appId, tenant, env, certificate, certificateEnv);
  }

  private static void required(Node node, String... fields) {
    for (String field : fields) {
      if (!node.get(field).isPresent()) {
        throw node.get(field).error("required with method " + node.get("method").text());
      }
    }
  }

  private static String env(Node node) {
    String name = node.optText().orElse(null);
    if (name != null && !ENV_NAME.matcher(name).matches()) {
      // Not echoed: a value that is no variable name may be the secret itself.
      throw node.error(
          "must be the name of an environment variable (letters, digits and '_'), not a secret");
    }
    return name;
  }

  /**
   * {@code sink.kusto}, and each table's Kusto options, checked against what a Kusto sink does: it
   * appends (an ingestion adds extents), so upsert, overwrite, keys, createTable and
   * truncateBeforeFullCopy are refused. A table without {@code columns:} is written in the source's
   * columns with no mapping (Kusto maps a CSV by position, Parquet by name).
   */
  static KustoSpec sink(
      Node node, Map<String, Connection> connections, Node tablesNode, List<TableSpec> tables) {
    node.mapping(SINK_FIELDS);
    Connection.Kusto cluster;
    Node connectionNode = node.get("connection");
    if (connectionNode.isPresent()) {
      for (String field : List.of("cluster", "ingest", "auth")) {
        if (node.get(field).exists()) {
          throw node.get(field).error("given by connection " + connectionNode.text() + " already");
        }
      }
      Connection named = connections.get(connectionNode.text());
      if (!(named instanceof Connection.Kusto kusto)) {
        throw connectionNode.error(
            named == null
                ? "no connection '" + connectionNode.text() + "'"
                : "connection '" + connectionNode.text() + "' is not of type kusto");
      }
      cluster = kusto;
    } else {
      cluster = cluster("sink.kusto", node);
    }
    Node databaseNode = node.get("database");
    String database = databaseNode.text();
    if (!DATABASE.matcher(database).matches()) {
      throw databaseNode.error("must be a Kusto database name (letters, digits, '_', '-', '.')");
    }
    Map<String, TableOptions> options = new LinkedHashMap<>();
    for (TableSpec table : tables) {
      Node t = tablesNode.get(table.name());
      refuse(t, "keys", table.keys().isEmpty() ? null : "upsert");
      if (table.write() != WriteMode.APPEND) {
        throw t.get("write")
            .error("a kusto sink appends (an ingestion adds to the table); use write: append");
      }
      for (String field : List.of("createTable", "truncateBeforeFullCopy")) {
        if (t.get(field).exists() && t.get(field).bool(false)) {
          throw t.get(field).error("not for a kusto sink: create or clear the table in Kusto");
        }
      }
      TableOptions tableOptions = tableOptions(t);
      if (tableOptions.streaming()
          && tableOptions.mappingRef() == null
          && !table.columns().isEmpty()) {
        // The SDK's streaming call takes a mapping's name only, never an inline mapping.
        throw t.get("streaming")
            .error(
                "streaming ingestion sends no inline mapping: name one made on the table with"
                    + " mappingRef, or list no columns (Kusto then maps by position for csv, by"
                    + " name for parquet)");
      }
      options.put(table.name(), tableOptions);
    }
    return new KustoSpec(cluster, database, report(node.get("report")), options);
  }

  private static void refuse(Node table, String field, String because) {
    if (because != null) {
      throw table.get(field).error("not for a kusto sink, which appends (no " + because + ")");
    }
  }

  private static TableOptions tableOptions(Node t) {
    String mappingRef = t.get("mappingRef").optText().orElse(null);
    Node formatNode = t.get("format");
    String format = formatNode.optText().orElse("csv");
    DataFormat dataFormat =
        switch (format) {
          case "csv" -> DataFormat.CSV;
          case "parquet" -> DataFormat.PARQUET;
          default -> throw formatNode.error("must be csv or parquet, got '" + format + "'");
        };
    Node sizeNode = t.get("batchSize");
    long batchSize = sizeNode.isPresent() ? Sizes.bytes(sizeNode) : KustoSpec.DEFAULT_BATCH;
    if (batchSize < KustoSpec.MIN_BATCH || batchSize > KustoSpec.MAX_BATCH) {
      throw sizeNode.error(
          "must be between 1MiB and 4GB (uncompressed; Kusto recommends 100MB to 1GB)");
    }
    return new TableOptions(mappingRef, dataFormat, batchSize, t.get("streaming").bool(false));
  }

  private static Report report(Node node) {
    if (!node.isPresent()) {
      return Report.DEFAULT;
    }
    node.mapping(REPORT_FIELDS);
    return new Report(
        node.get("level").oneOf(Report.DEFAULT.level(), LEVELS),
        node.get("method").oneOf(Report.DEFAULT.method(), REPORT_METHODS),
        Durations.duration(
            node.get("timeout"),
            Report.DEFAULT.timeout(),
            Duration.ofSeconds(1),
            Duration.ofHours(24)));
  }

  /** Refuses the Kusto fields of a table when the sink is not Kusto. */
  static void refuseWithoutKusto(Node table) {
    for (String field : TABLE_FIELDS) {
      if (table.get(field).exists()) {
        throw table.get(field).error("only with sink.kusto");
      }
    }
  }

  /** A Kusto connection as the job file writes it: names of variables, never secrets. */
  static void putConnection(ObjectNode node, Connection.Kusto kusto) {
    node.put("cluster", kusto.cluster().toString());
    node.put("ingest", kusto.ingest().toString());
    ObjectNode auth = node.putObject("auth");
    Auth a = kusto.auth();
    auth.put("method", JobSpecs.keyword(METHODS, a.method()));
    JobSpecs.putIfSet(auth, "appId", a.appId());
    JobSpecs.putIfSet(auth, "tenant", a.tenant());
    if (a.certificate() != null) {
      auth.put("certificate", Path.of(a.certificate()).toString());
    }
    JobSpecs.putIfSet(auth, "certificateEnv", a.certificateEnv());
    JobSpecs.putIfSet(
        auth,
        switch (a.method()) {
          case APPLICATION_CERTIFICATE -> "passwordEnv";
          case ACCESS_TOKEN -> "tokenEnv";
          default -> "secretEnv";
        },
        a.secretEnv());
  }

  /** {@code sink.kusto} and each table's Kusto options, as the job file writes them. */
  static void putSink(ObjectNode sink, ObjectNode tables, KustoSpec kusto) {
    ObjectNode node = sink.putObject("kusto");
    if (kusto.cluster().name().equals("sink.kusto")) {
      putConnection(node, kusto.cluster());
    } else {
      node.put("connection", kusto.cluster().name());
    }
    node.put("database", kusto.database());
    node.putObject("report")
        .put("level", JobSpecs.keyword(LEVELS, kusto.report().level()))
        .put("method", JobSpecs.keyword(REPORT_METHODS, kusto.report().method()))
        .put("timeout", Durations.format(kusto.report().timeout()));
    kusto
        .tables()
        .forEach(
            (name, options) -> {
              if (!(tables.get(name) instanceof ObjectNode table)) {
                return;
              }
              JobSpecs.putIfSet(table, "mappingRef", options.mappingRef());
              table.put("format", options.format().name().toLowerCase(Locale.ROOT));
              table.put("batchSize", options.batchSize());
              table.put("streaming", options.streaming());
            });
  }
}
