package io.copyjob.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.copyjob.control.ControlStore;
import io.copyjob.monitor.RunJson;
import io.copyjob.monitor.Units;
import io.copyjob.pipeline.PartitionLayout;
import io.copyjob.pipeline.Partitions;
import io.copyjob.pipeline.Planner;
import io.copyjob.pipeline.Planner.PartitionPlan;
import io.copyjob.spec.JobSpec;
import io.copyjob.tabular.pipeline.TablePlanner;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code copyjob plan JOB.yaml}: what a run would copy, without copying or recording anything. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description =
        "Dry run: lists the partitions, files and bytes a run would copy now. Writes nothing.")
final class PlanCommand implements Callable<Integer> {
  @Mixin JobFileOption job;

  @Option(names = "--files", description = "Also print every file a run would copy.")
  boolean files;

  @Option(
      names = "--json",
      description =
          "Print the plan as JSON (job, mode, each partition or table, totals; with --files each"
              + " file) instead of text, for scripts; the exit code is the same.")
  boolean json;

  /** The plan as JSON, built beside the text; printed instead of it with --json. */
  private final ObjectNode node = JsonNodeFactory.instance.objectNode();

  private final ArrayNode fileNodes = JsonNodeFactory.instance.arrayNode();

  /** A line of the text plan: printed unless --json. */
  private void text(PrintWriter out, String line) {
    if (!json) {
      out.println(line);
    }
  }

  /** Ends the plan: the JSON, or the text's last line. */
  private int finish(PrintWriter out, String lastLine, int failed) {
    if (json) {
      if (files) {
        node.set("files", fileNodes);
      }
      out.print(RunJson.text(node));
    } else {
      out.println(lastLine);
    }
    out.flush();
    return failed == 0 ? 0 : CopyJob.FAILED;
  }

  private void file(String where, long size, String problem) {
    if (files) {
      ObjectNode f = fileNodes.addObject().put("file", where).put("size", size);
      if (problem != null) {
        f.put("fails", problem);
      }
    }
  }

  @Spec CommandSpec commandSpec;

  @Override
  public Integer call() throws Exception {
    JobSpec spec = job.parse();
    PrintWriter out = commandSpec.commandLine().getOut();
    node.put("job", spec.name()).put("mode", spec.mode().name().toLowerCase(java.util.Locale.ROOT));
    if (spec.isTabular()) {
      return planTables(spec, out);
    }
    Partitions.Selection selection;
    PartitionLayout layout;
    if (controlStoreExists(spec)) {
      try (ControlStore control = ControlStore.open(spec.control())) {
        selection = Partitions.select(control, spec);
        layout = PartitionLayout.of(spec, Partitions.all(control, spec));
      }
    } else {
      selection = Partitions.select(null, spec);
      layout = PartitionLayout.of(spec, Partitions.all(null, spec));
    }
    layout
        .overlapWarning()
        .ifPresent(warning -> commandSpec.commandLine().getErr().println("copyjob: " + warning));
    List<PartitionPlan> plan =
        new Planner(spec, layout)
            .plan(
                selection,
                Instant.now(),
                (partition, file, problem) -> {
                  if (files) {
                    file(partition.root() + file.key(), file.size(), problem);
                    text(
                        out,
                        "  "
                            + partition.root()
                            + file.key()
                            + "  "
                            + file.size()
                            + (problem == null ? "" : "  (fails: " + problem + ")"));
                  }
                });
    ArrayNode partitionNodes = node.putArray("partitions");
    long totalFiles = 0;
    long totalBytes = 0;
    long unwritable = 0;
    long markers = 0;
    int failed = 0;
    for (PartitionPlan p : plan) {
      totalFiles += p.files();
      totalBytes += p.bytes();
      unwritable += p.unwritable();
      markers += p.markers();
      String line =
          String.format(
              "partition '%s' of %s: %d files, %s",
              p.key().prefix(), p.key().root(), p.files(), Units.bytes(p.bytes()));
      if (p.unwritable() > 0) {
        line += ", " + p.unwritable() + " of them with a name the sink cannot hold";
      }
      if (p.error() != null) {
        failed++;
        line += "  (listing failed: " + p.error() + ")";
      }
      partitionNodes
          .addObject()
          .put("prefix", p.key().prefix())
          .put("root", p.key().root())
          .put("files", p.files())
          .put("bytes", p.bytes())
          .put("unwritable", p.unwritable())
          .put("error", p.error());
      text(out, line);
    }
    node.putObject("totals")
        .put("partitions", plan.size())
        .put("files", totalFiles)
        .put("bytes", totalBytes)
        .put("unwritable", unwritable)
        .put("markersSkipped", markers)
        .put("failed", failed);
    return finish(
        out,
        String.format(
            "plan for job '%s' (%s): %d partition(s), %d files, %s%s%s",
            spec.name(),
            spec.mode().name().toLowerCase(java.util.Locale.ROOT),
            plan.size(),
            totalFiles,
            Units.bytes(totalBytes),
            unwritable == 0
                ? ""
                : "; " + unwritable + " would fail: the sink cannot hold their names",
            markers == 0 ? "" : "; " + markers + " folder marker(s) skipped"),
        failed);
  }

