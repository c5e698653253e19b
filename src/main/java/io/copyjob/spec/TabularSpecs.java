package io.copyjob.spec;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.CsvSpec;
import io.copyjob.spec.TabularSpec.DatabaseSpec;
import io.copyjob.spec.TabularSpec.FaultTolerance;
import io.copyjob.spec.TabularSpec.FileSinkSpec;
import io.copyjob.spec.TabularSpec.SinkFormat;
import io.copyjob.spec.TabularSpec.TableSource;
import io.copyjob.spec.TabularSpec.TableSpec;
import java.util.Locale;

/**
 * A tabular job's settings as the job file writes them, for the run's settings record ({@link
 * JobSpecs#toJson}): a valid job file again, with every table's defaults written out and no secret.
 */
final class TabularSpecs {
  private TabularSpecs() {}

  static void put(ObjectNode root, JobSpec spec) {
    TabularSpec tabular = spec.tabular();
    ObjectNode source = root.putObject("source");
    if (tabular.readsDatabase()) {
      putDatabase(source.putObject("database"), tabular.sourceDatabase());
    } else {
      putFiles(source, spec);
    }
    ObjectNode sink = root.putObject("sink");
    if (tabular.writesFiles()) {
      putFileSink(sink, tabular.fileSink());
    } else if (tabular.kusto() == null) {
      putDatabase(sink.putObject("database"), tabular.database());
    }
    ObjectNode tables = root.putObject("tables");
    for (TableSpec table : tabular.tables()) {
      ObjectNode node = tables.putObject(table.name());
      if (table.source() != null) {
        TableSource from = table.source();
        JobSpecs.putIfSet(node, "table", from.table());
        JobSpecs.putIfSet(node, "query", from.query());
        JobSpecs.putIfSet(node, "pattern", from.pattern());
        if (from.partitionColumn() != null) {
          node.put("partitionColumn", from.partitionColumn());
          node.put("pieces", from.pieces());
        }
      } else {
        node.put("files", table.files());
        JobSpecs.putIfSet(node, "glob", table.glob());
      }
      if (table.watermark() != null) {
        ObjectNode watermark = node.putObject("watermark");
        watermark.put("column", table.watermark().column());
        if (!table.watermark().lookback().isZero()) {
          watermark.put("lookback", Durations.format(table.watermark().lookback()));
        }
      }
      putTable(node, table, tabular.writesFiles());
    }
    if (tabular.kusto() != null) {
      KustoSpecParser.putSink(sink, tables, tabular.kusto());
    }
    putFaultTolerance(root, tabular.faultTolerance());
    root.put("mode", spec.mode().name().toLowerCase(Locale.ROOT));
    if (spec.delta().interval() != null) {
      root.putObject("continuous").put("interval", Durations.format(spec.delta().interval()));
    }
    root.putObject("copy")
        .put("maxRequestsPerSecond", spec.copy().maxRequestsPerSecond())
        .put("maxBytesPerSecond", spec.copy().maxBytesPerSecond())
        .put("parallelism", spec.copy().parallelism())
        .put("requestTimeout", Durations.format(spec.copy().requestTimeout()));
  }

  private static void putDatabase(ObjectNode database, DatabaseSpec spec) {
    database.put("url", JobSpecs.maskUrl(spec.url()));
    JobSpecs.putIfSet(database, "user", spec.user());
    JobSpecs.putIfSet(database, "passwordEnv", spec.passwordEnv());
  }

  private static void putFiles(ObjectNode source, JobSpec spec) {
    TabularSpec tabular = spec.tabular();
    source.put("root", spec.source().root().toString());
    JobSpecs.putIfSet(source, "connection", spec.source().connection());
    source.put("format", tabular.format().format().name().toLowerCase(Locale.ROOT));
    CsvSpec csv = tabular.format().csv();
    ObjectNode csvNode = source.putObject("csv");
    csvNode.put("delimiter", String.valueOf(csv.delimiter()));
    csvNode.put("quote", csv.quote() == null ? "" : String.valueOf(csv.quote()));
    csvNode.put("escape", csv.escape() == null ? "" : String.valueOf(csv.escape()));
    csvNode.put("header", csv.header());
    csvNode.put("nullValue", csv.nullValue());
    csvNode.put("encoding", csv.encoding());
    csvNode.put("skipLines", csv.skipLines());
    source.put("compression", tabular.format().compression().name().toLowerCase(Locale.ROOT));
  }

  private static void putFileSink(ObjectNode sink, FileSinkSpec files) {
    sink.put("root", files.root().toString());
    JobSpecs.putIfSet(sink, "connection", files.connection());
    sink.put("format", files.format().name().toLowerCase(Locale.ROOT));
    if (files.format() == SinkFormat.CSV) {
      CsvSpec csv = files.csv();
      ObjectNode csvNode = sink.putObject("csv");
      csvNode.put("delimiter", String.valueOf(csv.delimiter()));
      csvNode.put("quote", csv.quote() == null ? "" : String.valueOf(csv.quote()));
      csvNode.put("escape", csv.escape() == null ? "" : String.valueOf(csv.escape()));
      csvNode.put("header", csv.header());
      csvNode.put("nullValue", csv.nullValue());
      csvNode.put("encoding", csv.encoding());
      sink.put("compression", files.gzip() ? "gzip" : "none");
    } else {
      sink.putObject("parquet")
          .put("compression", files.parquetCompression().name().toLowerCase(Locale.ROOT));
    }
    sink.put("rollOver", files.rollOver());
  }

  private static void putTable(ObjectNode node, TableSpec table, boolean fileSink) {
    {
      node.put("target", table.target());
      if (!table.columns().isEmpty()) {
        ArrayNode columns = node.putArray("columns");
        for (ColumnMapping c : table.columns()) {
          ObjectNode column = columns.addObject();
          if (c.constant() != null) {
            column.put(
                "constant",
                c.constant().kind() == TabularSpec.Constant.Kind.TEXT
                    ? (c.constant().text().startsWith("$") ? "$" : "") + c.constant().text()
                    : c.constant().kind().written());
          } else if (c.sourceName() != null) {
            column.put("source", c.sourceName());
          } else {
            column.put("source", c.sourceOrdinal());
          }
          column.put("sink", c.sink());
          JobSpecs.putIfSet(column, "type", c.type() == null ? null : c.type().toString());
          JobSpecs.putIfSet(column, "format", c.format());
        }
      }
      if (!table.keys().isEmpty()) {
        table.keys().forEach(node.putArray("keys")::add);
      }
      node.put("write", table.write().name().toLowerCase(Locale.ROOT));
      if (!fileSink) {
        node.put("createTable", table.createTable());
      }
      if (table.truncateBeforeFullCopy()) {
        node.put("truncateBeforeFullCopy", true);
      }
      node.put("ignoreCase", table.ignoreCase());
      node.put("timeZone", table.timeZone());
    }
  }

  private static void putFaultTolerance(ObjectNode root, FaultTolerance faults) {
    if (faults.skipIncompatibleRows()) {
      ObjectNode node = root.putObject("faultTolerance");
      node.put("skipIncompatibleRows", true);
      node.put("deadLetter", faults.deadLetter().toString());
      JobSpecs.putIfSet(node, "connection", faults.deadLetterConnection());
      if (faults.maxRejectedRows() >= 0) {
        node.put("maxRejectedRows", faults.maxRejectedRows());
      }
      if (faults.maxRejectedPercent() >= 0) {
        node.put("maxRejectedPercent", faults.maxRejectedPercent());
      }
    }
  }
}
