package io.copyjob.spec;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code connections:} block of a job file and the {@code connection:} a root names. A secret
 * is never a value here: a key that would hold one is refused with what to write instead.
 */
final class ConnectionParser {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final List<String> S3_FIELDS =
      List.of(
          "type",
          "region",
          "endpoint",
          "pathStyle",
          "accessKeyIdEnv",
          "secretAccessKeyEnv",
          "profile",
          "createBucket");
  private static final List<String> AZURE_FIELDS =
      List.of(
          "type",
          "account",
          "endpoint",
          "accountKeyEnv",
          "sasTokenEnv",
          "connectionStringEnv",
          "createContainer");

  private static final List<String> HADOOP_FIELDS =
      List.of("type", "conf", "confEnv", "kerberosPrincipal", "kerberosKeytab");

  /** Keys a user may reach for that would put a secret in the file, and what to use instead. */
  private static final Map<String, String> SECRETS =
      Map.of(
          "accessKeyId", "accessKeyIdEnv",
          "secretAccessKey", "secretAccessKeyEnv",
          "accountKey", "accountKeyEnv",
          "sasToken", "sasTokenEnv",
          "connectionString", "connectionStringEnv",
          "password", "an ...Env field");

  private ConnectionParser() {}

  static Map<String, Connection> connections(Node node) {
    Map<String, Connection> connections = new LinkedHashMap<>();
    for (String name : node.keys()) {
      Node c = node.get(name);
      if (!NAME.matcher(name).matches()) {
        throw c.error("must be a name of letters, digits, '.', '_' or '-'");
      }
      for (Map.Entry<String, String> secret : SECRETS.entrySet()) {
        if (c.get(secret.getKey()).exists()) {
          throw c.get(secret.getKey())
              .error(
                  "not allowed in a job file; name an environment variable with "
                      + secret.getValue());
        }
      }
      String type = c.get("type").text();
      connections.put(
          name,
          switch (type) {
            case "s3" -> s3(name, c.mapping(S3_FIELDS));
            case "azure" -> azure(name, c.mapping(AZURE_FIELDS));
            case "kusto" -> KustoSpecParser.connection(name, c);
            case "hadoop" -> hadoop(name, c.mapping(HADOOP_FIELDS));
            default ->
                throw c.get("type")
                    .error("must be one of s3, azure, kusto, hadoop, got '" + type + "'");
          });
    }
    return connections;
  }

  private static Connection.S3 s3(String name, Node c) {
    String keyId = env(c.get("accessKeyIdEnv"));
    String secret = env(c.get("secretAccessKeyEnv"));
    if ((keyId == null) != (secret == null)) {
      throw c.error("accessKeyIdEnv and secretAccessKeyEnv go together");
    }
    return new Connection.S3(
        name,
        c.get("region").optText().orElse(null),
        endpoint(c.get("endpoint")),
        c.get("pathStyle").bool(false),
        keyId,
        secret,
        c.get("profile").optText().orElse(null),
        c.get("createBucket").bool(false));
  }

  private static Connection.Azure azure(String name, Node c) {
    String key = env(c.get("accountKeyEnv"));
    String sas = env(c.get("sasTokenEnv"));
    String connectionString = env(c.get("connectionStringEnv"));
    long given =
        java.util.stream.Stream.of(key, sas, connectionString).filter(v -> v != null).count();
    if (given > 1) {
      throw c.error("give one of accountKeyEnv, sasTokenEnv, connectionStringEnv");
    }
    return new Connection.Azure(
        name,
        c.get("account").optText().orElse(null),
        endpoint(c.get("endpoint")),
        key,
        sas,
        connectionString,
        c.get("createContainer").bool(false));
  }

  /**
   * A Hadoop file system: {@code conf} entries as given, except those Hadoop itself counts as
   * secrets (its {@code hadoop.security.sensitive-config-keys}: passwords, OAuth2 credentials and
   * tokens, account keys), which go in {@code confEnv} by variable name.
   */
  private static Connection.Hadoop hadoop(String name, Node c) {
    org.apache.hadoop.conf.ConfigRedactor redactor =
        new org.apache.hadoop.conf.ConfigRedactor(new org.apache.hadoop.conf.Configuration(false));
    Map<String, String> conf = new LinkedHashMap<>();
    for (String key : c.get("conf").keys()) {
      Node value = c.get("conf").get(key);
      if (!"x".equals(redactor.redact(key, "x"))) {
        // Not echoed: the value is the secret.
        throw value.error(
            "holds a secret, not allowed in a job file; name an environment variable with"
                + " confEnv: {"
                + key
                + ": VARIABLE}");
      }
      conf.put(key, value.scalarOrBooleanText());
    }
    Map<String, String> confEnv = new LinkedHashMap<>();
    for (String key : c.get("confEnv").keys()) {
      if (conf.containsKey(key)) {
        throw c.get("confEnv").get(key).error("is also in conf; give it once");
      }
      String variable = env(c.get("confEnv").get(key));
      if (variable == null) {
        throw c.get("confEnv").get(key).error("required: the name of an environment variable");
      }
      confEnv.put(key, variable);
    }
    String principal = c.get("kerberosPrincipal").optText().orElse(null);
    String keytab = c.get("kerberosKeytab").optText().orElse(null);
    if ((principal == null) != (keytab == null)) {
      throw c.error("kerberosPrincipal and kerberosKeytab go together");
    }
    return new Connection.Hadoop(name, conf, confEnv, principal, keytab);
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

  private static URI endpoint(Node node) {
    String text = node.optText().orElse(null);
    if (text == null) {
      return null;
    }
    URI uri;
    try {
      uri = URI.create(text);
    } catch (IllegalArgumentException e) {
      throw node.error("must be a URL like http://127.0.0.1:9000, got '" + text + "'");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null
        || uri.getQuery() != null) {
      throw node.error("must be an http or https URL without a query, got '" + text + "'");
    }
    return uri;
  }

  /** The connection a root names, checked to exist and to be of the root's kind; may be null. */
  static String reference(Node node, URI root, Map<String, Connection> connections) {
    String name = node.optText().orElse(null);
    if (name == null) {
      return null;
    }
    Connection connection = connections.get(name);
    if (connection == null) {
      throw node.error(
          "no connection '"
              + name
              + "'"
              + (connections.isEmpty()
                  ? ""
                  : " (connections: " + String.join(", ", connections.keySet()) + ")"));
    }
    if (!Connections.serves(connection, root)) {
      throw node.error("connection '" + name + "' is not for " + root.getScheme() + ": roots");
    }
    return name;
  }
}
