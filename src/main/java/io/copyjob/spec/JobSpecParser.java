package io.copyjob.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.PartitionTableSpec;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.scanner.ScannerException;

/**
 * Reads a YAML job file into a validated {@link JobSpec}. {@code examples/} shows the format with
 * comments.
 *
 * <p>Every problem is a {@link SpecException} with one line naming the file and the field path
 * ({@code job.yaml: copy.transfersPerWorker: must be between 1 and 1024, got 0}) or, for YAML
 * syntax, the line ({@code job.yaml line 3: mapping values are not allowed here}). Only the first
 * problem is reported. Unknown fields are errors, so a typo never silently falls back to a default.
 */
public final class JobSpecParser {
  static final int MAX_TRANSFERS_PER_WORKER = 1024;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  // A password as a URL property (pgjdbc ?password=, mssql-jdbc ;password=) is a secret in the
  // file.
  static final Pattern URL_PASSWORD = Pattern.compile("(?i)[?&;:](password|pwd)=");

  private static final List<String> JOB_FIELDS =
      List.of(
          "name",
          "connections",
          "source",
          "sink",
          "copy",
          "mode",
          "delta",
          "continuous",
          "control");
  private static final List<String> SOURCE_FIELDS = List.of("root", "partitions", "connection");
  private static final List<String> SINK_FIELDS = List.of("root", "connection");
  private static final List<String> COPY_FIELDS =
      List.of(
          "behavior",
          "recursive",
          "transfersPerWorker",
          "partitionsInFlight",
          "maxRequestsPerSecond",
          "maxBytesPerSecond",
          "parallelism",
          "requestTimeout");
  private static final List<String> DELTA_FIELDS = List.of("initialStart", "overlap");
  private static final List<String> CONTINUOUS_FIELDS = List.of("interval");
  private static final List<String> CONTROL_FIELDS =
      List.of("url", "user", "passwordEnv", "partitionTable");
  private static final List<String> PARTITION_TABLE_FIELDS =
      List.of(
          "url",
          "user",
          "passwordEnv",
          "table",
          "prefixColumn",
          "successColumn",
          "runTimeColumn",
          "rootColumn");
  // Names that are put into SQL text: only plain identifiers, optionally schema-qualified.
  static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  static final Pattern TABLE =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,127}\\.)?[A-Za-z_][A-Za-z0-9_]{0,127}");

  // Duplicate keys would otherwise be resolved silently by "last one wins".
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Path baseDir;

  private JobSpecParser(Path baseDir) {
    this.baseDir = baseDir;
  }

  /**
   * Parses the job file at {@code jobFile}; relative paths in it are resolved against its folder.
   * Messages name the file as given.
   */
  public static JobSpec parse(Path jobFile) {
    String file = jobFile.toString();
    if (Files.isDirectory(jobFile)) {
      throw new SpecException(file + ": is a folder, not a job file");
    }
    String yaml;
    try {
      yaml = Files.readString(jobFile);
    } catch (NoSuchFileException e) {
      throw new SpecException(file + ": no such file");
    } catch (CharacterCodingException e) {
      throw new SpecException(file + ": not UTF-8 text");
    } catch (IOException e) {
      throw new SpecException(file + ": cannot read (" + e.getMessage() + ")");
    }
    return parse(yaml, jobFile.toAbsolutePath().normalize().getParent(), file);
  }

  /**
   * Parses {@code yaml} as if it were the job file {@code fileName} in the folder {@code baseDir}:
   * relative roots and the default control store are placed there, and messages name {@code
   * fileName}.
   */
  public static JobSpec parse(String yaml, Path baseDir, String fileName) {
    Node job = Node.document(fileName, readTree(yaml, fileName));
    return new JobSpecParser(baseDir.toAbsolutePath().normalize()).job(job);
  }

  private static JsonNode readTree(String yaml, String fileName) {
    try (JsonParser parser = YAML.createParser(yaml)) {
      JsonNode tree = YAML.readTree(parser);
      if (tree == null) {
        throw new SpecException(fileName + ": empty job file");
      }
      // A second document (after ---) would otherwise be ignored without a word.
      if (parser.nextToken() != null) {
        throw new SpecException(
            at(fileName, parser.currentTokenLocation()) + "a job file holds one YAML document");
      }
      return tree;
    } catch (JsonProcessingException e) {
      throw new SpecException(at(fileName, e) + shortReason(e));
    } catch (IOException e) {
      throw new SpecException(fileName + ": cannot read (" + e.getMessage() + ")");
    }
  }

  /**
   * The line of the problem. Jackson gives the mark of SnakeYAML's context: for a character the
   * scanner cannot take (a tab), where its scan for the next token began, the end of the line
   * before the character's; there the problem's own mark is the line. For a parser's problem the
   * context's line is the better one: an unclosed '{' is named, not the end of the file.
   */
  private static String at(String fileName, JsonProcessingException e) {
    if (e.getCause() instanceof ScannerException yaml && yaml.getProblemMark() != null) {
      return fileName + " line " + (yaml.getProblemMark().getLine() + 1) + ": ";
    }
    return at(fileName, e.getLocation());
  }

  private static String at(String fileName, JsonLocation location) {
    return location == null || location.getLineNr() < 1
        ? fileName + ": "
        : fileName + " line " + location.getLineNr() + ": ";
  }

  /** SnakeYAML's message spans several lines with a caret drawing; keep only what went wrong. */
  private static String shortReason(JsonProcessingException e) {
    if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblem() != null) {
      // SnakeYAML: "found character '\t(TAB)' that cannot start any token. (Do not use \t(TAB)
      // for indentation)"
      return yaml.getProblem().contains("\\t(TAB)")
          ? "found a tab where YAML allows only spaces for indentation"
          : yaml.getProblem();
    }
    String first = e.getOriginalMessage().lines().findFirst().orElse("").trim();
    // Jackson capitalises ("Duplicate field 'name'"); every other reason here is lower case.
    return first.isEmpty() ? first : Character.toLowerCase(first.charAt(0)) + first.substring(1);
  }

  private JobSpec job(Node job) {
    if (job.get("tables").exists()) {
      return new TabularSpecParser(this).job(job);
    }
    for (String field : TabularSpecParser.TABULAR_ONLY) {
      if (job.get(field).exists()) {
        throw job.get(field).error("only for a tabular job (one with tables:)");
      }
    }
    job.mapping(JOB_FIELDS);
    String name = name(job.get("name"));
    Map<String, Connection> connections = ConnectionParser.connections(job.get("connections"));
    Node sourceNode = job.get("source").mapping(SOURCE_FIELDS);
    SourceSpec source = source(sourceNode);
    source =
        new SourceSpec(
            source.root(),
            source.partitions(),
            ConnectionParser.reference(sourceNode.get("connection"), source.root(), connections));
    Node sinkNode = job.get("sink").mapping(SINK_FIELDS);
    URI sinkRoot = root(sinkNode.get("root"));
    SinkSpec sink =
        new SinkSpec(
            sinkRoot,
            ConnectionParser.reference(sinkNode.get("connection"), sinkRoot, connections));
    if (Roots.overlap(source.root(), sink.root())) {
      throw sinkNode.get("root").error("must not overlap source.root");
    }
    CopySpec copy = copy(job.get("copy").mapping(COPY_FIELDS));
    Mode mode = job.get("mode").oneOf(Mode.FULL, JobSpecs.MODES);
    DeltaSpec delta =
        delta(
            job.get("delta").mapping(DELTA_FIELDS),
            job.get("continuous").mapping(CONTINUOUS_FIELDS),
            mode);
    ControlSpec control = control(job.get("control"));
    PartitionTableSpec partitionTable =
        partitionTable(job.get("control").get("partitionTable"), control);
    if (partitionTable != null && mode == Mode.CONTINUOUS) {
      throw job.get("mode")
          .error(
              "continuous keeps its rounds in copyjob's own partitions table, not in"
                  + " control.partitionTable");
    }
    if (partitionTable != null && !source.partitions().isEmpty()) {
      throw job.get("source")
          .get("partitions")
          .error("not used with control.partitionTable: the partitions are that table's rows");
    }
    return new JobSpec(name, source, sink, copy, mode, delta, control, partitionTable, connections);
  }

  static String name(Node node) {
    String name = node.text();
    if (!NAME.matcher(name).matches()) {
      throw node.error(
          "must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit, got '"
              + name
              + "'");
    }
    return name;
  }

  private SourceSpec source(Node node) {
    URI root = root(node.get("root"));
    List<String> partitions = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Node element : node.get("partitions").elements()) {
      String prefix = element.textAllowingEmpty();
      if (prefix.startsWith("/")) {
        throw element.error(
            "must not start with '/' (a prefix is relative to source.root), got '" + prefix + "'");
      }
      if (!seen.add(prefix)) {
        throw element.error("duplicate partition '" + prefix + "'");
      }
      partitions.add(prefix);
    }
    return new SourceSpec(root, partitions);
  }

  URI root(Node node) {
    String text = node.text();
    try {
      return Roots.resolve(text, baseDir);
    } catch (IllegalArgumentException e) {
      throw node.error(e.getMessage());
    }
  }

  static CopySpec copy(Node node) {
    CopyBehavior behavior =
        node.get("behavior").oneOf(CopyBehavior.PRESERVE_HIERARCHY, JobSpecs.BEHAVIORS);
    boolean recursive = node.get("recursive").bool(true);
    int transfers = node.get("transfersPerWorker").intBetween(16, 1, MAX_TRANSFERS_PER_WORKER);
    int partitionsInFlight = node.get("partitionsInFlight").intBetween(0, 0, 100_000);
    long requests = node.get("maxRequestsPerSecond").intBetween(0, 0, 1_000_000);
    long bytes = Sizes.bytes(node.get("maxBytesPerSecond"));
    int parallelism = node.get("parallelism").intBetween(0, 0, 100_000);
    Duration requestTimeout =
        Durations.duration(
            node.get("requestTimeout"),
            CopySpec.DEFAULT_REQUEST_TIMEOUT,
            Duration.ofMillis(100),
            Duration.ofHours(1));
    return new CopySpec(
        behavior,
        recursive,
        transfers,
        partitionsInFlight,
        requests,
        bytes,
        parallelism,
        requestTimeout);
  }

  private static DeltaSpec delta(Node node, Node continuous, Mode mode) {
    boolean windowed = mode == Mode.DELTA || mode == Mode.CONTINUOUS;
    Node startNode = node.get("initialStart");
    Optional<Instant> start = startNode.optText().map(text -> instant(startNode, text));
    if (start.isPresent() && !windowed) {
      throw startNode.error("only used with mode delta or continuous");
    }
    Node overlapNode = node.get("overlap");
    if (overlapNode.isPresent() && !windowed) {
      throw overlapNode.error("only used with mode delta or continuous");
    }
    Node intervalNode = continuous.get("interval");
    Duration interval = null;
    if (mode == Mode.CONTINUOUS) {
      if (!intervalNode.isPresent()) {
        throw intervalNode.error("required with mode continuous (e.g. 1m)");
      }
      interval = Durations.duration(intervalNode, null, Duration.ofSeconds(1), Duration.ofDays(1));
    } else if (continuous.isPresent()) {
      throw continuous.error("only used with mode continuous");
    }
    Duration overlap =
        Durations.duration(
            overlapNode, DeltaSpec.DEFAULT_OVERLAP, Duration.ZERO, Duration.ofDays(30));
    return new DeltaSpec(start.orElse(null), overlap, interval);
  }

  /** An ISO-8601 instant, or a date meaning its midnight UTC. */
  private static Instant instant(Node node, String text) {
    try {
      return text.contains("T")
          ? Instant.parse(text)
          : LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeException e) {
      throw node.error(
          "must be an instant like 2019-01-01T00:00:00Z or a date like 2019-01-01, got '"
              + text
              + "'");
    }
  }

  ControlSpec control(Node node) {
    // Checked before the unknown-field check so the message says what to do instead.
    if (node.get("password").exists()) {
      throw node.get("password")
          .error(
              "not allowed in a job file; name an environment variable with control.passwordEnv");
    }
    node.mapping(CONTROL_FIELDS);
    Node url = node.get("url");
    return new ControlSpec(
        url.optText()
            .map(text -> checkedUrl(url, text))
            .orElseGet(() -> ControlSpec.embeddedIn(baseDir).url()),
        node.get("user").optText().orElse(null),
        passwordEnvOrNull(node.get("passwordEnv")));
  }

  /** An existing (Azure Data Factory) control table; null when the job file names none. */
  private PartitionTableSpec partitionTable(Node node, ControlSpec control) {
    if (!node.isPresent()) {
      return null;
    }
    if (node.get("password").exists()) {
      throw node.get("password")
          .error(
              "not allowed in a job file; name an environment variable with"
                  + " control.partitionTable.passwordEnv");
    }
    node.mapping(PARTITION_TABLE_FIELDS);
    Node url = node.get("url");
    ControlSpec connection =
        url.isPresent()
            ? new ControlSpec(
                checkedUrl(url, url.text()),
                node.get("user").optText().orElse(null),
                passwordEnvOrNull(node.get("passwordEnv")))
            : control;
    Node table = node.get("table");
    if (!TABLE.matcher(table.text()).matches()) {
      throw table.error("must be a table name like s3_partition_control_table or dbo.name");
    }
    return new PartitionTableSpec(
        connection,
        table.text(),
        identifier(node.get("prefixColumn"), "PartitionPrefix"),
        identifier(node.get("successColumn"), "SuccessOrFailure"),
        identifier(node.get("runTimeColumn"), "JobRunTime"),
        node.get("rootColumn").isPresent() ? identifier(node.get("rootColumn"), null) : null);
  }

  private static String identifier(Node node, String defaultValue) {
    String name = node.optText().orElse(defaultValue);
    if (!IDENTIFIER.matcher(name).matches()) {
      throw node.error("must be a column name (letters, digits and '_'), got '" + name + "'");
    }
    return name;
  }

  // The URL is not echoed in these messages: it may hold credentials.
  static String checkedUrl(Node node, String url) {
    if (!url.startsWith("jdbc:")) {
      throw node.error("must be a JDBC URL starting with 'jdbc:'");
    }
    if (URL_PASSWORD.matcher(url).find()) {
      throw node.error(
          "must not hold a password; name an environment variable with control.passwordEnv");
    }
    return url;
  }

  static String passwordEnvOrNull(Node node) {
    Optional<String> name = node.optText();
    if (name.isPresent() && !ENV_NAME.matcher(name.get()).matches()) {
      // Not echoed: a value that is no variable name may be the password itself.
      throw node.error(
          "must be the name of an environment variable (letters, digits and '_'), not a password");
    }
    return name.orElse(null);
  }
}
