package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.util.List;
import org.junit.Test;

/**
 * JSON files in S3 (s3proxy) loaded into PostgreSQL: JSON lines and arrays of objects, gzipped or
 * not, mapped by name or by field path; every row read back and compared with its type; a bad value
 * or malformed JSON named by its file and place.
 */
public class JsonFilesToPostgresTest extends TabularTestBase {
  @Override
  SinkDatabase database() {
    return SinkDatabase.postgres();
  }

  private JobSpec jsonJob(String rest) {
    return JobSpecParser.parse(
        jobYaml(rest).replace("format: csv}", "format: json}"), tmp.getRoot().toPath(), "job.yaml");
  }

  @Test
  public void jsonLinesAndArraysLoadEveryRowWithItsType() throws Exception {
    sink.execute(
        ORDERS_DDL,
        "CREATE TABLE \"customers\" (\"id\" BIGINT PRIMARY KEY, \"name\" VARCHAR(50) NOT NULL,"
            + " \"joined\" DATE, \"loaded_at\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
    // JSON lines, gzipped: typed values, text for the types JSON lacks, a nested object for a
    // text column, a field missing (NULL).
    put(
        "exports/orders/2024-01.jsonl.gz",
        gzip(
            "{\"id\": 1, \"customer\": 100000000000, \"amount\": 12.5, \"ratio\": 0.25,"
                + " \"paid\": true, \"day\": \"2024-01-02\", \"at\": \"2024-01-02 03:04:05\","
                + " \"at_tz\": \"2024-01-02T03:04:05+01:00\", \"code\": \"A1\","
                + " \"note\": \"line one\\nline two\","
                + " \"uid\": \"0f8fad5b-d9cb-469f-a165-70867728950e\"}\n"
                + "\n"
                + "{\"id\": 2, \"customer\": 7, \"amount\": \"-3\", \"ratio\": 1e3, \"paid\": false,"
                + " \"day\": \"2024-02-29\", \"at\": \"2024-02-29T23:59:59.123456\","
                + " \"at_tz\": null, \"code\": \"B\", \"note\": {\"nested\": [1, 2]}}\n"));
    // One array of objects over several lines, after a byte order mark; fields in another order.
    put(
        "exports/orders/2024-02.json",
        "\uFEFF[\n"
            + "  {\"amount\": 0.01, \"id\": 3, \"ratio\": -0.5, \"paid\": true,"
            + " \"day\": \"2024-03-01\", \"code\": \"C\", \"customer\": null, \"extra\": 1},\n"
            + "  {\"id\": 4, \"amount\": 99999.99, \"ratio\": 2, \"paid\": false,"
            + " \"day\": \"2024-03-02\", \"code\": \"D\"}\n"
            + "]\n");
    put("exports/orders/empty.jsonl", "");
    put("exports/orders/none.json", "[ ]");
    // Nested fields by path, from an array on one line.
    put(
        "exports/customers/c.json",
        "[{\"customer\": {\"id\": 7, \"name\": \"Grace, Hopper\"}, \"since\": \"2024-01-01\"},"
            + "{\"customer\": {\"id\": 100000000000, \"name\": \"Ada\"}, \"since\": \"2023-12-10\"}]");
    JobSpec spec =
        jsonJob(
            "tables:\n"
                + "  orders: {files: orders/, target: orders}\n"
                + "  customers:\n"
                + "    files: customers/\n"
                + "    target: customers\n"
                + "    columns:\n"
                + "      - {source: customer.id, sink: id}\n"
                + "      - {source: customer.name, sink: name}\n"
                + "      - {source: since, sink: joined}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT * FROM \"orders\" ORDER BY \"id\""))
        .containsExactly(
            "1 | 100000000000 | 12.50 | 0.25 | true | 2024-01-02 | 2024-01-02T03:04:05"
                + " | 2024-01-02T02:04:05Z | A1 | line one\nline two"
                + " | 0f8fad5b-d9cb-469f-a165-70867728950e",
            "2 | 7 | -3.00 | 1000.0 | false | 2024-02-29 | 2024-02-29T23:59:59.123456"
                + " | null | B | {\"nested\":[1,2]} | null",
            "3 | null | 0.01 | -0.5 | true | 2024-03-01 | null | null | C | null | null",
            "4 | null | 99999.99 | 2.0 | false | 2024-03-02 | null | null | D | null | null");
    assertThat(sink.rows("SELECT \"id\", \"name\", \"joined\" FROM \"customers\" ORDER BY \"id\""))
        .containsExactly("7 | Grace, Hopper | 2024-01-01", "100000000000 | Ada | 2023-12-10");
    assertThat(sink.rows("SELECT COUNT(*) FROM \"customers\" WHERE \"loaded_at\" IS NOT NULL"))
        .containsExactly("2"); // an unmapped column keeps its default
    assertThat(run.totals().rowsRead()).isEqualTo(6);
    assertThat(run.totals().rowsWritten()).isEqualTo(6);
    assertThat(run.totals().filesCopied()).isEqualTo(5);
  }

  @Test
  public void aBadValueOrMalformedJsonIsNamedByFileAndPlace() throws Exception {
    sink.execute(ORDERS_DDL);
    sink.execute("CREATE TABLE \"other\" (\"id\" INTEGER PRIMARY KEY, \"amount\" NUMERIC(12,2))");
    put(
        "exports/orders/bad.json",
        "[{\"id\": 1, \"amount\": 1}, {\"id\": 2, \"amount\": \"1x\"}, {\"id\": 3}]");
    put("exports/other/broken.jsonl", "{\"id\": 1}\n{\"id\": 2, \"amount\": }\n");
    JobSpec spec =
        jsonJob(
            "tables:\n"
                + "  orders: {files: orders/, target: orders}\n"
                + "  other: {files: other/, target: other}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    String root = "s3://" + bucket + "/exports/";
    List<String> errors =
        tables(spec, run).stream()
            .map(r -> r.result().key().prefix() + ": " + r.result().firstError())
            .sorted()
            .toList();
    assertThat(errors)
        .containsExactly(
            "orders: "
                + root
                + "orders/bad.json element 2 (line 1), column 'amount': '1x' is not a decimal"
                + " number",
            "other: "
                + root
                + "other/broken.jsonl line 2: malformed JSON: Unexpected character ('}' (code"
                + " 125)): expected a value");
    assertThat(sink.rows("SELECT COUNT(*) FROM \"orders\"")).containsExactly("0");
    assertThat(sink.rows("SELECT COUNT(*) FROM \"other\"")).containsExactly("0");

    // Set aside, the bad element is in the dead letter with its place; malformed JSON still fails.
    String dead = "s3://" + bucket + "/rejected/";
    JobSpec skipping =
        jsonJob(
            "tables:\n  orders: {files: orders/, target: orders}\n"
                + "faultTolerance: {skipIncompatibleRows: true, deadLetter: '"
                + dead
                + "', connection: s3}\n");

    RunRecord second = run(skipping, false);

    assertThat(second.status()).as(second.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT \"id\", \"amount\" FROM \"orders\" ORDER BY \"id\""))
        .containsExactly("1 | 1.00", "3 | null");
    assertThat(read(dead, "tab-" + id + "/orders/run-2.jsonl"))
        .singleElement()
        .asString()
        .startsWith(
            "{\"source\":\""
                + root
                + "orders/bad.json\",\"line\":1,\"element\":2,\"column\":\"amount\","
                + "\"value\":\"1x\",\"reason\":\"is not a decimal number\"");
  }
}