  /**
   * A job reading a database: per table, its source, sink table and pieces, in incremental mode its
   * watermark now and the high-water mark a run would copy up to, or why it would fail.
   */
  private int planDatabaseTables(JobSpec spec, PrintWriter out) throws Exception {
    List<TablePlanner.TablePlan> plans;
    try {
      if (controlStoreExists(spec)) {
        try (ControlStore control = ControlStore.open(spec.control())) {
          plans = new TablePlanner(spec).planDatabase(control);
        }
      } else {
        plans = new TablePlanner(spec).planDatabase(null);
      }
    } catch (java.io.UncheckedIOException e) {
      // The source cannot be reached, or a pattern matches nothing: one line.
      throw new io.copyjob.pipeline.JobException(e.getCause().getMessage());
    }
    int failed = 0;
    ArrayNode tableNodes = node.putArray("tables");
    for (TablePlanner.TablePlan p : plans) {
      ObjectNode t =
          tableNodes
              .addObject()
              .put("table", p.table().name())
              .put("source", p.table().source().describe())
              .put(
                  "sinkTable",
                  String.valueOf(p.sinkTable() == null ? p.table().target() : p.sinkTable()))
              .put("pieces", p.files());
      if (p.watermark() != null) {
        t.putObject("watermark")
            .put("column", p.watermark().column())
            .put(
                "before", p.watermark().before() == null ? null : p.watermark().before().toString())
            .put("after", p.watermark().after() == null ? null : p.watermark().after().toString())
            .put("nullRows", p.watermark().nullRows());
      }
      t.put("error", p.error());
      String line =
          String.format(
              "table '%s' (%s) -> %s: %d piece(s)",
              p.table().name(),
              p.table().source().describe(),
              p.sinkTable() == null ? p.table().target() : p.sinkTable(),
              p.files());
      if (p.watermark() != null) {
        line +=
            String.format(
                ", %s %s -> %s%s",
                p.watermark().column(),
                p.watermark().before() == null ? "(full load)" : p.watermark().before(),
                p.watermark().after() == null ? "(no value)" : p.watermark().after(),
                p.watermark().nullRows() == 0
                    ? ""
                    : ", "
                        + p.watermark().nullRows()
                        + " row(s) with NULL "
                        + p.watermark().column());
      }
      if (p.error() != null) {
        failed++;
        line += "  (fails: " + p.error() + ")";
      }
      text(out, line);
    }
    node.putObject("totals").put("tables", plans.size()).put("failed", failed);
    return finish(
        out,
        String.format(
            "plan for job '%s' (%s): %d table(s)",
            spec.name(), spec.mode().name().toLowerCase(java.util.Locale.ROOT), plans.size()),
        failed);
  }

  /** A tabular job's plan: per table, its sink table, files and bytes, or why it would fail. */
  private int planTables(JobSpec spec, PrintWriter out) throws Exception {
    if (spec.tabular().readsDatabase()) {
      return planDatabaseTables(spec, out);
    }
    List<TablePlanner.TablePlan> plans =
        new TablePlanner(spec)
            .plan(
                (table, file) -> {
                  if (files) {
                    file(spec.source().root() + file.key(), file.size(), null);
                    text(out, "  " + spec.source().root() + file.key() + "  " + file.size());
                  }
                });
    long totalFiles = 0;
    long totalBytes = 0;
    int failed = 0;
    ArrayNode tableNodes = node.putArray("tables");
    for (TablePlanner.TablePlan p : plans) {
      tableNodes
          .addObject()
          .put("table", p.table().name())
          .put("files", p.files())
          .put("bytes", p.bytes())
          .put(
              "sinkTable",
              String.valueOf(p.sinkTable() == null ? p.table().target() : p.sinkTable()))
          .put("error", p.error());
      totalFiles += p.files();
      totalBytes += p.bytes();
      String line =
          String.format(
              "table '%s' (%s%s%s) -> %s: %d files, %s",
              p.table().name(),
              spec.source().root(),
              p.table().files(),
              p.table().glob() == null ? "" : " " + p.table().glob(),
              p.sinkTable() == null ? p.table().target() : p.sinkTable(),
              p.files(),
              Units.bytes(p.bytes()));
      if (p.error() != null) {
        failed++;
        line += "  (fails: " + p.error() + ")";
      }
      text(out, line);
    }
    node.putObject("totals")
        .put("tables", plans.size())
        .put("files", totalFiles)
        .put("bytes", totalBytes)
        .put("failed", failed);
    return finish(
        out,
        String.format(
            "plan for job '%s' (full): %d table(s), %d files, %s",
            spec.name(), plans.size(), totalFiles, Units.bytes(totalBytes)),
        failed);
  }

  /**
   * Whether there is a control store to read. An embedded H2 file that does not exist yet means a
   * job never run: opening it would create it, and a plan writes nothing.
   */
  private static boolean controlStoreExists(JobSpec spec) {
    String url = spec.control().url();
    String prefix = "jdbc:h2:file:";
    if (!url.startsWith(prefix)) {
      return true;
    }
    String path = url.substring(prefix.length()).split(";", 2)[0];
    return Files.exists(Path.of(path + ".mv.db"));
  }
}
