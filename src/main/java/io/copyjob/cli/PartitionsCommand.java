package io.copyjob.cli;

import io.copyjob.control.AdfPartitionTable;
import io.copyjob.control.ControlStore;
import io.copyjob.control.PartitionKey;
import io.copyjob.control.RootNames;
import io.copyjob.monitor.RunReport;
import io.copyjob.pipeline.Partitions;
import io.copyjob.spec.JobSpec;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code copyjob partitions add|list|reset JOB.yaml}: the job's rows in the control table. */
@Command(
    name = "partitions",
    mixinStandardHelpOptions = true,
    description = "Adds, lists or resets the job's partitions in the control table.",
    subcommands = {
      PartitionsCommand.Add.class,
      PartitionsCommand.ListPartitions.class,
      PartitionsCommand.Reset.class
    })
final class PartitionsCommand implements Runnable {
  @Spec CommandSpec commandSpec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        commandSpec.commandLine(), "a subcommand is required: add, list or reset");
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Adds partition prefixes below the job's source root (existing ones are kept).")
  static final class Add implements Callable<Integer> {
    @Mixin JobFileOption job;

    @Parameters(
        index = "1..*",
        paramLabel = "PREFIX",
        arity = "1..*",
        description = "Key prefixes.")
    List<String> prefixes;

    @Option(
        names = "--root",
        paramLabel = "URI|NAME",
        description =
            "Another source root of these partitions: a URI, or a bucket or container name next to"
                + " source.root (its files land below a folder of that name). Default: source.root.")
    String root;

    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
      JobSpec spec = job.parse();
      if (spec.isTabular()) {
        throw new UsageException(
            "partitions add: a tabular job's partitions are its tables; add them under tables:");
      }
      if (spec.partitionTable() != null) {
        throw new UsageException(
            "partitions add: the partitions are the rows of "
                + spec.partitionTable().table()
                + "; insert them there");
      }
      String sourceRoot = spec.source().root().toString();
      String partitionRoot;
      try {
        partitionRoot = root == null ? sourceRoot : RootNames.resolve(sourceRoot, root);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--root: " + e.getMessage());
      }
      List<PartitionKey> keys = new ArrayList<>();
      for (String prefix : prefixes) {
        if (prefix.startsWith("/")) {
          throw new UsageException("PREFIX: must not start with '/': " + prefix);
        }
        keys.add(new PartitionKey(partitionRoot, prefix));
      }
      try (ControlStore control = ControlStore.open(spec.control())) {
        int added = control.addPartitions(spec.name(), keys);
        commandSpec
            .commandLine()
            .getOut()
            .printf("added %d partition(s), %d already there%n", added, keys.size() - added);
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists the partitions and where each stands.")
  static final class ListPartitions implements Callable<Integer> {
    @Mixin JobFileOption job;

    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
      JobSpec spec = job.parse();
      PrintWriter out = commandSpec.commandLine().getOut();
      try (ControlStore control = ControlStore.open(spec.control())) {
        if (spec.partitionTable() != null) {
          Partitions.Selection next = Partitions.select(control, spec);
          out.printf(
              "%d partition(s) of %s the next run copies:%n",
              next.partitions().size(), spec.partitionTable().table());
          for (PartitionKey key : next.partitions()) {
            Instant since = next.lastSuccess().get(key.id());
            out.printf(
                "  %s'%s'%s%n",
                key.root(), key.prefix(), since == null ? "" : "  changed since " + since);
          }
          out.println("as copyjob recorded them:");
        } else {
          Partitions.register(control, spec);
        }
        out.print(RunReport.partitions(control.partitions(spec.name())));
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "reset",
      mixinStandardHelpOptions = true,
      description = "Marks partitions to be copied again by the next run.")
  static final class Reset implements Callable<Integer> {
    @Mixin JobFileOption job;

    @Parameters(
        index = "1..*",
        paramLabel = "PREFIX",
        arity = "0..*",
        description = "Key prefixes.")
    List<String> prefixes = new ArrayList<>();

    @Option(names = "--all", description = "Reset every partition of the job.")
    boolean all;

    @Spec CommandSpec commandSpec;

    @Override
    public Integer call() throws Exception {
      if (all == !prefixes.isEmpty()) {
        throw new UsageException("reset: give either prefixes or --all");
      }
      JobSpec spec = job.parse();
      List<String> chosen = all ? List.of() : prefixes;
      if (spec.partitionTable() != null) {
        if (spec.mode() != JobSpec.Mode.FULL) {
          throw new UsageException(
              "partitions reset: in delta mode each run adds rows to "
                  + spec.partitionTable().table()
                  + "; there is no status to reset");
        }
        AdfPartitionTable table =
            new AdfPartitionTable(spec.partitionTable(), spec.source().root().toString());
        try (Connection connection = table.connect()) {
          int reset = table.reset(connection, chosen);
          commandSpec
              .commandLine()
              .getOut()
              .printf("reset %d row(s) of %s%n", reset, spec.partitionTable().table());
        }
        return 0;
      }
      try (ControlStore control = ControlStore.open(spec.control())) {
        int reset = control.resetPartitions(spec.name(), chosen);
        commandSpec.commandLine().getOut().printf("reset %d partition(s)%n", reset);
        if (spec.isTabular()) {
          // A table without a watermark is loaded in full by its next (incremental) run.
          int cleared = control.deleteWatermarks(spec.name(), chosen);
          if (cleared > 0) {
            commandSpec
                .commandLine()
                .getOut()
                .printf(
                    "cleared %d watermark(s): the next run loads those tables in full%n", cleared);
          }
        }
      }
      return 0;
    }
  }
}
