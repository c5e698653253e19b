package io.copyjob.tabular.jdbc;

import io.copyjob.tabular.MappedRow;
import io.copyjob.tabular.PieceId;
import io.copyjob.tabular.PieceWriter;
import io.copyjob.tabular.RowRejected;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.List;

/**
 * One piece in one transaction of the sink database: its ledger row (the claim), its batches, then
 * the ledger row's count, committed together. A batch the database refuses for a row's sake (a data
 * or constraint error) is rolled back to its savepoint and written again row by row, each under a
 * savepoint of its own, so the rows it refuses are found and handed on, and the others written.
 */
final class JdbcPieceWriter implements PieceWriter {
  private final Connection conn;
  private final PieceId piece;
  private final BatchWriterFactory factory;
  private final String where;
  private BatchWriter batches;
  private boolean done;

  /** Makes the statement rows are written with, on the first batch (a piece may have none). */
  interface BatchWriterFactory {
    BatchWriter create() throws SQLException;
  }

  JdbcPieceWriter(Connection conn, PieceId piece, BatchWriterFactory factory, String where) {
    this.conn = conn;
    this.piece = piece;
    this.factory = factory;
    this.where = where;
  }

  @Override
  public void write(List<MappedRow> batch, Rejects rejects) throws IOException {
    if (batch.isEmpty()) {
      return;
    }
    try {
      if (batches == null) {
        batches = factory.create();
      }
      Savepoint all = conn.setSavepoint();
      try {
        batches.writeAll(batch);
        conn.releaseSavepoint(all);
        return;
      } catch (SQLException e) {
        conn.rollback(all);
        if (!aboutARow(e)) {
          throw e;
        }
      }
      for (MappedRow row : batch) {
        Savepoint one = conn.setSavepoint();
        try {
          batches.writeOne(row);
          conn.releaseSavepoint(one);
        } catch (SQLException e) {
          conn.rollback(one);
          if (!aboutARow(e)) {
            throw e;
          }
          rejects.reject(row, new RowRejected(null, null, "refused by the database: " + reason(e)));
        }
      }
    } catch (SQLException e) {
      throw failed("write", e);
    }
  }

  @Override
  public void commit(long rowsWritten) throws IOException {
    try {
      Ledger.loaded(conn, piece, rowsWritten);
      conn.commit();
      done = true;
    } catch (SQLException e) {
      rollback();
      throw failed("commit", e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (!done) {
        rollback();
      }
      if (batches != null) {
        batches.close();
      }
      conn.setAutoCommit(true);
    } catch (SQLException e) {
      throw failed("end the transaction", e);
    }
  }

  private void rollback() {
    try {
      conn.rollback();
    } catch (SQLException e) {
      // The connection is gone: the database drops the transaction with it.
    }
  }

  /** A data exception (SQLSTATE class 22) or an integrity constraint violation (class 23). */
  static boolean aboutARow(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      String state = x.getSQLState();
      if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
        return true;
      }
      if (x.getNextException() == x) {
        break;
      }
    }
    return false;
  }

  /** The database's reason on one line, without the statement it repeats or where it was. */
  static String reason(SQLException e) {
    String message = String.valueOf(e.getMessage());
    int statement = message.indexOf("; SQL statement:");
    if (statement >= 0) {
      message = message.substring(0, statement);
    }
    StringBuilder kept = new StringBuilder();
    for (String line : message.split("\\R")) {
      String trimmed = line.trim();
      if (trimmed.isEmpty() || trimmed.startsWith("Where:") || trimmed.startsWith("Position:")) {
        continue;
      }
      kept.append(kept.length() == 0 ? "" : " ").append(trimmed);
    }
    return kept.toString();
  }

  private IOException failed(String what, SQLException e) {
    return new IOException(where + ": " + what + " failed: " + reason(e), e);
  }
}
