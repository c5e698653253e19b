package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.control.TableCounts;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpecParser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;

/**
 * CSV files in S3 (s3proxy) loaded into a real database table, end to end on the DirectRunner:
 * every row read back from the database and compared exactly, with its type; the control store's
 * rows as recorded. Each database's test class supplies the database.
 */
public abstract class TabularCopyContractTest extends TabularTestBase {
  @Test
  public void csvFilesOfTwoTablesLoadEveryRowWithItsType() throws Exception {
    sink.execute(
        ORDERS_DDL,
        "CREATE TABLE \"customers\" (\"id\" BIGINT PRIMARY KEY, \"name\" VARCHAR(50) NOT NULL,"
            + " \"joined\" DATE, \"loaded_at\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
    // A byte order mark, a quoted field with a line break, quotes and a delimiter inside quotes.
    put(
        "exports/orders/2024-01.csv",
        "\uFEFF"
            + ORDERS_HEADER
            + "1,100000000000,12.50,0.25,true,2024-01-02,2024-01-02 03:04:05,"
            + "2024-01-02T03:04:05+01:00,A1,\"line one\nline two\",0f8fad5b-d9cb-469f-a165-70867728950e\n"
            + "2,7,-3,1e3,no,2024-02-29,2024-02-29T23:59:59.123456,2024-02-29 10:00:00,\"B,2\","
            + "\"say \"\"hi\"\"\",\n");
    put(
        "exports/orders/2024-02.csv.gz",
        gzip(
            ORDERS_HEADER
                + "3,,0.01,-0.5,1,2024-03-01,2024-03-01 00:00:00,2024-03-01T00:00:00Z,C,plain,\n"));
    put("exports/orders/empty.csv", "");
    put("exports/orders/header-only.csv", ORDERS_HEADER);
    put("exports/orders/readme.txt", "not a table");
    put("exports/orders/old/2023.csv", ORDERS_HEADER + "9,9,9,9,true,2023-01-01,,,,,\n");
    put(
        "exports/customers/c.csv",
        "cust_no,full name,joined\n100000000000,Ada Lovelace,10/12/2023\n7,\"Grace, Hopper\",01/01/2024\n");
    JobSpec spec =
        job(
            "tables:\n"
                + "  orders: {files: orders/, glob: '*.csv*', target: orders}\n"
                + "  customers:\n"
                + "    files: customers/\n"
                + "    target: customers\n"
                + "    columns:\n"
                + "      - {source: 1, sink: id}\n"
                + "      - {source: full name, sink: name}\n"
                + "      - {source: 3, sink: joined, format: dd/MM/yyyy}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT * FROM \"orders\" ORDER BY \"id\""))
        .containsExactly(
            "1 | 100000000000 | 12.50 | 0.25 | true | 2024-01-02 | 2024-01-02T03:04:05"
                + " | 2024-01-02T02:04:05Z | A1 | line one\nline two"
                + " | 0f8fad5b-d9cb-469f-a165-70867728950e",
            "2 | 7 | -3.00 | 1000.0 | false | 2024-02-29 | 2024-02-29T23:59:59.123456"
                + " | 2024-02-29T10:00:00Z | B,2 | say \"hi\" | null",
            "3 | null | 0.01 | -0.5 | true | 2024-03-01 | 2024-03-01T00:00"
                + " | 2024-03-01T00:00:00Z | C | plain | null");
    assertThat(sink.rows("SELECT \"id\", \"name\", \"joined\" FROM \"customers\" ORDER BY \"id\""))
        .containsExactly(
            "7 | Grace, Hopper | 2024-01-01", "100000000000 | Ada Lovelace | 2023-12-10");
    assertThat(run.totals().rowsRead()).isEqualTo(5);
    assertThat(run.totals().rowsWritten()).isEqualTo(5);
    assertThat(run.totals().rowsRejected()).isZero();
    assertThat(run.totals().partitionsSucceeded()).isEqualTo(2);
    assertThat(run.totals().filesCopied()).isEqualTo(5); // four orders files, one customers file
    assertThat(tables(spec, run))
        .extracting(
            r ->
                r.result().key().prefix()
                    + " "
                    + r.result().filesCopied()
                    + " files, rows "
                    + rows(r.result().table()))
        .containsExactly("customers 1 files, rows 2/2/0", "orders 4 files, rows 3/3/0");
  }

