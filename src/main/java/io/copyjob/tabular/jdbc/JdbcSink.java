package io.copyjob.tabular.jdbc;

import io.copyjob.control.Jdbc;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.DatabaseSpec;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.WriteMode;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.PieceId;
import io.copyjob.tabular.PieceWriter;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.SourceColumn;
import io.copyjob.tabular.TableSink;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A database sink over JDBC: PostgreSQL (rows through COPY FROM STDIN), H2 and SQL Server (batched
 * INSERT), in the {@link SinkDialect} of its URL. Upsert writes each row with the dialect's upsert
 * statement, in batches (on PostgreSQL too: COPY cannot resolve a conflict), so a row already there
 * is replaced and a rerun adds nothing. Overwrite writes into a staging table ({@link TableSteps})
 * swapped in when every piece is loaded. Connects as the control store does ({@link Jdbc}: the
 * password from the environment, never in a message); one connection per instance, made where it
 * runs and made again when it was lost.
 */
public final class JdbcSink implements TableSink {
  private final String job;
  private final DatabaseSpec database;
  private final SinkDialect dialect;
  private transient Connection conn;

  /**
   * @param job the job's name: a staging table is the job's and the table's
   */
  public JdbcSink(String job, DatabaseSpec database) {
    this.job = job;
    this.database = database;
    this.dialect = SinkDialect.forUrl(database.url());
  }

  /**
   * The name of the staging table an {@code overwrite} of {@code table} (its name in the job file)
   * loads before the swap, beside the target table: a run killed before the swap leaves it, and the
   * next run of the job drops it.
   */
  public static String stagingTable(String job, String table) {
    return TableSteps.stagingName(job, table);
  }

  /** The database as messages name it: its URL without credentials or properties. */
  public String where() {
    return "sink database " + Jdbc.redact(database.url());
  }

  private Connection connection() throws IOException {
    try {
      if (conn != null && !conn.isClosed() && conn.isValid(10)) {
        return conn;
      }
      closeQuietly();
      conn =
          Jdbc.connect(database.url(), database.user(), database.password(), "sink database", null);
      conn.setAutoCommit(true);
      return conn;
    } catch (SQLException e) {
      closeQuietly();
      throw new IOException(oneLine(e.getMessage()), e);
    }
  }

  @Override
  public void prepare() throws IOException {
    Connection c = connection();
    try {
      Ledger.createMissing(c, dialect);
    } catch (SQLException e) {
      throw new IOException(
          where() + ": cannot create " + Ledger.TABLE + ": " + JdbcPieceWriter.reason(e), e);
    }
  }

  @Override
  public SinkTable describe(TableSpec table) throws MappingException, IOException {
    try {
      return SinkTables.describe(
          connection(), table.target(), Jdbc.redact(database.url()), dialect);
    } catch (SQLException e) {
      throw new IOException(
          where() + ": cannot read table " + table.target() + ": " + JdbcPieceWriter.reason(e), e);
    }
  }

  @Override
  public boolean missing(MappingException e) {
    return e instanceof SinkTables.TableMissing;
  }

  @Override
  public SinkTable create(TableSpec table, SourceColumns sourceColumns)
      throws MappingException, IOException {
    List<SourceColumn> columns = sourceColumns.columns().orElse(List.of());
    String ddl;
    try {
      DatabaseMetaData meta = connection().getMetaData();
      UnaryOperator<String> fold =
          meta.storesUpperCaseIdentifiers()
              ? n -> n.toUpperCase(Locale.ROOT)
              : meta.storesLowerCaseIdentifiers() ? n -> n.toLowerCase(Locale.ROOT) : n -> n;
      ddl = TableSteps.createDdl(dialect, table, columns, fold);
    } catch (SQLException e) {
      throw new IOException(where() + ": " + JdbcPieceWriter.reason(e), e);
    }
    try (Statement st = connection().createStatement()) {
      st.execute(ddl);
    } catch (SQLException e) {
      try {
        return describe(table); // made meanwhile by another worker
      } catch (MappingException stillMissing) {
        throw new IOException(
            where() + ": cannot create table " + table.target() + ": " + JdbcPieceWriter.reason(e),
            e);
      }
    }
    return describe(table);
  }

