package io.copyjob.tabular.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.WatermarkChange;
import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.RowConstants;
import io.copyjob.tabular.SinkTable;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.TableSinks;
import io.copyjob.tabular.jdbc.SourceDatabase;
import io.copyjob.tabular.jdbc.TableRead;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What a run of a tabular job would load, found as the run finds it ({@link PlanPieces}): each
 * table's sink table and mapping checked, its files listed. Reads only; writes nothing.
 */
public final class TablePlanner {
  private final JobSpec spec;

  public TablePlanner(JobSpec spec) {
    this.spec = spec;
  }

  /**
   * One table's plan.
   *
   * @param sinkTable the sink table found, or null when it could not be
   * @param error why a run would fail the table before loading it, or null
   */
  public record TablePlan(
      TableSpec table,
      String sinkTable,
      long files,
      long bytes,
      String error,
      WatermarkChange watermark) {
    public TablePlan(TableSpec table, String sinkTable, long files, long bytes, String error) {
      this(table, sinkTable, files, bytes, error, null);
    }
  }

  /**
   * Plans every table of a job reading a database: patterns expanded, each table's pieces (as
   * {@code files}) and, in incremental mode, its watermark now and the high-water mark a run would
   * read up to.
   *
   * @param control the control store holding the watermarks, or null when the job never ran
   */
  public List<TablePlan> planDatabase(ControlStore control) {
    List<TablePlan> plans = new ArrayList<>();
    JobSpec expanded;
    try {
      expanded = TabularJob.expand(spec);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (SourceDatabase source = new SourceDatabase(spec.tabular().sourceDatabase());
        TableSink sink = TableSinks.of(spec)) {
      for (TableSpec table : expanded.tabular().tables()) {
        String sinkName = null;
        String error = null;
        List<TableRead> reads = List.of();
        try {
          SinkTable sinkTable = null;
          try {
            sinkTable = PlanPieces.sinkTable(table, sink, null);
            sinkName = sinkTable.name();
          } catch (MappingException e) {
            if (!(table.createTable() || sink.createsAlways()) || !sink.missing(e)) {
              throw e;
            }
            sinkName = created(table, sink);
          }
          String last = control == null ? null : PlanPieces.lastWatermark(expanded, table, control);
          reads =
              sinkTable == null
                  ? source.plan(table, last, expanded.readsAboveWatermark())
                  : PlanPieces.planReads(
                      expanded,
                      table,
                      sinkTable,
                      source,
                      last,
                      // What a run gives its constants, for their types: plan runs nothing.
                      new RowConstants(
                          0,
                          0,
                          java.time.Instant.now(),
                          expanded.name(),
                          table.name(),
                          table.source() != null && table.source().table() != null
                              ? table.source().table()
                              : table.name()));
        } catch (MappingException | IOException e) {
          error = e.getMessage();
        } catch (SQLException e) {
          error = "cannot read its watermark: " + e.getMessage();
        }
        plans.add(
            new TablePlan(
                table,
                sinkName,
                reads.size(),
                0,
                error,
                reads.isEmpty() ? null : reads.get(0).watermark()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return plans;
  }

  /** A sink table the run makes: a database table created, or a file sink's folder. */
  private String created(TableSpec table, TableSink sink) {
    if (sink.createsAlways() && spec.tabular().fileSink() == null) {
      return table.target() + " (columns from the source)"; // a Kusto table without columns:
    }
    return sink.createsAlways()
        ? spec.tabular().fileSink().root() + table.target() + "/ (columns from the source)"
        : table.target() + " (created by the run)";
  }

  /** Plans every table of the job; {@code file} sees each file a run would load. */
  public List<TablePlan> plan(BiConsumer<TableSpec, io.copyjob.store.FileInfo> file) {
    List<TablePlan> plans = new ArrayList<>();
    try (StoreCache stores = new StoreCache(spec);
        TableSink sink = TableSinks.of(spec)) {
      for (TableSpec table : spec.tabular().tables()) {
        long[] counts = new long[2];
        String sinkName = null;
        String error = null;
        try {
          try {
            sinkName = PlanPieces.sinkTable(table, sink, null).name();
          } catch (MappingException e) {
            if (!(table.createTable() || sink.createsAlways()) || !sink.missing(e)) {
              throw e;
            }
            sinkName = created(table, sink);
          }
          PlanPieces.listFiles(
              table,
              stores.get(spec.source().root().toString()),
              f -> {
                counts[0]++;
                counts[1] += f.size();
                file.accept(table, f);
              });
        } catch (MappingException | IOException e) {
          error = e.getMessage();
        } catch (UncheckedIOException e) {
          error = e.getCause().getMessage();
        }
        plans.add(new TablePlan(table, sinkName, counts[0], counts[1], error));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return plans;
  }
}
