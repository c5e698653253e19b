package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import io.copyjob.tabular.jdbc.JdbcSink;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.Test;

/**
 * The write behaviours of a database sink, end to end on the DirectRunner against a real database:
 * upsert (a rerun adds no row and updates the changed ones), overwrite (a run that fails half way
 * leaves the old rows whole and no staging table), truncateBeforeFullCopy, and createTable with the
 * dialect's column types. Each database's test class supplies the database and the types it
 * expects.
 */
public abstract class WriteBehaviourContractTest extends TabularTestBase {
  static final String ITEMS_DDL =
      "CREATE TABLE \"items\" (\"id\" INTEGER NOT NULL PRIMARY KEY, \"name\" VARCHAR(20),"
          + " \"amount\" NUMERIC(12,2))";

  /**
   * The columns {@link #createTableTypesTheColumnsFromTheMapping} makes, as the database's metadata
   * describes them: name, type name, and the size of text and decimal columns.
   */
  abstract List<String> createdColumns();

  @Test
  public void upsertRerunAddsNoRowAndUpdatesTheChangedOnes() throws Exception {
    sink.execute(ITEMS_DDL);
    put("exports/items/a.csv", "id,name,amount\n1,one,1.00\n2,two,2.00\n3,three,3.00\n");
    // One key twice in one file: the later row wins, as it would row by row.
    put("exports/items/b.csv", "id,name,amount\n4,four,4.00\n4,four again,4.50\n");
    JobSpec spec =
        job("tables:\n  items: {files: items/, target: items, write: upsert, keys: [id]}\n");

    RunRecord first = run(spec, false);
    RunRecord again = run(spec, false);

    assertThat(first.status()).as(first.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(again.status()).as(again.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(again.totals().rowsWritten()).isEqualTo(5); // every row written again, none added
    assertThat(sink.rows("SELECT * FROM \"items\" ORDER BY \"id\""))
        .containsExactly(
            "1 | one | 1.00", "2 | two | 2.00", "3 | three | 3.00", "4 | four again | 4.50");

    put("exports/items/a.csv", "id,name,amount\n2,two changed,20.00\n5,five,5.00\n");
    RunRecord changed = run(spec, false);

    assertThat(changed.status()).as(changed.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT * FROM \"items\" ORDER BY \"id\""))
        .containsExactly(
            "1 | one | 1.00",
            "2 | two changed | 20.00",
            "3 | three | 3.00",
            "4 | four again | 4.50",
            "5 | five | 5.00");
  }

  @Test
  public void upsertKeysMustExistAndBeWrittenBeforeAnyRowIs() throws Exception {
    sink.execute(ITEMS_DDL);
    put("exports/items/a.csv", "id,name,amount\n1,one,1.00\n");

    RunRecord missing =
        run(
            job("tables:\n  items: {files: items/, target: items, write: upsert, keys: [nope]}\n"),
            false);
    RunRecord unmapped =
        run(
            job(
                "tables:\n  items:\n    files: items/\n    target: items\n    write: upsert\n"
                    + "    keys: [name]\n    columns: [{source: id, sink: id}]\n"),
            false);

    assertThat(missing.status()).isEqualTo(RunStatus.FAILED);
    assertThat(missing.error())
        .startsWith("1 table(s) failed; first table 'items': keys: no column 'nope' in ")
        .endsWith(" (its columns: id, name, amount)");
    assertThat(unmapped.status()).isEqualTo(RunStatus.FAILED);
    assertThat(unmapped.error())
        .isEqualTo(
            "1 table(s) failed; first table 'items': keys: column 'name' is not written by the"
                + " mapping; upsert matches rows on it, so map it");
    assertThat(sink.rows("SELECT COUNT(*) FROM \"items\"")).containsExactly("0");
  }

  @Test
  public void overwriteThatFailsHalfWayLeavesTheOldTableWholeAndNoStagingTable() throws Exception {
    sink.execute(
        ITEMS_DDL,
        "INSERT INTO \"items\" VALUES (1, 'old one', 1.00)",
        "INSERT INTO \"items\" VALUES (2, 'old two', 2.00)");
    List<String> before = sink.rows("SELECT * FROM \"items\" ORDER BY \"id\"");
    put("exports/items/a.csv", "id,name,amount\n10,ten,10.00\n11,eleven,11.00\n");
    put("exports/items/b.csv", "id,name,amount\n12,twelve,12.00\n13,thirteen,not a number\n");
    String tables = "tables:\n  items: {files: items/, target: items, write: overwrite}\n";
    JobSpec spec = job(tables);

    RunRecord failed = run(spec, false);

    assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
    assertThat(failed.error()).contains("exports/items/b.csv line 3, column 'amount'");
    assertThat(failed.totals().rowsWritten()).isEqualTo(2); // a.csv went into the staging table
    assertThat(sink.rows("SELECT * FROM \"items\" ORDER BY \"id\"")).isEqualTo(before);
    assertThat(stagingTables()).isEmpty();

    // Rows refused past a limit fail the table too, after every piece was loaded.
    String dead = "s3://" + bucket + "/rejected/";
    RunRecord limited =
        run(
            job(
                tables
                    + "faultTolerance: {skipIncompatibleRows: true, deadLetter: '"
                    + dead
                    + "', connection: s3, maxRejectedPercent: 10}\n"),
            false);

    assertThat(limited.status()).isEqualTo(RunStatus.FAILED);
    assertThat(limited.error()).contains("more than faultTolerance.maxRejectedPercent 10");
    assertThat(sink.rows("SELECT * FROM \"items\" ORDER BY \"id\"")).isEqualTo(before);
    assertThat(stagingTables()).isEmpty();

    // A run killed before its swap left a staging table with rows: the next run drops it.
    String staging = JdbcSink.stagingTable(spec.name(), "items");
    sink.execute(
        "CREATE TABLE \""
            + staging
            + "\" (\"id\" INTEGER, \"name\" VARCHAR(20), \"amount\""
            + " NUMERIC(12,2))",
        "INSERT INTO \"" + staging + "\" VALUES (99, 'left by a killed run', 0)");
    put("exports/items/b.csv", "id,name,amount\n12,twelve,12.00\n");

    RunRecord fixed = run(spec, false);

    assertThat(fixed.status()).as(fixed.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT * FROM \"items\" ORDER BY \"id\""))
        .containsExactly("10 | ten | 10.00", "11 | eleven | 11.00", "12 | twelve | 12.00");
    assertThat(stagingTables()).isEmpty();

    // Overwrite again from the same files: the same rows, not twice as many.
    RunRecord again = run(spec, false);
    assertThat(again.status()).as(again.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT COUNT(*) FROM \"items\"")).containsExactly("3");
  }

  @Test
  public void truncateBeforeFullCopyEmptiesTheTableFirst() throws Exception {
    sink.execute(ITEMS_DDL, "INSERT INTO \"items\" VALUES (1, 'old', 1.00)");
    put("exports/items/a.csv", "id,name,amount\n2,new,2.00\n");

    RunRecord run =
        run(
            job("tables:\n  items: {files: items/, target: items, truncateBeforeFullCopy: true}\n"),
            false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT * FROM \"items\" ORDER BY \"id\""))
        .containsExactly("2 | new | 2.00");
  }

  @Test
  public void createTableTypesTheColumnsFromTheMapping() throws Exception {
    put(
        "exports/made/a.csv",
        "id,name,amount,ratio,paid,day,at,uid,note\n"
            + "7,Ada,12.50,0.25,true,2024-01-02,2024-01-02 03:04:05,"
            + "0f8fad5b-d9cb-469f-a165-70867728950e,hello\n");
    JobSpec spec =
        job(
            "tables:\n  made:\n    files: made/\n    target: made\n    createTable: true\n"
                + "    write: upsert\n    keys: [id]\n    columns:\n"
                + "      - {source: id, sink: id, type: bigint}\n"
                + "      - {source: name, sink: name, type: varchar(20)}\n"
                + "      - {source: amount, sink: amount, type: 'decimal(12,2)'}\n"
                + "      - {source: ratio, sink: ratio, type: double}\n"
                + "      - {source: paid, sink: paid, type: boolean}\n"
                + "      - {source: day, sink: day, type: date}\n"
                + "      - {source: at, sink: at, type: timestamp}\n"
                + "      - {source: uid, sink: uid, type: uuid}\n"
                + "      - {source: note, sink: note}\n");

    RunRecord run = run(spec, false);
    RunRecord again = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(again.status()).as(again.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(columns("made")).containsExactlyElementsOf(createdColumns());
    assertThat(primaryKey("made")).containsExactly("id");
    assertThat(sink.rows("SELECT * FROM made"))
        .containsExactly(
            "7 | Ada | 12.50 | 0.25 | true | 2024-01-02 | 2024-01-02T03:04:05"
                + " | 0f8fad5b-d9cb-469f-a165-70867728950e | hello");
  }

  @Test
  public void createTableWithoutAMappingTakesTheHeaderAsTextColumns() throws Exception {
    put("exports/plain/a.csv", "code,label\nA,first\nB,second\n");

    RunRecord run =
        run(job("tables:\n  plain: {files: plain/, target: plain, createTable: true}\n"), false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sink.rows("SELECT code, label FROM plain ORDER BY code"))
        .containsExactly("A | first", "B | second");
    assertThat(columns("plain")).extracting(c -> c.split(" ")[0]).containsExactly("code", "label");
  }

  /** The staging tables left in the test's database. */
  private List<String> stagingTables() throws Exception {
    List<String> found = new ArrayList<>();
    try (Connection c = sink.connect();
        ResultSet rs = c.getMetaData().getTables(c.getCatalog(), c.getSchema(), null, null)) {
      while (rs.next()) {
        if (rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT).startsWith("copyjob_stage_")) {
          found.add(rs.getString("TABLE_NAME"));
        }
      }
    }
    return found;
  }

  /** A table's columns: lower-case name, type name, and the size of text and decimal columns. */
  private List<String> columns(String table) throws Exception {
    List<String> columns = new ArrayList<>();
    try (Connection c = sink.connect();
        ResultSet rs = c.getMetaData().getColumns(c.getCatalog(), c.getSchema(), null, null)) {
      while (rs.next()) {
        if (!rs.getString("TABLE_NAME").equalsIgnoreCase(table)) {
          continue;
        }
        String type = rs.getString("TYPE_NAME").toLowerCase(Locale.ROOT);
        int size = rs.getInt("COLUMN_SIZE");
        String sized =
            switch (rs.getInt("DATA_TYPE")) {
              case java.sql.Types.VARCHAR, java.sql.Types.NVARCHAR -> type + "(" + size + ")";
              case java.sql.Types.NUMERIC, java.sql.Types.DECIMAL ->
                  type + "(" + size + "," + rs.getInt("DECIMAL_DIGITS") + ")";
              default -> type;
            };
        String nullable =
            rs.getInt("NULLABLE") == DatabaseMetaData.columnNoNulls ? " not null" : "";
        columns.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT) + " " + sized + nullable);
      }
    }
    return columns;
  }

  private List<String> primaryKey(String table) throws Exception {
    List<String> keys = new ArrayList<>();
    try (Connection c = sink.connect()) {
      String name = table;
      try (ResultSet rs = c.getMetaData().getTables(c.getCatalog(), c.getSchema(), null, null)) {
        while (rs.next()) {
          if (rs.getString("TABLE_NAME").equalsIgnoreCase(table)) {
            name = rs.getString("TABLE_NAME");
          }
        }
      }
      try (ResultSet rs = c.getMetaData().getPrimaryKeys(c.getCatalog(), c.getSchema(), name)) {
        while (rs.next()) {
          keys.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
        }
      }
    }
    return keys;
  }
}