  @Override
  public SinkTable begin(TableSpec table, SinkTable target, long runId, long loadFrom)
      throws IOException {
    boolean staged = table.write() == WriteMode.OVERWRITE;
    if (!staged && !table.truncateBeforeFullCopy()) {
      return target;
    }
    String staging = TableSteps.stagingSql(dialect, target, job, table.name());
    SinkTable writeInto = staged ? target.writingInto(staging) : target;
    Connection c = connection();
    try {
      if (Ledger.anyLoaded(c, job, table.name(), loadFrom)) {
        return writeInto; // pieces of this load are in already: keep them
      }
      if (staged) {
        TableSteps.makeStaging(c, dialect, target, staging);
      } else {
        try (Statement st = c.createStatement()) {
          st.execute(dialect.truncate(target.sql()));
        }
      }
      return writeInto;
    } catch (SQLException e) {
      throw new IOException(
          where()
              + ": cannot "
              + (staged ? "make the staging table of " : "empty table ")
              + target.name()
              + ": "
              + JdbcPieceWriter.reason(e),
          e);
    }
  }

  @Override
  public void commit(TableSpec table, long runId) throws IOException {
    if (table.write() != WriteMode.OVERWRITE) {
      return;
    }
    SinkTable target;
    try {
      target = describe(table);
    } catch (MappingException e) {
      throw new IOException(e.getMessage(), e);
    }
    Set<String> mappedIdentities = new HashSet<>();
    for (ColumnMapping m : table.columns()) {
      target
          .column(m.sink())
          .filter(c -> c.identity())
          .ifPresent(c -> mappedIdentities.add(c.name()));
    }
    String staging = TableSteps.stagingSql(dialect, target, job, table.name());
    try {
      TableSteps.swap(connection(), dialect, target, staging, mappedIdentities);
    } catch (SQLException e) {
      abort(table, runId);
      throw new IOException(
          where()
              + ": the new rows cannot replace those of "
              + target.name()
              + ", which are kept: "
              + JdbcPieceWriter.reason(e),
          e);
    }
  }

  @Override
  public void abort(TableSpec table, long runId) throws IOException {
    if (table.write() != WriteMode.OVERWRITE) {
      return;
    }
    try {
      SinkTable target = describe(table);
      TableSteps.dropStaging(
          connection(), TableSteps.stagingSql(dialect, target, job, table.name()));
    } catch (MappingException e) {
      // No target, so no staging table beside it.
    } catch (SQLException e) {
      throw new IOException(
          where()
              + ": cannot drop the staging table of "
              + table.target()
              + ": "
              + JdbcPieceWriter.reason(e),
          e);
    }
  }

  @Override
  public boolean loaded(PieceId piece) throws IOException {
    try {
      return Ledger.loaded(connection(), piece);
    } catch (SQLException e) {
      throw new IOException(
          where() + ": cannot read " + Ledger.TABLE + ": " + JdbcPieceWriter.reason(e), e);
    }
  }

  @Override
  public Optional<PieceWriter> open(
      PieceId piece, TableSpec spec, SinkTable table, List<SinkColumn> columns) throws IOException {
    Connection c = connection();
    try {
      c.setAutoCommit(false);
      while (true) {
        try {
          Ledger.claim(c, piece);
          break;
        } catch (SQLException e) {
          c.rollback();
          if (Jdbc.isUniqueViolation(e)) {
            c.setAutoCommit(true);
            return Optional.empty(); // another attempt loaded it while this one read
          }
          if (!Ledger.isLockTimeout(e)) {
            throw e;
          }
          sleep(); // another attempt is writing it: wait for its outcome
        }
      }
      return Optional.of(
          new JdbcPieceWriter(
              c,
              piece,
              () -> batchWriter(c, spec, table, columns),
              where() + " table " + table.name()));
    } catch (SQLException e) {
      try {
        c.rollback();
        c.setAutoCommit(true);
      } catch (SQLException ignored) {
        // the connection is gone; it is made again for the next piece
      }
      throw new IOException(where() + ": " + JdbcPieceWriter.reason(e), e);
    }
  }

  private BatchWriter batchWriter(
      Connection c, TableSpec spec, SinkTable table, List<SinkColumn> columns) throws SQLException {
    if (spec.write() == WriteMode.UPSERT) {
      List<String> keys =
          spec.keys().stream().map(k -> table.quoted(table.column(k).orElseThrow())).toList();
      String sql =
          dialect.upsert(
              table.sql(),
              columns.stream().map(table::quoted).toList(),
              keys,
              !database.url().regionMatches(true, 0, "jdbc:h2:", 0, 8));
      return new InsertBatchWriter(c, sql, columns);
    }
    return dialect == SinkDialect.POSTGRESQL
        ? new PostgresCopyWriter(c, table, columns)
        : new InsertBatchWriter(c, table, columns);
  }

  private static void sleep() throws SQLException {
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while another attempt wrote the piece", e);
    }
  }

  @Override
  public void close() {
    closeQuietly();
  }

  private void closeQuietly() {
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException e) {
        // A connection that cannot close is gone already.
      }
      conn = null;
    }
  }

  private static String oneLine(String message) {
    return String.valueOf(message).replaceAll("\\s*\\R\\s*", " ");
  }
}
