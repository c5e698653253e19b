package io.copyjob.spec;

import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed and validated job file. Immutable; every transform receives the parts it needs from
 * here, never the raw YAML.
 *
 * @param name the job's name, the key of its rows in the control store
 * @param source where files are read from and how they are partitioned
 * @param sink where files are written to
 * @param copy how files are copied
 * @param mode full (historical), delta (by LastModified window) or continuous (delta in rounds)
 * @param delta settings of delta and continuous mode
 * @param control the JDBC control store: copyjob's own tables (runs, history, leases, and the
 *     partitions unless {@code partitionTable} is given)
 * @param partitionTable an existing control table (Azure Data Factory's) used as it is for the
 *     partitions and their outcomes; null when copyjob's own table holds them
 * @param tabular what a tabular job (one with {@code tables:}) copies: its format, sink database,
 *     tables and fault tolerance; null for a file copy. A tabular job's {@code source.partitions}
 *     are its tables' names and its {@code sink} has no root.
 */
public record JobSpec(
    String name,
    SourceSpec source,
    SinkSpec sink,
    CopySpec copy,
    Mode mode,
    DeltaSpec delta,
    ControlSpec control,
    PartitionTableSpec partitionTable,
    Map<String, Connection> connections,
    TabularSpec tabular)
    implements Serializable {

  public JobSpec {
    connections = Map.copyOf(connections);
  }

  /** Written as bytes made once per spec ({@link SerializedSpec}): every step carries it. */
  @java.io.Serial
  private Object writeReplace() {
    return SerializedSpec.of(this);
  }

  /** A file copy. */
  public JobSpec(
      String name,
      SourceSpec source,
      SinkSpec sink,
      CopySpec copy,
      Mode mode,
      DeltaSpec delta,
      ControlSpec control,
      PartitionTableSpec partitionTable,
      Map<String, Connection> connections) {
    this(name, source, sink, copy, mode, delta, control, partitionTable, connections, null);
  }

  /** Whether this job copies rows into tables rather than files. */
  public boolean isTabular() {
    return tabular != null;
  }

  /**
   * Whether the job's tables are read above their watermark: mode incremental, or a tabular job's
   * continuous rounds.
   */
  public boolean readsAboveWatermark() {
    return mode == Mode.INCREMENTAL || (mode == Mode.CONTINUOUS && isTabular());
  }

  /** A job whose stores are reached with the SDKs' defaults. */
  public JobSpec(
      String name,
      SourceSpec source,
      SinkSpec sink,
      CopySpec copy,
      Mode mode,
      DeltaSpec delta,
      ControlSpec control,
      PartitionTableSpec partitionTable) {
    this(name, source, sink, copy, mode, delta, control, partitionTable, Map.of());
  }

  /** A job whose partitions live in copyjob's own control table. */
  public JobSpec(
      String name,
      SourceSpec source,
      SinkSpec sink,
      CopySpec copy,
      Mode mode,
      DeltaSpec delta,
      ControlSpec control) {
    this(name, source, sink, copy, mode, delta, control, null);
  }

  /**
   * The connection that reaches {@code root}: the sink's for the sink's bucket or container, the
   * source's for any other root of the source's scheme (several buckets share one control table),
   * else the job's only connection of that kind; null for local files or when there is none (the
   * SDKs' defaults then apply).
   */
  public Connection connectionFor(String root) {
    URI uri = URI.create(root);
    if (tabular != null
        && tabular.faultTolerance().deadLetterConnection() != null
        && sameBucket(uri, tabular.faultTolerance().deadLetter())) {
      return connections.get(tabular.faultTolerance().deadLetterConnection());
    }
    if (sink.connection() != null && sink.root() != null && sameBucket(uri, sink.root())) {
      return connections.get(sink.connection());
    }
    if (source.connection() != null && sameKind(uri, source.root())) {
      return connections.get(source.connection());
    }
    if (sink.connection() != null && sink.root() != null && sameKind(uri, sink.root())) {
      return connections.get(sink.connection());
    }
    List<Connection> ofKind =
        connections.values().stream().filter(c -> Connections.serves(c, uri)).toList();
    return ofKind.size() == 1 ? ofKind.get(0) : null;
  }

  private static boolean sameBucket(URI a, URI b) {
    return sameKind(a, b) && java.util.Objects.equals(a.getAuthority(), b.getAuthority());
  }

  private static boolean sameKind(URI a, URI b) {
    return java.util.Objects.equals(a.getScheme(), b.getScheme());
  }

  /** How a run chooses partitions and files. */
  public enum Mode {
    /** Historical migration: copy the partitions not yet succeeded, every file in them. */
    FULL,
    /** Delta copy: every partition, files whose LastModified is in [last success, run start). */
    DELTA,
    /**
     * Tabular copy of database tables: the first run copies every row, later runs the rows whose
     * watermark column is above the last run's high-water mark.
     */
    INCREMENTAL,
    /**
     * Delta copy in rounds on an unbounded pipeline: every {@code continuous.interval} each
     * partition's files changed since its last success are copied and recorded.
     */
    CONTINUOUS
  }

  /** Where the copied files go below the sink root. */
  public enum CopyBehavior {
    /** The key below the source root is kept below the sink root. */
    PRESERVE_HIERARCHY,
    /** Every file lands directly below the sink root; '/' in its key becomes '_'. */
    FLATTEN_HIERARCHY
  }

  /**
   * @param root the root URI; keys and partition prefixes are relative to it
   * @param partitions the partition prefixes the job file lists (may be empty: then the control
   *     table's rows, or the whole root when it has none)
   */
  public record SourceSpec(URI root, List<String> partitions, String connection)
      implements Serializable {
    public SourceSpec {
      partitions = List.copyOf(partitions);
    }

    /** A source reached with the SDKs' defaults. */
    public SourceSpec(URI root, List<String> partitions) {
      this(root, partitions, null);
    }
  }

  /**
   * @param root the root URI files are written below; null for a tabular job's database sink
   */
  public record SinkSpec(URI root, String connection) implements Serializable {
    /** A sink reached with the SDKs' defaults. */
    public SinkSpec(URI root) {
      this(root, null);
    }
  }

  /**
   * @param behavior preserve or flatten the hierarchy
   * @param recursive whether files below sub-folders of a prefix are copied
   * @param transfersPerWorker how many file transfers one worker keeps in flight
   * @param partitionsInFlight how many partitions are listed at once (ADF's batchCount); 0: up to 8
   *     per worker
   * @param maxRequestsPerSecond a cap on store requests per second per worker process; 0: none
   * @param maxBytesPerSecond a cap on bytes copied per second per worker process; 0: none
   * @param parallelism the runner's parallelism (Flink task slots, direct runner threads); 0: the
   *     runner's default (a remote Flink cluster: all its slots). The command line's wins.
   * @param requestTimeout the longest a request to a store may go without progress (connecting, the
   *     answer's headers, each read or write of a body); whole operations are bounded from it (see
   *     {@code store.RequestTimeouts})
   * @param partSize the bytes of each part (S3) or block (Azure) a large file is written in, and
   *     the largest file written in one request; 0: the stores' own (S3 16 MiB, Azure 8 MiB). A
   *     worker holds one part per transfer in memory. S3 takes parts of at least 5 MiB. Programs
   *     set it (the fault tests cross parts with small files); a job file has no such setting yet.
   */
  public record CopySpec(
      CopyBehavior behavior,
      boolean recursive,
      int transfersPerWorker,
      int partitionsInFlight,
      long maxRequestsPerSecond,
      long maxBytesPerSecond,
      int parallelism,
      Duration requestTimeout,
      int partSize)
      implements Serializable {
    /** What a job file without {@code copy.requestTimeout} gets. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);

    public CopySpec {
      if (partSize < 0) {
        throw new IllegalArgumentException("copy.partSize: must be >= 0, got " + partSize);
      }
    }

    /** With the stores' own part size. */
    public CopySpec(
        CopyBehavior behavior,
        boolean recursive,
        int transfersPerWorker,
        int partitionsInFlight,
        long maxRequestsPerSecond,
        long maxBytesPerSecond,
        int parallelism,
        Duration requestTimeout) {
      this(
          behavior,
          recursive,
          transfersPerWorker,
          partitionsInFlight,
          maxRequestsPerSecond,
          maxBytesPerSecond,
          parallelism,
          requestTimeout,
          0);
    }

    /** This copy's settings with {@code bytes} per part. */
    public CopySpec withPartSize(int bytes) {
      return new CopySpec(
          behavior,
          recursive,
          transfersPerWorker,
          partitionsInFlight,
          maxRequestsPerSecond,
          maxBytesPerSecond,
          parallelism,
          requestTimeout,
          bytes);
    }

    /** Unthrottled, with partitions listed on every worker, at the runner's parallelism. */
    public CopySpec(CopyBehavior behavior, boolean recursive, int transfersPerWorker) {
      this(behavior, recursive, transfersPerWorker, 0, 0, 0, 0);
    }

    public CopySpec(
        CopyBehavior behavior,
        boolean recursive,
        int transfersPerWorker,
        int partitionsInFlight,
        long maxRequestsPerSecond,
        long maxBytesPerSecond,
        int parallelism) {
      this(
          behavior,
          recursive,
          transfersPerWorker,
          partitionsInFlight,
          maxRequestsPerSecond,
          maxBytesPerSecond,
          parallelism,
          DEFAULT_REQUEST_TIMEOUT);
    }

    public CopySpec(
        CopyBehavior behavior,
        boolean recursive,
        int transfersPerWorker,
        int partitionsInFlight,
        long maxRequestsPerSecond,
        long maxBytesPerSecond) {
      this(
          behavior,
          recursive,
          transfersPerWorker,
          partitionsInFlight,
          maxRequestsPerSecond,
          maxBytesPerSecond,
          0);
    }
  }

  /**
   * @param start where a partition's first delta window starts; null: take everything (a field of
   *     type Optional would not be Serializable, and transforms carry these values to workers)
   * @param overlap how much earlier than the previous window's end each next window starts: files
   *     whose LastModified is older than the moment they became visible (an S3 multipart upload is
   *     stamped when it started; {@code mv} and {@code rsync -a} keep old times) are listed then
   * @param interval continuous mode's time between two rounds; null in the other modes
   */
  public record DeltaSpec(Instant start, Duration overlap, Duration interval)
      implements Serializable {
    /**
     * Five minutes: more than the clock skew a store allows (S3 refuses requests 15 minutes off,
     * but NTP keeps clocks within milliseconds) and the time most multipart uploads take, while a
     * file changed in the overlap costs only a HEAD at the sink on the next run.
     */
    public static final Duration DEFAULT_OVERLAP = Duration.ofMinutes(5);

    /** The first window's start, and the default overlap. */
    public DeltaSpec(Instant start) {
      this(start, DEFAULT_OVERLAP);
    }

    /** A delta mode's window settings: no interval. */
    public DeltaSpec(Instant start, Duration overlap) {
      this(start, overlap, null);
    }

    public static DeltaSpec none() {
      return new DeltaSpec(null);
    }

    /** Where a partition's first delta window starts; empty: take everything. */
    public Optional<Instant> initialStart() {
      return Optional.ofNullable(start);
    }
  }

  /**
   * @param url the JDBC URL
   * @param user the user, may be null
   * @param passwordEnv the name of the environment variable holding the password, may be null
   */
  public record ControlSpec(String url, String user, String passwordEnv) implements Serializable {
    /**
     * The store used when the job file names none: an H2 database in {@code .copyjob/} beside the
     * job file. {@code AUTO_SERVER} lets a second process (e.g. {@code copyjob history} during a
     * run) open it while the run holds it.
     */
    public static ControlSpec embeddedIn(Path jobDir) {
      Path database = jobDir.toAbsolutePath().normalize().resolve(".copyjob").resolve("copyjob");
      return new ControlSpec("jdbc:h2:file:" + database + ";AUTO_SERVER=TRUE", null, null);
    }

    /**
     * True when the database runs inside the copyjob process (an H2 file or in-memory database), so
     * there is no server to reach; false for H2 over tcp/ssl and every other database.
     */
    public boolean isEmbedded() {
      return url.startsWith("jdbc:h2:")
          && !url.startsWith("jdbc:h2:tcp:")
          && !url.startsWith("jdbc:h2:ssl:");
    }

    /** The password from the environment, or null. Never logged. */
    public String password() {
      return passwordEnv == null ? null : System.getenv(passwordEnv);
    }
  }

  /**
   * An existing control table, as the Azure Data Factory migration templates define it, read and
   * updated the way those templates do. In full mode a row is {@code (prefix, success)} and a run
   * copies the rows whose success is 0, then sets it to 1; in delta mode a row is {@code (prefix,
   * runTime, success)}, a partition's window starts at its latest successful run time, and every
   * run inserts one row per partition. The names are SQL identifiers, checked when parsed.
   *
   * @param connection the database holding the table
   * @param table the table, optionally schema-qualified ({@code dbo.s3_partition_control_table})
   * @param rootColumn the column naming each partition's root (a bucket or container name, or a
   *     URI), or null when every partition is below {@code source.root}
   */
  public record PartitionTableSpec(
      ControlSpec connection,
      String table,
      String prefixColumn,
      String successColumn,
      String runTimeColumn,
      String rootColumn)
      implements Serializable {}
}
