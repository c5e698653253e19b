package io.copyjob.tabular.files;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.TabularSpec.ParquetCompression;
import io.copyjob.tabular.SinkColumn;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;

/**
 * One Parquet file written with parquet-avro onto local disk ({@link LocalOutputFile}: no Hadoop
 * file system), each column a nullable field of its logical type: smallint and integer as INT32,
 * bigint as INT64, decimal(p,s) as DECIMAL(p,s) (an unbounded decimal, which Parquet cannot type,
 * as its exact text), double, boolean, date as DATE, timestamp as TIMESTAMP(MICROS) local (not
 * adjusted to UTC), timestamptz as TIMESTAMP(MICROS) adjusted to UTC, time as TIME(MICROS), text
 * and UUID as STRING, bytes as BINARY.
 *
 * <p>A row group is buffered in memory before it is written: its size is the smaller of the roll
 * over size and {@link #MAX_ROW_GROUP}, which bounds a writer's memory.
 *
 * <p>Also the writer of the Kusto sink's Parquet batches.
 */
public final class ParquetPartWriter implements PartWriter {
  /** The most bytes of a row group buffered before it goes to disk. */
  public static final long MAX_ROW_GROUP = 64L << 20;

  private final List<SinkColumn> columns;
  private final Schema schema;
  private final ParquetWriter<GenericRecord> writer;

  public ParquetPartWriter(
      Path file, List<SinkColumn> columns, ParquetCompression compression, long rollOver)
      throws IOException {
    this.columns = columns;
    this.schema = schema(columns);
    this.writer =
        AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
            .withConf(new PlainParquetConfiguration())
            .withSchema(schema)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .withCompressionCodec(codec(compression))
            .withRowGroupSize(Math.min(rollOver, MAX_ROW_GROUP))
            .build();
  }

  /** The Avro schema of a file of these columns: a record of nullable fields, in their order. */
  static Schema schema(List<SinkColumn> columns) {
    SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record("row").fields();
    for (SinkColumn column : columns) {
      fields =
          fields
              .name(column.name())
              .type(Schema.createUnion(Schema.create(Schema.Type.NULL), avroType(column.type())))
              .withDefault(null);
    }
    return fields.endRecord();
  }

  private static Schema avroType(ColumnType type) {
    return switch (type.kind()) {
      case SMALLINT, INTEGER -> Schema.create(Schema.Type.INT);
      case BIGINT -> Schema.create(Schema.Type.LONG);
      case DECIMAL ->
          type.precision() > 0
              ? LogicalTypes.decimal(type.precision(), type.scale())
                  .addToSchema(Schema.create(Schema.Type.BYTES))
              : Schema.create(Schema.Type.STRING);
      case DOUBLE -> Schema.create(Schema.Type.DOUBLE);
      case BOOLEAN -> Schema.create(Schema.Type.BOOLEAN);
      case DATE -> LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT));
      case TIMESTAMP ->
          LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case TIMESTAMPTZ ->
          LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case TIME -> LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case TEXT, UUID -> Schema.create(Schema.Type.STRING);
      case BYTES -> Schema.create(Schema.Type.BYTES);
    };
  }

  private static CompressionCodecName codec(ParquetCompression compression) {
    return switch (compression) {
      case NONE -> CompressionCodecName.UNCOMPRESSED;
      case SNAPPY -> CompressionCodecName.SNAPPY;
      case GZIP -> CompressionCodecName.GZIP;
      case ZSTD -> CompressionCodecName.ZSTD;
    };
  }

  @Override
  public void write(Object[] values) throws IOException {
    GenericRecord record = new GenericData.Record(schema);
    for (int i = 0; i < values.length; i++) {
      record.put(i, values[i] == null ? null : avroValue(columns.get(i).type(), values[i]));
    }
    writer.write(record);
  }

  /** A converted value as Avro holds it for the column's logical type. */
  private static Object avroValue(ColumnType type, Object value) {
    return switch (type.kind()) {
      case SMALLINT, INTEGER -> ((Number) value).intValue();
      case BIGINT -> ((Number) value).longValue();
      case DECIMAL -> {
        BigDecimal decimal = (BigDecimal) value;
        // The mapping checked the scale: setScale only adds zeros, never rounds.
        yield type.precision() > 0
            ? ByteBuffer.wrap(
                decimal
                    .setScale(type.scale(), RoundingMode.UNNECESSARY)
                    .unscaledValue()
                    .toByteArray())
            : decimal.toPlainString();
      }
      case DOUBLE -> ((Number) value).doubleValue();
      case BOOLEAN -> value;
      case DATE -> (int) ((LocalDate) value).toEpochDay();
      case TIMESTAMP -> micros(((LocalDateTime) value).toInstant(ZoneOffset.UTC));
      case TIMESTAMPTZ -> micros(((OffsetDateTime) value).toInstant());
      case TIME -> ((LocalTime) value).toNanoOfDay() / 1_000;
      case TEXT, UUID -> value.toString();
      case BYTES -> ByteBuffer.wrap((byte[]) value);
    };
  }

  /** Microseconds since the epoch (a finer fraction is cut: Parquet's timestamps hold micros). */
  private static long micros(Instant instant) {
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  @Override
  public long bytes() {
    return writer.getDataSize();
  }

  @Override
  public void finish() throws IOException {
    writer.close();
  }

  @Override
  public void close() throws IOException {
    writer.close();
  }
}
