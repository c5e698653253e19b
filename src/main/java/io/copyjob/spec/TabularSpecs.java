package io.copyjob.spec;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.CsvSpec;
import io.copyjob.spec.TabularSpec.FaultTolerance;
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
    ObjectNode database = root.putObject("sink").putObject("database");
    database.put("url", JobSpecs.maskUrl(tabular.database().url()));
    JobSpecs.putIfSet(database, "user", tabular.database().user());
    JobSpecs.putIfSet(database, "passwordEnv", tabular.database().passwordEnv());
    ObjectNode tables = root.putObject("tables");
    for (TableSpec table : tabular.tables()) {
      ObjectNode node = tables.putObject(table.name());
      node.put("files", table.files());
      JobSpecs.putIfSet(node, "glob", table.glob());
      node.put("target", table.target());
      if (!table.columns().isEmpty()) {
        ArrayNode columns = node.putArray("columns");
        for (ColumnMapping c : table.columns()) {
          ObjectNode column = columns.addObject();
          if (c.sourceName() != null) {
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
      node.put("createTable", table.createTable());
      if (table.truncateBeforeFullCopy()) {
        node.put("truncateBeforeFullCopy", true);
      }
      node.put("ignoreCase", table.ignoreCase());
      node.put("timeZone", table.timeZone());
    }
    FaultTolerance faults = tabular.faultTolerance();
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
    root.put("mode", "full");
    root.putObject("copy")
        .put("maxRequestsPerSecond", spec.copy().maxRequestsPerSecond())
        .put("maxBytesPerSecond", spec.copy().maxBytesPerSecond())
        .put("parallelism", spec.copy().parallelism())
        .put("requestTimeout", Durations.format(spec.copy().requestTimeout()));
  }
}
