package io.copyjob.tabular;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.ColumnType.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;

/**
 * A Parquet file read with parquet-avro, one record at a time.
 *
 * <p>Parquet's footer is at the end of the file and its column chunks are read by offset, so the
 * reader needs random access, which the store contract does not give (it streams a file from its
 * start). The file is therefore streamed to a temporary local file first (written as it arrives,
 * never held in memory; deleted on close): a worker needs as much free disk as the largest Parquet
 * file it reads at once. Ranged reads through the store would spare that copy; they are left for
 * when a store offers them.
 *
 * <p>Columns are the file schema's top-level fields in order, or the field paths of an explicit
 * mapping ({@link FieldPath}: {@code customer.id} reads a field of a nested group). Values keep
 * their type: int, long, float, double, boolean, string, decimal ({@link java.math.BigDecimal}),
 * date ({@link java.time.LocalDate}), time of day ({@link java.time.LocalTime}), binary (byte[]),
 * timestamps adjusted to UTC ({@link java.time.Instant}) and local ones ({@link
 * java.time.LocalDateTime}), UUID; a nested group, list or map is its JSON text. A row is found by
 * its 1-based place in the file ("row 12").
 */
final class ParquetRowReader implements RowReader {
  private static final GenericData MODEL = model();

  private final String where;
  private final Path local;
  private final ParquetReader<GenericRecord> reader;
  private final List<FieldPath> paths;
  private final List<String> names;
  private final boolean ignoreCase;
  private final Schema schema;
  private GenericRecord first;
  private long row;

  /**
   * @param fields the field paths an explicit mapping names; empty: the schema's top-level fields
   */
  ParquetRowReader(InputStream in, List<String> fields, boolean ignoreCase, String where)
      throws IOException {
    this.where = where;
    this.ignoreCase = ignoreCase;
    this.local = Files.createTempFile("copyjob-parquet-", ".parquet");
    ParquetReader<GenericRecord> opened = null;
    try {
      Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
      try {
        opened =
            AvroParquetReader.<GenericRecord>builder(
                    new LocalInputFile(local) {
                      // Parquet's messages name the input: "it", the store's file named before.
                      @Override
                      public String toString() {
                        return "it";
                      }
                    })
                .withDataModel(MODEL)
                .build();
        this.first = opened.read();
      } catch (IOException | RuntimeException e) {
        throw new RowReadException(where + ": not a readable Parquet file (" + reason(e) + ")", e);
      }
      this.reader = opened;
    } catch (IOException | RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      Files.deleteIfExists(local);
      throw e;
    }
    this.schema = first == null ? null : first.getSchema();
    if (!fields.isEmpty()) {
      this.names = List.copyOf(fields);
      this.paths = fields.stream().map(FieldPath::parse).toList();
    } else if (first != null) {
      this.names = first.getSchema().getFields().stream().map(f -> f.name()).toList();
      this.paths = names.stream().map(FieldPath::field).toList();
    } else {
      this.names = null; // a file without rows: nothing to map
      this.paths = List.of();
    }
  }

  private static GenericData model() {
    GenericData model = new GenericData();
    model.addLogicalTypeConversion(new Conversions.DecimalConversion());
    model.addLogicalTypeConversion(new Conversions.UUIDConversion());
    model.addLogicalTypeConversion(new TimeConversions.DateConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
    model.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
    model.addLogicalTypeConversion(new TimeConversions.LocalTimestampMillisConversion());
    model.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
    return model;
  }

  private static String reason(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e.getCause(); message == null && t != null; t = t.getCause()) {
      message = t.getMessage();
    }
    return (message == null ? e.getClass().getSimpleName() : message)
        .replaceAll("\\s*\\R\\s*", " ");
  }

  @Override
  public Optional<List<String>> columnNames() {
    return Optional.ofNullable(names);
  }

  /** The named columns, each typed by its top-level field of the file's schema. */
  @Override
  public List<SourceColumn> columns() {
    if (names == null) {
      return List.of();
    }
    List<SourceColumn> columns = new java.util.ArrayList<>();
    for (String name : names) {
      Schema.Field field = schema == null ? null : schema.getField(name);
      columns.add(new SourceColumn(name, field == null ? null : type(field.schema())));
    }
    return columns;
  }

