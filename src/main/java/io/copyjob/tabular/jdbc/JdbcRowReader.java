package io.copyjob.tabular.jdbc;

import io.copyjob.spec.TabularSpec.DatabaseSpec;
import io.copyjob.tabular.RowReadException;
import io.copyjob.tabular.RowReader;
import io.copyjob.tabular.SourceRow;
import java.io.IOException;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Streams the rows of one piece of a database table ({@link TableRead}) through a cursor: on
 * PostgreSQL auto-commit off and a fetch size make pgjdbc fetch {@link #FETCH_SIZE} rows at a time
 * instead of the whole result. Values are Java objects (numbers, Boolean, LocalDate, LocalDateTime,
 * OffsetDateTime, String, UUID...), converted into the sink's types by the mapping. A row's
 * position is its number in the piece.
 */
public final class JdbcRowReader implements RowReader {
  /** Rows fetched per round trip: what bounds the reader's memory. */
  static final int FETCH_SIZE = 5_000;

  private final TableRead read;
  private final Connection conn;
  private final PreparedStatement ps;
  private final ResultSet rs;
  private final int[] kinds;
  private long row;

  private static final int OBJECT = 0;
  private static final int DATE = 1;
  private static final int TIMESTAMP = 2;
  private static final int TIMESTAMPTZ = 3;
  private static final int TIME = 4;
  private static final int TEXT = 5;

  private JdbcRowReader(TableRead read, Connection conn, PreparedStatement ps, ResultSet rs)
      throws SQLException {
    this.read = read;
    this.conn = conn;
    this.ps = ps;
    this.rs = rs;
    ResultSetMetaData meta = rs.getMetaData();
    kinds = new int[meta.getColumnCount()];
    for (int i = 0; i < kinds.length; i++) {
      kinds[i] = kind(meta.getColumnType(i + 1), meta.getColumnTypeName(i + 1));
    }
  }

  /** Runs the piece's query; the caller closes the reader. */
  public static JdbcRowReader open(DatabaseSpec database, TableRead read) throws IOException {
    Connection conn;
    try {
      conn = SourceDatabase.connect(database);
    } catch (IOException e) {
      throw new RowReadException(read.describe() + ": " + e.getMessage(), e);
    }
    PreparedStatement ps = null;
    try {
      conn.setAutoCommit(false);
      ps =
          conn.prepareStatement(
              read.sql(), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
      ps.setFetchSize(FETCH_SIZE);
      List<Object> params = read.params();
      for (int i = 0; i < params.size(); i++) {
        ps.setObject(i + 1, params.get(i));
      }
      return new JdbcRowReader(read, conn, ps, ps.executeQuery());
    } catch (SQLException e) {
      closeQuietly(ps, conn);
      throw new RowReadException(
          read.describe() + ": cannot be read: " + JdbcPieceWriter.reason(e), e);
    }
  }

  private static int kind(int jdbcType, String typeName) {
    String name = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    return switch (jdbcType) {
      case Types.DATE -> DATE;
        // PostgreSQL reports timestamptz as TIMESTAMP.
      case Types.TIMESTAMP -> name.equals("timestamptz") ? TIMESTAMPTZ : TIMESTAMP;
      case Types.TIMESTAMP_WITH_TIMEZONE, -155 -> TIMESTAMPTZ;
      case Types.TIME -> TIME;
      case Types.CLOB, Types.NCLOB, Types.SQLXML, Types.OTHER -> TEXT;
      default -> OBJECT;
    };
  }

  @Override
  public Optional<List<String>> columnNames() {
    return Optional.of(read.columnNames());
  }

  @Override
  public SourceRow next() throws IOException {
    try {
      if (!rs.next()) {
        return null;
      }
      row++;
      Object[] values = new Object[kinds.length];
      for (int i = 0; i < values.length; i++) {
        values[i] = value(i + 1, kinds[i]);
      }
      return new SourceRow(0, row, values); // "row N": a table has no lines
    } catch (SQLException e) {
      throw new RowReadException(
          read.describe() + " row " + (row + 1) + ": " + JdbcPieceWriter.reason(e), e);
    }
  }

  private Object value(int column, int kind) throws SQLException {
    Object value =
        switch (kind) {
          case DATE -> rs.getObject(column, LocalDate.class);
          case TIMESTAMP -> rs.getObject(column, LocalDateTime.class);
          case TIMESTAMPTZ -> rs.getObject(column, OffsetDateTime.class);
          case TIME -> rs.getObject(column, LocalTime.class);
          case TEXT -> rs.getString(column);
          default -> rs.getObject(column);
        };
    if (value instanceof Clob clob) {
      return clob.getSubString(1, (int) clob.length());
    }
    if (value instanceof java.sql.Blob blob) {
      return blob.getBytes(1, (int) blob.length());
    }
    return value;
  }

  @Override
  public String where() {
    return read.describe();
  }

  @Override
  public void close() throws IOException {
    try {
      rs.close();
      conn.rollback(); // read only: nothing to commit, and the cursor's transaction ends
    } catch (SQLException e) {
      // the connection is closed below either way
    } finally {
      closeQuietly(ps, conn);
    }
  }

  private static void closeQuietly(PreparedStatement ps, Connection conn) {
    try {
      if (ps != null) {
        ps.close();
      }
    } catch (SQLException e) {
      // closing
    }
    try {
      conn.close();
    } catch (SQLException e) {
      // closing
    }
  }
}
