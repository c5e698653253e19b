package io.copyjob.spec;

import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * An Azure Data Explorer (Kusto) sink: {@code sink.kusto} in a tabular job's file. Rows are queued
 * for ingestion through the official ingest SDK in batches; each table of the job names its Kusto
 * table with {@code target} and may set the options of {@link TableOptions}.
 *
 * @param cluster the cluster, its URL and how to authenticate (a {@code kusto} connection, or the
 *     one {@code sink.kusto} declares inline)
 * @param database the Kusto database
 * @param report what ingestion status the service reports, and how long a run waits for it
 * @param tables the Kusto options of each table, by its name in the job file
 */
public record KustoSpec(
    Connection.Kusto cluster, String database, Report report, Map<String, TableOptions> tables)
    implements Serializable {
  /** The smallest batch: below it Kusto's own batching would merge batches anyway. */
  public static final long MIN_BATCH = 1L << 20;

  /** The largest batch Kusto's guidance takes in one ingestion (uncompressed). */
  public static final long MAX_BATCH = 4_000_000_000L;

  /** 500 MB uncompressed: in the 100 MB to 1 GB Kusto's guidance recommends per ingestion. */
  public static final long DEFAULT_BATCH = 500_000_000L;

  public KustoSpec {
    tables = Map.copyOf(tables);
  }

  /** The options of the table named {@code name} in the job file (the defaults when none). */
  public TableOptions table(String name) {
    return tables.getOrDefault(name, TableOptions.DEFAULT);
  }

  /** The formats rows are written to Kusto in. */
  public enum DataFormat {
    /** CSV, compressed with gzip by the SDK as it uploads. */
    CSV,
    PARQUET
  }

  /**
   * A table's Kusto options.
   *
   * @param mappingRef the name of an ingestion mapping already created on the Kusto table; null:
   *     the mapping is built from the table's {@code columns:}
   * @param format how batches are written
   * @param batchSize the uncompressed bytes of one ingestion at most
   * @param streaming whether rows go through the managed streaming client (streaming ingestion,
   *     falling back to queued ingestion when the cluster refuses or the batch is too large)
   */
  public record TableOptions(
      String mappingRef, DataFormat format, long batchSize, boolean streaming)
      implements Serializable {
    public static final TableOptions DEFAULT =
        new TableOptions(null, DataFormat.CSV, DEFAULT_BATCH, false);
  }

  /** What status of an ingestion the service reports ({@code report.level}). */
  public enum ReportLevel {
    NONE,
    FAILURES_ONLY,
    FAILURES_AND_SUCCESSES
  }

  /** Where the service reports it ({@code report.method}). */
  public enum ReportMethod {
    /** The cluster's status queues: copyjob does not read them. */
    QUEUE,
    /** The cluster's status table: a run waits for the outcome there. */
    TABLE,
    QUEUE_AND_TABLE
  }

  /**
   * @param level what is reported
   * @param method where
   * @param timeout how long a piece waits for its batches' outcome in the status table
   */
  public record Report(ReportLevel level, ReportMethod method, Duration timeout)
      implements Serializable {
    /** Failures only, to the status queue (the SDK's default); a run does not wait. */
    public static final Report DEFAULT =
        new Report(ReportLevel.FAILURES_ONLY, ReportMethod.QUEUE, Duration.ofMinutes(10));

    /** Whether a run waits for the outcome of its batches (the status table is written). */
    public boolean waits() {
      return level != ReportLevel.NONE && method != ReportMethod.QUEUE;
    }
  }

  /** How a Kusto connection authenticates; secrets only by the name of their variable. */
  public enum AuthMethod {
    /** An application (service principal) with a secret: {@code appId}, {@code secretEnv}. */
    APPLICATION_SECRET,
    /**
     * An application with a certificate: a PKCS#12 (.pfx/.p12) or PEM file (certificate and private
     * key), named in the job file or by a variable, and the PKCS#12 password's variable.
     */
    APPLICATION_CERTIFICATE,
    /** The machine's managed identity; {@code clientId} for a user-assigned one. */
    MANAGED_IDENTITY,
    /** The user logged in with the Azure CLI ({@code az login}). */
    AZURE_CLI,
    /** An access token in an environment variable. */
    ACCESS_TOKEN,
    /**
     * No credential: only for a local endpoint on {@code http://localhost}, where the SDK sends
     * none.
     */
    NONE
  }

  /**
   * @param method how
   * @param appId the application (client) id of an application, or of a user-assigned managed
   *     identity
   * @param tenant the tenant (authority) of an application
   * @param secretEnv the variable holding the application's secret, the certificate's password or
   *     the access token
   * @param certificate the PKCS#12 (.pfx/.p12) or PEM file of an application's certificate, or null
   * @param certificateEnv the variable holding that file's path, when the job file names none
   */
  public record Auth(
      AuthMethod method,
      String appId,
      String tenant,
      String secretEnv,
      URI certificate,
      String certificateEnv)
      implements Serializable {
    public Auth(AuthMethod method, String appId, String tenant, String secretEnv, URI certificate) {
      this(method, appId, tenant, secretEnv, certificate, null);
    }
  }
}