  @Test
  public void constantColumnsTakeTheRunsTheTablesAndEachFilesValues() throws Exception {
    sink.execute(
        "CREATE TABLE \"loads\" (\"id\" INTEGER NOT NULL, \"code\" VARCHAR(20),"
            + " \"run_no\" BIGINT, \"run_id\" BIGINT, \"started\" TIMESTAMP WITH TIME ZONE,"
            + " \"job\" VARCHAR(40), \"tbl\" VARCHAR(40), \"src\" VARCHAR(80),"
            + " \"file\" VARCHAR(40), \"region\" VARCHAR(20), \"price\" TEXT)");
    put("exports/loads/a.csv", "id,code\n1,x\n2,y\n");
    put("exports/loads/sub/b.csv.gz", gzip("id,code\n3,z\n"));
    JobSpec spec =
        job(
            "tables:\n"
                + "  loads:\n"
                + "    files: loads/\n"
                + "    target: loads\n"
                + "    columns:\n"
                + "      - {source: id, sink: id}\n"
                + "      - {source: code, sink: code}\n"
                + "      - {constant: $runNumber, sink: run_no}\n"
                + "      - {constant: $runId, sink: run_id}\n"
                + "      - {constant: $runStart, sink: started}\n"
                + "      - {constant: $job, sink: job}\n"
                + "      - {constant: $table, sink: tbl}\n"
                + "      - {constant: $source, sink: src}\n"
                + "      - {constant: $fileName, sink: file}\n"
                + "      - {constant: eu-west, sink: region}\n"
                + "      - {constant: $$5, sink: price}\n");

    RunRecord first = run(spec, false);
    assertThat(first.status()).as(first.error()).isEqualTo(RunStatus.SUCCEEDED);

    String job = spec.name();
    assertThat(
            sink.rows(
                "SELECT \"id\", \"code\", \"run_no\", \"run_id\", \"job\", \"tbl\","
                    + " \"src\", \"file\", \"region\", \"price\" FROM \"loads\" ORDER BY \"id\""))
        .containsExactly(
            "1 | x | 1 | "
                + first.runId()
                + " | "
                + job
                + " | loads | loads/a.csv | a.csv | eu-west | $5",
            "2 | y | 1 | "
                + first.runId()
                + " | "
                + job
                + " | loads | loads/a.csv | a.csv | eu-west | $5",
            "3 | z | 1 | "
                + first.runId()
                + " | "
                + job
                + " | loads | loads/sub/b.csv.gz | b.csv.gz | eu-west | $5");
    // The run's start, to the microsecond the databases keep.
    assertThat(sink.rows("SELECT DISTINCT \"started\" FROM \"loads\" WHERE \"id\" = 1"))
        .containsExactly(
            first
                .startedAt()
                .truncatedTo(java.time.temporal.ChronoUnit.MICROS)
                .atOffset(java.time.ZoneOffset.UTC)
                .toString()
                .replace("+00:00", "Z"));
  }

