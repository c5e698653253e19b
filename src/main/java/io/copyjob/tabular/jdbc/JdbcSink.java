package io.copyjob.tabular.jdbc;

import io.copyjob.control.Dialect;
import io.copyjob.control.Jdbc;
import io.copyjob.spec.TabularSpec.DatabaseSpec;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.PieceId;
import io.copyjob.tabular.PieceWriter;
import io.copyjob.tabular.SinkColumn;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.TableSink;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * A database sink over JDBC: PostgreSQL (rows through COPY FROM STDIN) and H2 (batched INSERT).
 * Connects as the control store does ({@link Jdbc}: the password from the environment, never in a
 * message); one connection per instance, made where it runs and made again when it was lost.
 */
public final class JdbcSink implements TableSink {
  private final DatabaseSpec database;
  private transient Connection conn;

  public JdbcSink(DatabaseSpec database) {
    this.database = database;
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
      Ledger.createMissing(c);
    } catch (SQLException e) {
      throw new IOException(
          where() + ": cannot create " + Ledger.TABLE + ": " + JdbcPieceWriter.reason(e), e);
    }
  }

  @Override
  public SinkTable describe(TableSpec table) throws MappingException, IOException {
    try {
      return SinkTables.describe(connection(), table.target(), Jdbc.redact(database.url()));
    } catch (SQLException e) {
      throw new IOException(
          where() + ": cannot read table " + table.target() + ": " + JdbcPieceWriter.reason(e), e);
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
  public Optional<PieceWriter> open(PieceId piece, SinkTable table, List<SinkColumn> columns)
      throws IOException {
    Connection c = connection();
    boolean postgres = Dialect.forUrl(database.url()) == Dialect.POSTGRESQL;
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
              () ->
                  postgres
                      ? new PostgresCopyWriter(c, table, columns)
                      : new InsertBatchWriter(c, table, columns),
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
