package io.copyjob.tabular;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.fasterxml.jackson.databind.JsonNode;
import io.copyjob.spec.ColumnType;
import io.copyjob.spec.Connection;
import io.copyjob.spec.KustoSpec;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.WriteMode;
import io.copyjob.store.AzuriteServer;
import io.copyjob.tabular.kusto.KustoSink;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

/**
 * scripts/bench/kusto: how fast the Kusto sink moves rows into Azurite (CSV batches, gzipped and
 * uploaded by the ingest SDK, one queue message each) against a plain upload of the same CSV bytes
 * as one blob, and of the same bytes gzipped first; with {@code parquet} as third argument, Parquet
 * batches against a plain upload of the same Parquet bytes and of the rows as CSV. Not a test:
 * performance is measured here only.
 */
public final class KustoSinkBench {
  private KustoSinkBench() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    long batchSize = args.length > 1 ? Long.parseLong(args[1]) : KustoSpec.DEFAULT_BATCH;
    KustoSpec.DataFormat format =
        args.length > 2 && args[2].equals("parquet")
            ? KustoSpec.DataFormat.PARQUET
            : KustoSpec.DataFormat.CSV;
    String id = UUID.randomUUID().toString().substring(0, 8);
    try (LocalKusto kusto = new LocalKusto(id)) {
      List<ColumnMapping> columns =
          List.of(
              new ColumnMapping("id", 0, "Id", ColumnType.of(ColumnType.Kind.BIGINT), null),
              new ColumnMapping("customer", 0, "Customer", null, null),
              new ColumnMapping(
                  "amount", 0, "Amount", ColumnType.parse("decimal(12,2)").orElseThrow(), null),
              new ColumnMapping("at", 0, "At", ColumnType.of(ColumnType.Kind.TIMESTAMPTZ), null));
      TableSpec table =
          new TableSpec(
              "orders",
              "orders/",
              null,
              "Orders",
              columns,
              List.of(),
              WriteMode.APPEND,
              false,
              "UTC");
      KustoSpec spec =
          new KustoSpec(
              new Connection.Kusto(
                  "bench",
                  URI.create(kusto.url()),
                  URI.create(kusto.url()),
                  new KustoSpec.Auth(KustoSpec.AuthMethod.NONE, null, null, null, null)),
              "sales",
              KustoSpec.Report.DEFAULT,
              java.util.Map.of(
                  "orders", new KustoSpec.TableOptions(null, format, batchSize, false)));
      List<MappedRow> all = new ArrayList<>(rows);
      OffsetDateTime t0 = OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
      for (int i = 0; i < rows; i++) {
        all.add(
            new MappedRow(
                null,
                new Object[] {
                  (long) i,
                  "customer " + (i % 9973) + ", \"vip\"",
                  BigDecimal.valueOf(i % 100_000, 2),
                  t0.plusSeconds(i)
                }));
      }

      long start = System.nanoTime();
      try (KustoSink sink = new KustoSink("bench-" + id, spec)) {
        sink.prepare();
        SinkTable described = sink.describe(table);
        try (PieceWriter writer =
            sink.open(
                    new PieceId("bench-" + id, "orders", "0123456789abcdef", 1, 1),
                    table,
                    described,
                    described.columns())
                .orElseThrow()) {
          for (int from = 0; from < rows; from += 5_000) {
            writer.write(all.subList(from, Math.min(rows, from + 5_000)), (r, why) -> {});
          }
          writer.commit(rows);
        }
      }
      double sinkSeconds = (System.nanoTime() - start) / 1e9;
      List<JsonNode> messages = kusto.messages();
      if (format == KustoSpec.DataFormat.PARQUET) {
        parquet(kusto, messages, all, rows, batchSize, sinkSeconds);
        return;
      }
      long raw = 0;
      StringBuilder csv = new StringBuilder();
      for (JsonNode m : messages) {
        raw += m.path("rawDataSize").asLong();
        csv.append(kusto.blobText(m));
      }
      byte[] bytes = csv.toString().getBytes(StandardCharsets.UTF_8);
      if (bytes.length != raw) {
        throw new IllegalStateException(
            "blobs hold " + bytes.length + " bytes, messages say " + raw);
      }

      BlobContainerClient plain =
          new BlobServiceClientBuilder()
              .endpoint(AzuriteServer.endpoint().toString())
              .credential(
                  new StorageSharedKeyCredential(
                      "devstoreaccount1", System.getenv("COPYJOB_TEST_AZURE_KEY")))
              .buildClient()
              .getBlobContainerClient("bench-plain-" + id);
      plain.create();
      try {
        start = System.nanoTime();
        plain.getBlobClient("same.csv").upload(com.azure.core.util.BinaryData.fromBytes(bytes));
        double plainSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
          out.write(bytes);
        }
        plain
            .getBlobClient("same.csv.gz")
            .upload(com.azure.core.util.BinaryData.fromBytes(gz.toByteArray()));
        double gzipSeconds = (System.nanoTime() - start) / 1e9;

        System.out.printf(
            "rows %,d  csv bytes %,d  batches %d (batchSize %,d)%n",
            rows, bytes.length, messages.size(), batchSize);
        System.out.printf(
            "kusto sink (write CSV, SDK gzip + upload + queue): %.2f s, %.1f MB/s of CSV%n",
            sinkSeconds, bytes.length / sinkSeconds / 1e6);
        System.out.printf(
            "plain upload of the same CSV bytes:               %.2f s, %.1f MB/s%n",
            plainSeconds, bytes.length / plainSeconds / 1e6);
        System.out.printf(
            "gzip in memory + upload of the same bytes:        %.2f s, %.1f MB/s of CSV (%,d gzipped)%n",
            gzipSeconds, bytes.length / gzipSeconds / 1e6, gz.size());
      } finally {
        plain.delete();
      }
    }
  }

  /**
   * Parquet batches: every blob read back (the rows counted), and against them a plain upload of
   * the same Parquet bytes and of the rows as CSV.
   */
  private static void parquet(
      LocalKusto kusto,
      List<JsonNode> messages,
      List<MappedRow> all,
      int rows,
      long batchSize,
      double sinkSeconds)
      throws Exception {
    long parquetBytes = 0;
    long read = 0;
    List<byte[]> blobs = new ArrayList<>();
    for (JsonNode m : messages) {
      byte[] blob = kusto.blobBytes(m);
      blobs.add(blob);
      parquetBytes += blob.length;
      try (ParquetRowReader reader =
          new ParquetRowReader(new java.io.ByteArrayInputStream(blob), List.of(), false, "b")) {
        while (reader.next() != null) {
          read++;
        }
      }
    }
    if (read != rows) {
      throw new IllegalStateException("blobs hold " + read + " rows, not " + rows);
    }
    java.io.StringWriter csvText = new java.io.StringWriter();
    try (org.apache.commons.csv.CSVPrinter printer =
        new org.apache.commons.csv.CSVPrinter(
            csvText,
            org.apache.commons.csv.CSVFormat.RFC4180.builder().setRecordSeparator('\n').build())) {
      for (MappedRow row : all) {
        Object[] v = row.values();
        printer.printRecord(
            v[0],
            v[1],
            ((BigDecimal) v[2]).toPlainString(),
            java.time.format.DateTimeFormatter.ISO_INSTANT.format(
                ((OffsetDateTime) v[3]).toInstant()));
      }
    }
    byte[] csv = csvText.toString().getBytes(StandardCharsets.UTF_8);
    BlobContainerClient plain =
        new BlobServiceClientBuilder()
            .endpoint(AzuriteServer.endpoint().toString())
            .credential(
                new StorageSharedKeyCredential(
                    "devstoreaccount1", System.getenv("COPYJOB_TEST_AZURE_KEY")))
            .buildClient()
            .getBlobContainerClient("bench-plain-" + UUID.randomUUID().toString().substring(0, 8));
    plain.create();
    try {
      long start = System.nanoTime();
      for (int i = 0; i < blobs.size(); i++) {
        plain
            .getBlobClient("same-" + i + ".parquet")
            .upload(com.azure.core.util.BinaryData.fromBytes(blobs.get(i)));
      }
      double plainSeconds = (System.nanoTime() - start) / 1e9;
      start = System.nanoTime();
      plain.getBlobClient("same.csv").upload(com.azure.core.util.BinaryData.fromBytes(csv));
      double csvSeconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "rows %,d  parquet bytes %,d  as csv %,d  batches %d (batchSize %,d)%n",
          rows, parquetBytes, csv.length, messages.size(), batchSize);
      System.out.printf(
          "kusto sink (write Parquet, SDK upload + queue): %.2f s, %.1f MB/s of Parquet,"
              + " %.1f MB/s of the rows as CSV, %,.0f rows/s%n",
          sinkSeconds,
          parquetBytes / sinkSeconds / 1e6,
          csv.length / sinkSeconds / 1e6,
          rows / sinkSeconds);
      System.out.printf(
          "plain upload of the same Parquet bytes:         %.2f s, %.1f MB/s%n",
          plainSeconds, parquetBytes / plainSeconds / 1e6);
      System.out.printf(
          "plain upload of the rows as CSV:                %.2f s, %.1f MB/s%n",
          csvSeconds, csv.length / csvSeconds / 1e6);
    } finally {
      plain.delete();
    }
  }
}
