package io.copyjob.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.control.FileRecord;
import io.copyjob.control.PartitionResult;
import io.copyjob.control.PartitionRunRecord;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunTotals;
import io.copyjob.control.TableCounts;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * Runs as JSON for scripts ({@code --json} of {@code history} and {@code status}): the same values
 * the tables show, unshortened, times in ISO-8601 UTC, counts as numbers. Field names are part of
 * copyjob's interface: add, never rename.
 */
public final class RunJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RunJson() {}

  public static ObjectNode run(RunRecord run) {
    ObjectNode node = JSON.createObjectNode();
    node.put("job", run.job());
    node.put("run", run.runNumber());
    node.put("runId", run.runId());
    node.put("status", run.status().name());
    node.put("startedAt", time(run.startedAt()));
    node.put("endedAt", time(run.endedAt()));
    if (run.duration() != null) {
      node.put("durationSeconds", run.duration().toMillis() / 1000.0);
    } else {
      node.putNull("durationSeconds");
    }
    node.put("mode", run.mode());
    node.put("runner", run.runner());
    totals(node.putObject("totals"), run.totals());
    node.put("error", run.error());
    node.set("settings", settings(run.settings()));
    return node;
  }

  /** A run's counts into {@code node}. */
  public static ObjectNode totals(ObjectNode node, RunTotals t) {
    node.put("partitionsSucceeded", t.partitionsSucceeded());
    node.put("partitionsFailed", t.partitionsFailed());
    node.put("filesCopied", t.filesCopied());
    node.put("filesSkipped", t.filesSkipped());
    node.put("filesFailed", t.filesFailed());
    node.put("bytesCopied", t.bytesCopied());
    node.put("rowsRead", t.rowsRead());
    node.put("rowsWritten", t.rowsWritten());
    node.put("rowsRejected", t.rowsRejected());
    return node;
  }

  /**
   * A partition's (or the run's) progress as its workers reported it into {@code node}: state,
   * counts so far and where the time went.
   */
  public static ObjectNode progress(ObjectNode node, io.copyjob.control.ProgressRecord p) {
    if (!p.key().equals(io.copyjob.control.ProgressRecord.RUN)) {
      node.put("root", p.key().root());
      node.put("prefix", p.key().prefix());
    }
    if (p.state() != null) {
      node.put("state", p.state().name());
    }
    node.put("filesListed", p.filesListed());
    node.put("bytesListed", p.bytesListed());
    node.put("filesCopied", p.filesCopied());
    node.put("filesSkipped", p.filesSkipped());
    node.put("filesFailed", p.filesFailed());
    node.put("bytesCopied", p.bytes());
    node.put("rowsWritten", p.rows());
    ObjectNode time = node.putObject("millis");
    time.put("listing", p.listingMillis());
    time.put("reading", p.readingMillis());
    time.put("writing", p.writingMillis());
    time.put("waiting", p.waitingMillis());
    node.put("longestStep", p.longestStep());
    if (p.firstByteMillis() == null) {
      node.putNull("firstByteMillis");
    } else {
      node.put("firstByteMillis", p.firstByteMillis());
    }
    node.put("peakInFlight", p.peakInFlight());
    node.put("throttled", p.throttled());
    node.put("heartbeatAt", p.heartbeat() == null ? null : time(p.heartbeat()));
    return node;
  }

  public static ArrayNode runs(List<RunRecord> runs) {
    ArrayNode array = JSON.createArrayNode();
    runs.forEach(r -> array.add(run(r)));
    return array;
  }

  /** One run's partitions (or tables), as recorded. */
  public static ArrayNode partitions(List<PartitionRunRecord> records) {
    ArrayNode array = JSON.createArrayNode();
    for (PartitionRunRecord record : records) {
      PartitionResult r = record.result();
      ObjectNode node = array.addObject();
      node.put("root", r.key().root());
      node.put("prefix", r.key().prefix());
      node.put("succeeded", r.succeeded());
      node.put("filesCopied", r.filesCopied());
      node.put("filesSkipped", r.filesSkipped());
      node.put("filesFailed", r.filesFailed());
      node.put("bytesCopied", r.bytesCopied());
      node.put("windowStart", time(r.windowStart()));
      node.put("windowEnd", time(r.windowEnd()));
      node.put("error", r.firstError());
      node.put("warning", r.warning());
      if (r.table() != null) {
        TableCounts t = r.table();
        ObjectNode table = node.putObject("table");
        table.put("rowsRead", t.rowsRead());
        table.put("rowsWritten", t.rowsWritten());
        table.put("rowsRejected", t.rowsRejected());
        table.put("durationSeconds", t.durationMillis() / 1000.0);
        if (t.watermark() != null) {
          table.put("watermarkColumn", t.watermark().column());
          table.put("watermarkBefore", t.watermark().before());
          table.put("watermarkAfter", t.watermark().after());
          table.put("nullWatermarkRows", t.watermark().nullRows());
        }
      }
    }
    return array;
  }

  /** A run's manifest. */
  public static ArrayNode files(List<FileRecord> files) {
    ArrayNode array = JSON.createArrayNode();
    for (FileRecord f : files) {
      ObjectNode node = array.addObject();
      node.put("partition", f.prefix());
      node.put("key", f.sourceKey());
      node.put("sinkKey", f.sinkKey());
      if (f.size() >= 0) {
        node.put("size", f.size());
      } else {
        node.putNull("size");
      }
      node.put("bytesWritten", f.bytesWritten());
      node.put("md5", f.md5());
      node.put("outcome", f.outcome());
      node.put("error", f.error());
    }
    return array;
  }

  /** Pretty-printed, for the terminal and for scripts alike. */
  public static String text(JsonNode node) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node)
          + System.lineSeparator();
    } catch (IOException e) {
      throw new IllegalStateException("a tree of plain values always serializes", e);
    }
  }

  private static JsonNode settings(String settings) {
    if (settings == null) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(settings);
    } catch (IOException e) {
      return JSON.getNodeFactory().textNode(settings);
    }
  }

  private static String time(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
