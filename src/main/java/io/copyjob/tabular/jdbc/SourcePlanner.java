package io.copyjob.tabular.jdbc;

import io.copyjob.control.Dialect;
import io.copyjob.control.WatermarkChange;
import io.copyjob.spec.ColumnType;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.TableSource;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.spec.TabularSpec.Watermark;
import io.copyjob.tabular.MappingException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Plans the pieces of one table of a database source.
 *
 * <p>Incremental mode: the high-water mark is read before the copy and bounds it ({@code col <=
 * :high}), so rows committed during the copy wait for the next run instead of being copied twice.
 * Watermarks travel as the database writes them (text, full precision) and are compared after a
 * {@code CAST} to the column's own type, never through a Java value (a timestamp cut to
 * milliseconds would skip or repeat rows).
 *
 * <p>Pieces: with {@code partitionColumn} and {@code pieces: N}, the column's range (read as MIN
 * and MAX) is cut into N half-open ranges, the first one open below (with the NULLs) and the last
 * one open above, so every row is in exactly one piece whatever the bounds' precision.
 */
final class SourcePlanner {
  private final Connection conn;
  private final Dialect dialect;
  private final TableSpec table;
  private final TableSource source;
  private final String from;
  private final String quote;

  SourcePlanner(Connection conn, Dialect dialect, TableSpec table) throws IOException {
    this.conn = conn;
    this.dialect = dialect;
    this.table = table;
    this.source = table.source();
    this.from = source.table() != null ? source.table() : "(" + source.query() + ") src";
    try {
      this.quote = conn.getMetaData().getIdentifierQuoteString().trim();
    } catch (SQLException e) {
      throw failed("cannot read the database's metadata", e);
    }
  }

  /** A column of the source as its metadata gives it. */
  private record Column(String name, int jdbcType, String typeName, int precision, int scale) {
    /** Its type in copyjob's terms (as a sink column of it would have), or null when none. */
    ColumnType type() {
      return SinkTables.type(jdbcType, typeName, precision, scale);
    }
  }

  List<TableRead> plan(String lastWatermark, boolean incremental)
      throws IOException, MappingException {
    List<Column> columns = columns();
    // The columns read: those an explicit mapping names (the job file's spelling is what the
    // mapping finds them by), else all of them.
    List<String> names = new ArrayList<>();
    List<ColumnType> types = new ArrayList<>();
    List<String> select = new ArrayList<>();
    boolean explicit =
        !table.columns().isEmpty()
            && table.columns().stream()
                .filter(ColumnMapping::fromSource)
                .allMatch(c -> c.sourceName() != null);
    if (explicit) {
      for (ColumnMapping mapping : table.columns()) {
        if (!mapping.fromSource()) {
          continue;
        }
        Column c = column(columns, mapping.sourceName(), "column");
        names.add(mapping.sourceName());
        types.add(c.type());
        select.add(q(c.name()));
      }
    } else {
      for (Column c : columns) {
        names.add(c.name());
        types.add(c.type());
        select.add(q(c.name()));
      }
    }
    String selectList = String.join(", ", select);

    List<String> conditions = new ArrayList<>();
    List<Object> params = new ArrayList<>();
    WatermarkChange change = null;
    if (incremental) {
      Watermark watermark = table.watermark();
      Column w = column(columns, watermark.column(), "watermark.column");
      String cast = castType(w);
      String col = q(w.name());
      long nullRows = count(col + " IS NULL");
      String high;
      if (lastWatermark == null) {
        high = max(col, null, null);
        if (high != null) {
          // The first run is a full load: NULLs too; rows above the mark wait for the next run.
          conditions.add("(" + col + " <= " + cast("?", cast) + " OR " + col + " IS NULL)");
          params.add(high);
        }
        change = new WatermarkChange(watermark.column(), null, high, nullRows);
      } else {
        String lower = lower(w, cast, watermark);
        String op = table.rereadsBoundary() ? " >= " : " > ";
        // Above the last mark only: the watermark never moves back (rows deleted at the top).
        String above = max(col, col + " > " + cast("?", cast), lastWatermark);
        high = above != null ? above : lastWatermark;
        conditions.add(col + op + lower + " AND " + col + " <= " + cast("?", cast));
        params.add(lastWatermark);
        params.add(high);
        change = new WatermarkChange(watermark.column(), lastWatermark, high, nullRows);
      }
    }

    String base = "SELECT " + selectList + " FROM " + from;
    String where = source.describe();
    List<TableRead> reads = new ArrayList<>();
    List<Range> ranges = ranges(columns, conditions, params);
    for (int i = 0; i < ranges.size(); i++) {
      Range r = ranges.get(i);
      List<String> all = new ArrayList<>(conditions);
      List<Object> allParams = new ArrayList<>(params);
      if (r.condition() != null) {
        all.add(r.condition());
        allParams.addAll(r.params());
      }
      String sql = all.isEmpty() ? base : base + " WHERE " + String.join(" AND ", all);
      String label =
          ranges.size() == 1 ? "" : "piece " + (i + 1) + "/" + ranges.size() + ": " + r.label();
      reads.add(new TableRead(where, label, sql, allParams, names, change, types));
    }
    return reads;
  }

