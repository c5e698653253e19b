package io.copyjob.tabular.pipeline;

import io.copyjob.pipeline.StoreCache;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.tabular.MappingException;
import io.copyjob.tabular.TableSink;
import io.copyjob.tabular.TableSinks;
import java.io.IOException;
import java.io.UncheckedIOException;
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
      TableSpec table, String sinkTable, long files, long bytes, String error) {}

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
            if (!table.createTable() || !sink.missing(e)) {
              throw e;
            }
            sinkName = table.target() + " (created by the run)";
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
