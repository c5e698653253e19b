package io.copyjob.spec;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.util.Map;

/**
 * How to reach a store: declared once under {@code connections:} in the job file and named by a
 * root. Secrets are never values here: only the names of the environment variables that hold them,
 * read where the store is opened.
 */
public sealed interface Connection extends Serializable
    permits Connection.S3, Connection.Azure, Connection.Kusto, Connection.Hadoop {
  /** The connection's name in the job file, used in every message about it. */
  String name();

  /**
   * The secret held by the environment variable {@code variable}, read where the store is opened;
   * an unset or empty variable is one line naming the connection and the variable.
   */
  default String secret(String variable) throws IOException {
    String value = System.getenv(variable);
    if (value == null || value.isEmpty()) {
      throw new IOException(
          "connection '" + name() + "': environment variable " + variable + " is not set");
    }
    return value;
  }

  /**
   * Amazon S3, or an S3-compatible server.
   *
   * @param region the region; null: the SDK's default chain, else us-east-1
   * @param endpoint an endpoint override (a local server, a compatible service); null: AWS
   * @param pathStyle whether buckets are addressed as a path rather than a host name
   * @param accessKeyIdEnv the variable holding the access key id; null (with the secret's): the
   *     profile, else the SDK's default chain (environment, profile, instance role)
   * @param createBucket create a missing bucket instead of failing
   */
  record S3(
      String name,
      String region,
      URI endpoint,
      boolean pathStyle,
      String accessKeyIdEnv,
      String secretAccessKeyEnv,
      String profile,
      boolean createBucket)
      implements Connection {}

  /**
   * Azure Blob Storage / ADLS Gen2 through the Blob endpoint.
   *
   * @param account the storage account
   * @param endpoint the Blob endpoint; null: {@code https://ACCOUNT.blob.core.windows.net}
   * @param accountKeyEnv, sasTokenEnv, connectionStringEnv the variable holding that secret; at
   *     most one; none: DefaultAzureCredential (managed identity, service principal, CLI login)
   * @param createContainer create a missing container instead of failing
   */
  record Azure(
      String name,
      String account,
      URI endpoint,
      String accountKeyEnv,
      String sasTokenEnv,
      String connectionStringEnv,
      boolean createContainer)
      implements Connection {}

  /**
   * An Azure Data Explorer (Kusto) cluster, for a tabular job's {@code sink.kusto}: no root names
   * it.
   *
   * @param cluster the cluster's (engine's) URL, {@code https://NAME.REGION.kusto.windows.net}
   * @param ingest its data management (ingestion) URL: the cluster's with {@code ingest-} before
   *     the host unless the job file gives it (a local endpoint serves both)
   * @param auth how to authenticate
   */
  record Kusto(String name, URI cluster, URI ingest, KustoSpec.Auth auth) implements Connection {}

  /**
   * Any Hadoop file system ({@code hdfs://}, {@code webhdfs://}, {@code adl://}...), reached
   * through Hadoop's {@code FileSystem} API with the connector the root's scheme names.
   *
   * @param conf Hadoop configuration entries, set over Hadoop's defaults (and any {@code
   *     core-site.xml} / {@code hdfs-site.xml} on the classpath); never a secret
   * @param confEnv Hadoop configuration entries whose values are secrets: the key and the name of
   *     the environment variable holding its value, read where the store is opened
   * @param kerberosPrincipal the principal to log in as from {@code kerberosKeytab}; null (both):
   *     the current user as Hadoop finds it (simple authentication, or a ticket cache)
   * @param kerberosKeytab the path of the keytab file of {@code kerberosPrincipal}
   */
  record Hadoop(
      String name,
      Map<String, String> conf,
      Map<String, String> confEnv,
      String kerberosPrincipal,
      String kerberosKeytab)
      implements Connection {
    public Hadoop {
      conf = Map.copyOf(conf);
      confEnv = Map.copyOf(confEnv);
    }
  }
}