  @Test
  public void aConstantThatDoesNotFitItsColumnFailsTheTableBeforeAnyRow() throws Exception {
    sink.execute("CREATE TABLE \"loads\" (\"id\" INTEGER NOT NULL, \"n\" INTEGER)");
    put("exports/loads/a.csv", "id\n1\n");
    JobSpec spec =
        job(
            "tables:\n"
                + "  loads:\n"
                + "    files: loads/\n"
                + "    target: loads\n"
                + "    columns: [{source: id, sink: id}, {constant: $fileName, sink: n}]\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(run.error())
        .contains("constant $fileName for sink column 'n' (integer): 'a.csv' is not");
    assertThat(sink.rows("SELECT COUNT(*) FROM \"loads\"")).containsExactly("0");
  }

  private static String rows(TableCounts t) {
    return t.rowsRead() + "/" + t.rowsWritten() + "/" + t.rowsRejected();
  }

  @Test
  public void aPieceDrivenTwiceInOneRunIsWrittenOnce() throws Exception {
    sink.execute(ORDERS_DDL);
    put(
        "exports/orders/1.csv",
        ORDERS_HEADER + "1,1,1,1,true,2024-01-01,,,a,,\n2,2,2,2,false,,,,b,,\n");
    JobSpec spec = job("tables:\n  orders: {files: orders/, target: orders}\n");
    io.copyjob.tabular.pipeline.TabularJobTestSupport.Driven driven =
        io.copyjob.tabular.pipeline.TabularJobTestSupport.transferTwice(spec, "orders", "1.csv");

    assertThat(driven.outcomes()).containsExactlyInAnyOrder("LOADED", "SKIPPED");
    assertThat(sink.rows("SELECT \"id\", \"code\" FROM \"orders\" ORDER BY \"id\""))
        .containsExactly("1 | a", "2 | b");
    assertThat(sink.rows("SELECT table_name, rows_written FROM copyjob_loaded"))
        .containsExactly("orders | 2");
  }

  @Test
  public void rejectedRowsGoToTheDeadLetterAndTheLimitsFailTheTable() throws Exception {
    sink.execute(ORDERS_DDL);
    put(
        "exports/orders/1.csv",
        ORDERS_HEADER
            + "1,1,10.00,1,true,2024-01-01,,,ok,,\n"
            + "2,2,12x,1,true,2024-01-01,,,bad amount,,\n"
            + "3,3,1,1,maybe,2024-01-01,,,bad bool,,\n"
            + "4,4,1,1,true,2024-02-30,,,bad date,,\n"
            + "5,5,1,1,true,2024-01-01,,,a code far longer than twenty,,\n"
            + "6,6\n"
            + ",7,1,1,true,2024-01-01,,,null id,,\n"
            + "1,8,1,1,true,2024-01-01,,,duplicate id,,\n"
            + "9,9,99.99,1,true,2024-01-01,,,ok too,,\n");
    String tables = "tables:\n  orders: {files: orders/, target: orders}\n";
    // The dead letter in another store: Azure (Azurite), while the files are in S3.
    String dead = "azfs://devstoreaccount1/dead-" + id + "/rejected/";
    io.copyjob.spec.Connection lake = io.copyjob.store.AzuriteServer.connection("lake", true);
    JobSpec spec =
        job(
            tables
                + "faultTolerance: {skipIncompatibleRows: true, deadLetter: '"
                + dead
                + "', connection: lake}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT \"id\", \"code\" FROM \"orders\" ORDER BY \"id\""))
        .containsExactly("1 | ok", "9 | ok too");
    assertThat(run.totals().rowsRead()).isEqualTo(9);
    assertThat(run.totals().rowsWritten()).isEqualTo(2);
    assertThat(run.totals().rowsRejected()).isEqualTo(7);
    String where = "s3://" + bucket + "/exports/orders/1.csv";
    List<String> lines =
        List.of(read(dead, "tab-" + id + "/orders/run-1.jsonl", lake).get(0).split("\n"));
    assertThat(lines)
        .hasSize(7)
        .allSatisfy(line -> assertThat(line).startsWith("{\"source\":\"" + where + "\""))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("\"line\":3,\"column\":\"amount\",\"value\":\"12x\"")
                    .contains("\"reason\":\"is not a decimal number\""))
        .anySatisfy(line -> assertThat(line).contains("\"line\":5,").contains("is not a date"))
        .anySatisfy(line -> assertThat(line).contains("\"line\":6,").contains("more than the 20"))
        .anySatisfy(line -> assertThat(line).contains("\"line\":7,").contains("has 2 fields"))
        .anySatisfy(line -> assertThat(line).contains("\"line\":8,").contains("NOT NULL"))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("\"line\":9,")
                    .contains("refused by the database")
                    .contains("\"row\":[\"1\",\"8\""));
    assertThat(read(dead, "tab-" + id + "/orders/.run", lake)).isEmpty(); // the parts were gathered
    assertThat(tables(spec, run).get(0).result().warning())
        .isEqualTo("7 row(s) rejected, kept in " + dead + "tab-" + id + "/orders/run-1.jsonl");

    // Past a limit the table fails: here 7 of 9 rows, more than 50%.
    sink.execute("DELETE FROM \"orders\"");
    JobSpec limited =
        job(
            tables
                + "faultTolerance: {skipIncompatibleRows: true, deadLetter: '"
                + dead
                + "', connection: lake, maxRejectedPercent: 50}\n");

    RunRecord second = run(limited, false);

    assertThat(second.status()).isEqualTo(RunStatus.FAILED);
    assertThat(second.error())
        .isEqualTo(
            "1 table(s) failed; first table 'orders': 7 row(s) rejected, kept in "
                + dead
                + "tab-"
                + id
                + "/orders/run-2.jsonl; 77.78% of the rows read, more than"
                + " faultTolerance.maxRejectedPercent 50");

    // Past maxRejectedRows a file stops where it passes the limit, and nothing of it is written.
    sink.execute("DELETE FROM \"orders\"");
    JobSpec stopped =
        job(
            tables
                + "faultTolerance: {skipIncompatibleRows: true, deadLetter: '"
                + dead
                + "', connection: lake, maxRejectedRows: 2}\n");

    RunRecord third = run(stopped, false);

    assertThat(third.status()).isEqualTo(RunStatus.FAILED);
    assertThat(third.error())
        .isEqualTo(
            "1 table(s) failed; first table 'orders': "
                + where
                + " line 5: more than 2 rows rejected (faultTolerance.maxRejectedRows); the last:"
                + " line 5, column 'day': '2024-02-30' is not a date (yyyy-MM-dd)");
    assertThat(sink.rows("SELECT COUNT(*) FROM \"orders\"")).containsExactly("0");
    assertThat(read(dead, "tab-" + id + "/orders/run-3.jsonl", lake).get(0).split("\n")).hasSize(3);
  }

  @Test
  public void headerlessFilesMapByPositionPastIdentityColumns() throws Exception {
    sink.execute(
        "CREATE TABLE \"events\" (\"seq\" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            + " \"kind\" VARCHAR(10) NOT NULL, \"at\" TIMESTAMP, \"n\" INTEGER)");
    // Latin-1 text, a line to skip, ';' between fields and '\N' for NULL.
    put(
        "exports/events/e.csv",
        "exported by a legacy tool\ncaf\u00e9;2024-05-01 08:00:00;1\nth\u00e9;\\N;\\N\n"
            .getBytes(StandardCharsets.ISO_8859_1));
    JobSpec spec =
        JobSpecParser.parse(
            jobYaml("tables:\n  events: {files: events/, target: events}\n")
                .replace(
                    "format: csv}",
                    "format: csv, csv: {header: false, delimiter: ';', nullValue: '\\N',"
                        + " encoding: ISO-8859-1, skipLines: 1}}"),
            tmp.getRoot().toPath(),
            "job.yaml");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT \"kind\", \"at\", \"n\" FROM \"events\" ORDER BY \"seq\""))
        .containsExactly("caf\u00e9 | 2024-05-01T08:00 | 1", "th\u00e9 | null | null");
  }

  @Test
  public void headerNamesTakeTheColumnsSqlWouldTakeUnquoted() throws Exception {
    // Unquoted: H2 keeps the names upper case, PostgreSQL lower case.
    sink.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, full_name VARCHAR(20) NOT NULL)");
    put("exports/people/p.csv", "Full_Name,ID,ignored\nAda,1,x\n");
    JobSpec spec = job("tables:\n  people: {files: people/, target: PEOPLE}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT id, full_name FROM people")).containsExactly("1 | Ada");
  }
}