  /** The source's columns, read from an empty SELECT: the table (or query) must exist. */
  private List<Column> columns() throws IOException {
    List<Column> columns = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM " + from + " WHERE 1 = 0")) {
      ResultSetMetaData meta = rs.getMetaData();
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        columns.add(
            new Column(
                meta.getColumnLabel(i),
                meta.getColumnType(i),
                meta.getColumnTypeName(i),
                meta.getPrecision(i),
                meta.getScale(i)));
      }
    } catch (SQLException e) {
      throw failed("cannot be read", e);
    }
    return columns;
  }

  /** A MIN or MAX as {@code type}: pgjdbc's getObject makes no Long of an integer (int4). */
  private static Object bound(ResultSet rs, int column, Class<?> type) throws SQLException {
    if (type == Long.class) {
      long value = rs.getLong(column);
      return rs.wasNull() ? null : value;
    }
    return rs.getObject(column, type);
  }

  /** The column the job names: exactly, else the one equal ignoring case (unquoted SQL names). */
  private Column column(List<Column> columns, String name, String field) throws MappingException {
    for (Column c : columns) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    List<Column> folded = columns.stream().filter(c -> c.name().equalsIgnoreCase(name)).toList();
    if (folded.size() == 1) {
      return folded.get(0);
    }
    throw new MappingException(
        source.describe()
            + " has no "
            + field
            + " '"
            + name
            + "' (it has "
            + String.join(", ", columns.stream().map(Column::name).toList())
            + ")");
  }

  private String q(String name) {
    return SourceDatabase.quote(quote, name);
  }

  private static String cast(String value, String type) {
    return type == null ? value : "CAST(" + value + " AS " + type + ")";
  }

  /**
   * The type a watermark parameter is cast to: the column's own, at its full precision (a cast to a
   * bare TIMESTAMP would round H2's nanoseconds to micro, a datetime2 to less).
   */
  private String castType(Column w) throws MappingException {
    String name = w.typeName() == null ? "" : w.typeName().toLowerCase(Locale.ROOT);
    switch (w.jdbcType()) {
      case Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT:
        return "BIGINT";
      case Types.NUMERIC, Types.DECIMAL:
        if (w.precision() > 0 && w.precision() <= 1000) {
          return "DECIMAL(" + w.precision() + ", " + Math.max(0, w.scale()) + ")";
        }
        return dialect == Dialect.SQLSERVER
            ? "DECIMAL(38, " + Math.max(0, w.scale()) + ")"
            : "NUMERIC";
      case Types.REAL, Types.FLOAT, Types.DOUBLE:
        return dialect == Dialect.SQLSERVER ? "FLOAT" : "DOUBLE PRECISION";
      case Types.DATE:
        return "DATE";
      case Types.TIMESTAMP:
        return switch (dialect) {
          case POSTGRESQL -> name.equals("timestamptz") ? "TIMESTAMPTZ(6)" : "TIMESTAMP(6)";
          case H2 -> "TIMESTAMP(9)";
          case SQLSERVER ->
              name.equals("datetime2") ? "DATETIME2(7)" : name.toUpperCase(Locale.ROOT);
        };
      case Types.TIMESTAMP_WITH_TIMEZONE, -155: // -155: mssql-jdbc's DATETIMEOFFSET
        return switch (dialect) {
          case POSTGRESQL -> "TIMESTAMPTZ(6)";
          case H2 -> "TIMESTAMP(9) WITH TIME ZONE";
          case SQLSERVER -> "DATETIMEOFFSET(7)";
        };
      case Types.CHAR, Types.VARCHAR, Types.NCHAR, Types.NVARCHAR:
        return null; // compared as text, as the database orders it
      default:
        throw new MappingException(
            source.describe()
                + ": watermark.column '"
                + w.name()
                + "' is a "
                + w.typeName()
                + "; use a number, date, timestamp or text column");
    }
  }

  /** The lower bound of an incremental read: the last watermark, less the lookback. */
  private String lower(Column w, String cast, Watermark watermark) throws MappingException {
    String last = cast("?", cast);
    if (watermark.lookback().isZero()) {
      return last;
    }
    boolean temporal =
        w.jdbcType() == Types.DATE
            || w.jdbcType() == Types.TIMESTAMP
            || w.jdbcType() == Types.TIMESTAMP_WITH_TIMEZONE
            || w.jdbcType() == -155;
    if (!temporal) {
      throw new MappingException(
          source.describe()
              + ": watermark.lookback is a duration: it needs a date or timestamp column, and '"
              + w.name()
              + "' is a "
              + w.typeName());
    }
    // Whole seconds, rounded up: a longer overlap only re-reads more.
    long seconds = (watermark.lookback().toMillis() + 999) / 1000;
    return dialect == Dialect.SQLSERVER
        ? "DATEADD(SECOND, -" + seconds + ", " + last + ")"
        : "(" + last + " - INTERVAL '" + seconds + "' SECOND)";
  }

  private long count(String condition) throws IOException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + from + " WHERE " + condition)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw failed("cannot be counted", e);
    }
  }

  /** MAX of the column as the database writes it (full precision), or null when none. */
  private String max(String col, String condition, String param) throws IOException {
    String sql =
        "SELECT MAX(" + col + ") FROM " + from + (condition == null ? "" : " WHERE " + condition);
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      if (param != null) {
        ps.setString(1, param);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    } catch (SQLException e) {
      throw failed("cannot read its high-water mark", e);
    }
  }

  /** One piece's condition on the partition column; null condition: the whole table. */
  private record Range(String condition, List<Object> params, String label) {}

  private List<Range> ranges(List<Column> columns, List<String> conditions, List<Object> params)
      throws IOException, MappingException {
    if (source.partitionColumn() == null || source.pieces() <= 1) {
      return List.of(new Range(null, List.of(), ""));
    }
    Column p = column(columns, source.partitionColumn(), "partitionColumn");
    String col = q(p.name());
    Object min;
    Object max;
    String sql =
        "SELECT MIN("
            + col
            + "), MAX("
            + col
            + ") FROM "
            + from
            + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions));
    Class<?> type = javaType(p);
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.size(); i++) {
        ps.setObject(i + 1, params.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        min = bound(rs, 1, type);
        max = bound(rs, 2, type);
      }
    } catch (SQLException e) {
      throw failed("cannot read the range of " + p.name(), e);
    }
    if (min == null) {
      return List.of(new Range(null, List.of(), "")); // no row, or NULLs only
    }
    List<Object> bounds = bounds(min, max, source.pieces());
    if (bounds.isEmpty()) {
      return List.of(new Range(null, List.of(), ""));
    }
    List<Range> ranges = new ArrayList<>();
    ranges.add(
        new Range(
            "(" + col + " < ? OR " + col + " IS NULL)",
            List.of(bounds.get(0)),
            p.name() + " < " + bounds.get(0) + " or NULL"));
    for (int i = 1; i < bounds.size(); i++) {
      ranges.add(
          new Range(
              col + " >= ? AND " + col + " < ?",
              List.of(bounds.get(i - 1), bounds.get(i)),
              p.name() + " >= " + bounds.get(i - 1) + " and < " + bounds.get(i)));
    }
    Object last = bounds.get(bounds.size() - 1);
    ranges.add(new Range(col + " >= ?", List.of(last), p.name() + " >= " + last));
    return ranges;
  }

  private Class<?> javaType(Column p) throws MappingException {
    String name = p.typeName() == null ? "" : p.typeName().toLowerCase(Locale.ROOT);
    return switch (p.jdbcType()) {
      case Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT -> Long.class;
      case Types.NUMERIC, Types.DECIMAL -> BigDecimal.class;
      case Types.DATE -> LocalDate.class;
      case Types.TIMESTAMP ->
          name.equals("timestamptz") ? OffsetDateTime.class : LocalDateTime.class;
      case Types.TIMESTAMP_WITH_TIMEZONE -> OffsetDateTime.class;
      default ->
          throw new MappingException(
              source.describe()
                  + ": partitionColumn '"
                  + p.name()
                  + "' is a "
                  + p.typeName()
                  + "; use a number, date or timestamp column");
    };
  }

  /**
   * The inner bounds cutting [min, max] into at most {@code pieces} ranges of equal width (fewer
   * when the range holds fewer values): pieces - 1 values, strictly increasing.
   */
  static List<Object> bounds(Object min, Object max, int pieces) {
    List<Object> bounds = new ArrayList<>();
    if (min instanceof Long lo) {
      BigInteger a = BigInteger.valueOf(lo);
      BigInteger width = BigInteger.valueOf((Long) max).subtract(a).add(BigInteger.ONE);
      int n = width.min(BigInteger.valueOf(pieces)).intValue();
      for (int k = 1; k < n; k++) {
        bounds.add(
            a.add(width.multiply(BigInteger.valueOf(k)).divide(BigInteger.valueOf(n))).longValue());
      }
    } else if (min instanceof BigDecimal lo) {
      BigDecimal width = ((BigDecimal) max).subtract(lo);
      if (width.signum() > 0) {
        for (int k = 1; k < pieces; k++) {
          BigDecimal b =
              lo.add(
                  width
                      .multiply(BigDecimal.valueOf(k))
                      .divide(BigDecimal.valueOf(pieces), lo.scale() + 6, RoundingMode.FLOOR));
          if (bounds.isEmpty() || b.compareTo((BigDecimal) bounds.get(bounds.size() - 1)) > 0) {
            bounds.add(b);
          }
        }
      }
    } else if (min instanceof LocalDate lo) {
      for (Object b : bounds(lo.toEpochDay(), ((LocalDate) max).toEpochDay(), pieces)) {
        bounds.add(LocalDate.ofEpochDay((Long) b));
      }
    } else if (min instanceof LocalDateTime lo) {
      long a = micros(lo.toInstant(ZoneOffset.UTC));
      long b = micros(((LocalDateTime) max).toInstant(ZoneOffset.UTC));
      for (Object m : bounds(a, b, pieces)) {
        bounds.add(LocalDateTime.ofInstant(instant((Long) m), ZoneOffset.UTC));
      }
    } else if (min instanceof OffsetDateTime lo) {
      long a = micros(lo.toInstant());
      long b = micros(((OffsetDateTime) max).toInstant());
      for (Object m : bounds(a, b, pieces)) {
        bounds.add(OffsetDateTime.ofInstant(instant((Long) m), ZoneOffset.UTC));
      }
    }
    return bounds;
  }

  private static List<Object> bounds(long min, long max, int pieces) {
    return bounds((Object) min, (Object) max, pieces);
  }

  private static long micros(Instant i) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, i);
  }

  private static Instant instant(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }

  private IOException failed(String what, SQLException e) {
    return new IOException(source.describe() + ": " + what + ": " + JdbcPieceWriter.reason(e), e);
  }
}
