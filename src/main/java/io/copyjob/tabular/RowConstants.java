package io.copyjob.tabular;

import io.copyjob.spec.TabularSpec.Constant;
import java.io.Serializable;
import java.time.Instant;

/**
 * The values constant columns take for one piece: the run's, the table's and the piece's source.
 *
 * @param runId the run's id in the control store
 * @param runNumber the run's number within its job
 * @param runStart when the run started
 * @param job the job's name
 * @param table the table's name in the job file
 * @param source where the piece's rows are read: the file's path below the source root, or the
 *     source table's name
 */
public record RowConstants(
    long runId, long runNumber, Instant runStart, String job, String table, String source)
    implements Serializable {

  /** The value of {@code constant}, before it is converted into its column's type. */
  public Object value(Constant constant) {
    return switch (constant.kind()) {
      case TEXT -> constant.text();
      case RUN_ID -> runId;
      case RUN_NUMBER -> runNumber;
      case RUN_START -> runStart;
      case JOB -> job;
      case TABLE -> table;
      case SOURCE -> source;
      case FILE_NAME -> source.substring(source.lastIndexOf('/') + 1);
    };
  }

  /** The same values for another piece's source. */
  public RowConstants from(String otherSource) {
    return new RowConstants(runId, runNumber, runStart, job, table, otherSource);
  }
}