  /** A field's type in copyjob's terms, or null for one it has no name for (a group, a list). */
  static ColumnType type(Schema schema) {
    if (schema.getType() == Schema.Type.UNION) {
      List<Schema> types =
          schema.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).toList();
      return types.size() == 1 ? type(types.get(0)) : null;
    }
    LogicalType logical = schema.getLogicalType();
    return switch (schema.getType()) {
      case INT ->
          logical instanceof LogicalTypes.Date
              ? ColumnType.of(Kind.DATE)
              : logical instanceof LogicalTypes.TimeMillis
                  ? ColumnType.of(Kind.TIME)
                  : logical == null ? ColumnType.of(Kind.INTEGER) : null;
      case LONG -> {
        if (logical instanceof LogicalTypes.TimestampMillis
            || logical instanceof LogicalTypes.TimestampMicros) {
          yield ColumnType.of(Kind.TIMESTAMPTZ);
        }
        if (logical instanceof LogicalTypes.LocalTimestampMillis
            || logical instanceof LogicalTypes.LocalTimestampMicros) {
          yield ColumnType.of(Kind.TIMESTAMP);
        }
        if (logical instanceof LogicalTypes.TimeMicros) {
          yield ColumnType.of(Kind.TIME);
        }
        yield logical == null ? ColumnType.of(Kind.BIGINT) : null;
      }
      case BYTES, FIXED ->
          logical instanceof LogicalTypes.Decimal d
              ? d.getPrecision() <= 1000
                  ? new ColumnType(Kind.DECIMAL, 0, d.getPrecision(), d.getScale())
                  : null
              : ColumnType.of(Kind.BYTES);
      case FLOAT, DOUBLE -> ColumnType.of(Kind.DOUBLE);
      case BOOLEAN -> ColumnType.of(Kind.BOOLEAN);
      case STRING ->
          logical != null && "uuid".equals(logical.getName())
              ? ColumnType.of(Kind.UUID)
              : ColumnType.of(Kind.TEXT);
      case ENUM -> ColumnType.of(Kind.TEXT);
      default -> null;
    };
  }

  @Override
  public SourceRow next() throws IOException {
    GenericRecord record;
    if (first != null) {
      record = first;
      first = null;
    } else {
      try {
        record = reader.read();
      } catch (IOException | RuntimeException e) {
        throw new RowReadException(
            where + " row " + (row + 1) + ": not a readable Parquet file (" + reason(e) + ")", e);
      }
    }
    if (record == null) {
      return null;
    }
    row++;
    Object[] values = new Object[paths.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = value(paths.get(i).find(record, this::field));
    }
    return new SourceRow(0, row, values);
  }

  /** A record's field {@code name}: exactly, else (when asked) the one equal ignoring case. */
  private Object field(Object record, String name) {
    if (!(record instanceof GenericRecord r)) {
      return null;
    }
    if (r.hasField(name)) {
      return r.get(name);
    }
    if (ignoreCase) {
      org.apache.avro.Schema.Field found = null;
      for (org.apache.avro.Schema.Field f : r.getSchema().getFields()) {
        if (f.name().equalsIgnoreCase(name)) {
          if (found != null) {
            return null;
          }
          found = f;
        }
      }
      return found == null ? null : r.get(found.pos());
    }
    return null;
  }

  /** A value as the row holds it: Avro's text as a String, nested values as JSON text. */
  private static Object value(Object value) {
    if (value instanceof CharSequence text) {
      return text.toString();
    }
    if (value instanceof GenericData.EnumSymbol symbol) {
      return symbol.toString();
    }
    if (value instanceof GenericRecord
        || value instanceof Collection<?>
        || value instanceof Map<?, ?>) {
      return MODEL.toString(value);
    }
    if (value instanceof ByteBuffer buffer) {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
      return bytes;
    }
    if (value instanceof GenericFixed fixed) {
      return fixed.bytes().clone();
    }
    return value;
  }

  @Override
  public String where() {
    return where;
  }

  @Override
  public void close() throws IOException {
    try {
      reader.close();
    } finally {
      Files.deleteIfExists(local);
    }
  }
}
