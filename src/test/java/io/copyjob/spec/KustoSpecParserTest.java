package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.spec.KustoSpec.AuthMethod;
import io.copyjob.spec.KustoSpec.ReportMethod;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.Test;

/**
 * A tabular job into Azure Data Explorer: what its file means, and the one line a wrong one gets.
 */
public class KustoSpecParserTest {
  private static final String HEAD =
      "name: adx\nsource: {root: s3://exports/sales/, format: csv}\n";
  private static final String COLUMNS =
      "    columns: [{source: id, sink: Id, type: bigint}, {constant: $runId, sink: Run}]\n";

  private static JobSpec parse(String yaml) {
    return JobSpecParser.parse(yaml, Path.of("/jobs"), "job.yaml");
  }

  private static String job(String sink, String table) {
    return HEAD + sink + "tables:\n  orders:\n    files: orders/\n    target: Orders\n" + table;
  }

  @Test
  public void aKustoConnectionAndATablesOptions() {
    JobSpec spec =
        parse(
            "connections:\n"
                + "  adx:\n"
                + "    type: kusto\n"
                + "    cluster: https://help.westeurope.kusto.windows.net/\n"
                + "    auth: {method: application, appId: app-1, tenant: t.example, secretEnv: ADX_SECRET}\n"
                + job(
                    "sink:\n  kusto: {connection: adx, database: sales,"
                        + " report: {level: failuresAndSuccesses, method: table, timeout: 2m}}\n",
                    COLUMNS
                        + "    mappingRef: OrdersCsv\n    batchSize: 200MB\n    streaming: true\n"));

    KustoSpec kusto = spec.tabular().kusto();
    assertThat(spec.tabular().database()).isNull();
    assertThat(kusto.database()).isEqualTo("sales");
    assertThat(kusto.cluster().cluster())
        .isEqualTo(URI.create("https://help.westeurope.kusto.windows.net"));
    assertThat(kusto.cluster().ingest())
        .isEqualTo(URI.create("https://ingest-help.westeurope.kusto.windows.net"));
    assertThat(kusto.cluster().auth())
        .isEqualTo(
            new KustoSpec.Auth(
                AuthMethod.APPLICATION_SECRET, "app-1", "t.example", "ADX_SECRET", null));
    assertThat(kusto.report().method()).isEqualTo(ReportMethod.TABLE);
    assertThat(kusto.report().waits()).isTrue();
    assertThat(kusto.report().timeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(kusto.table("orders"))
        .isEqualTo(
            new KustoSpec.TableOptions("OrdersCsv", KustoSpec.DataFormat.CSV, 200_000_000L, true));
    // The settings record is a job file again, with no secret.
    assertThat(JobSpecs.toJson(spec))
        .contains(
            "\"type\":\"kusto\"", "\"secretEnv\":\"ADX_SECRET\"", "\"mappingRef\":\"OrdersCsv\"");
  }

  @Test
  public void inlineClusterWithDefaults() {
    KustoSpec kusto =
        parse(
                job(
                    "sink:\n  kusto: {cluster: 'http://localhost:8080', database: db,"
                        + " auth: {method: none}}\n",
                    COLUMNS))
            .tabular()
            .kusto();

    assertThat(kusto.cluster().ingest()).isEqualTo(URI.create("http://localhost:8080"));
    assertThat(kusto.table("orders")).isEqualTo(KustoSpec.TableOptions.DEFAULT);
    assertThat(kusto.table("orders").batchSize()).isEqualTo(500_000_000L);
    assertThat(kusto.report().waits()).isFalse();
  }

  @Test
  public void parquetBatchesTablesWithoutColumnsAndACertificateByVariable() {
    JobSpec spec =
        parse(
            job(
                "sink:\n  kusto: {cluster: 'https://c.kusto.windows.net', database: db,"
                    + " auth: {method: certificate, appId: a, tenant: t,"
                    + " certificateEnv: ADX_CERT, passwordEnv: ADX_CERT_PASSWORD}}\n",
                "    format: parquet\n    streaming: true\n"));

    KustoSpec kusto = spec.tabular().kusto();
    assertThat(spec.tabular().table("orders").columns()).isEmpty();
    assertThat(kusto.table("orders"))
        .isEqualTo(
            new KustoSpec.TableOptions(
                null, KustoSpec.DataFormat.PARQUET, KustoSpec.DEFAULT_BATCH, true));
    assertThat(kusto.cluster().auth())
        .isEqualTo(
            new KustoSpec.Auth(
                AuthMethod.APPLICATION_CERTIFICATE,
                "a",
                "t",
                "ADX_CERT_PASSWORD",
                null,
                "ADX_CERT"));
    assertThat(JobSpecs.toJson(spec))
        .contains("\"certificateEnv\":\"ADX_CERT\"", "\"passwordEnv\":\"ADX_CERT_PASSWORD\"");
  }

  private static void refused(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(SpecException.class).hasMessage(message);
  }

  private static final String LOCAL =
      "sink:\n  kusto: {cluster: 'https://c.kusto.windows.net', database: db,"
          + " auth: {method: azureCli}}\n";

  @Test
  public void wrongFilesGetOneLine() {
    refused(
        job(
            "sink:\n  kusto: {cluster: 'https://c.kusto.windows.net', database: db,"
                + " auth: {method: token, token: abc}}\n",
            COLUMNS),
        "job.yaml: sink.kusto.auth.token: not allowed in a job file; name an environment variable"
            + " with secretEnv");
    refused(
        job(
            "sink:\n  kusto: {cluster: 'http://c.kusto.windows.net', database: db,"
                + " auth: {method: azureCli}}\n",
            COLUMNS),
        "job.yaml: sink.kusto.cluster: must be an https URL like"
            + " https://mycluster.westeurope.kusto.windows.net (http only on localhost), without"
            + " user or query");
    refused(
        job(
            "sink:\n  kusto: {cluster: 'https://c.kusto.windows.net', database: db,"
                + " auth: {method: none}}\n",
            COLUMNS),
        "job.yaml: sink.kusto.auth.method: none is only for a local endpoint (http://localhost)");
    refused(
        job(
            "sink:\n  kusto: {cluster: 'https://c.kusto.windows.net', database: db,"
                + " auth: {method: application, appId: a, tenant: t}}\n",
            COLUMNS),
        "job.yaml: sink.kusto.auth.secretEnv: required with method application");
    refused(
        job(LOCAL, COLUMNS + "    streaming: true\n"),
        "job.yaml: tables.orders.streaming: streaming ingestion sends no inline mapping: name one"
            + " made on the table with mappingRef, or list no columns (Kusto then maps by position"
            + " for csv, by name for parquet)");
    refused(
        job(
            "sink:\n  kusto: {cluster: 'https://c.kusto.windows.net', database: db,"
                + " auth: {method: certificate, appId: a, tenant: t}}\n",
            COLUMNS),
        "job.yaml: sink.kusto.auth.certificate: give either certificate (the .pfx/.p12 or .pem"
            + " file) or certificateEnv (the variable holding its path) with method certificate");
    refused(
        job(LOCAL, COLUMNS + "    write: upsert\n    keys: [Id]\n"),
        "job.yaml: tables.orders.keys: not for a kusto sink, which appends (no upsert)");
    refused(
        job(LOCAL, COLUMNS + "    format: json\n"),
        "job.yaml: tables.orders.format: must be csv or parquet, got 'json'");
    refused(
        job(LOCAL, COLUMNS + "    batchSize: 10KB\n"),
        "job.yaml: tables.orders.batchSize: must be between 1MiB and 4GB (uncompressed; Kusto"
            + " recommends 100MB to 1GB)");
    refused(
        job("sink:\n  database: {url: 'jdbc:h2:mem:x'}\n", "    mappingRef: m\n"),
        "job.yaml: tables.orders.mappingRef: only with sink.kusto");
    refused(
        "connections:\n  s3: {type: s3}\n"
            + job("sink:\n  kusto: {connection: s3, database: db}\n", COLUMNS),
        "job.yaml: sink.kusto.connection: connection 's3' is not of type kusto");
  }
}
