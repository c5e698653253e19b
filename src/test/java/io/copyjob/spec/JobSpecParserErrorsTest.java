package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/** Each invalid job file and the exact one-line message it gets. */
@RunWith(Parameterized.class)
public class JobSpecParserErrorsTest {
  private static final String SOURCE = "source:\n  root: file:///data/src/\n";
  private static final String SINK = "sink:\n  root: file:///data/dst/\n";
  private static final String VALID = "name: j\n" + SOURCE + SINK;

  @Parameters(name = "{index}: {1}")
  public static List<Object[]> cases() {
    return List.of(
        row("", "job.yaml: empty job file"),
        row("# nothing but a comment\n", "job.yaml: empty job file"),
        row(
            "name: j\nsource:\n  root: a\n   partitions: [a]\n",
            "job.yaml line 4: mapping values are not allowed here"),
        row(
            "name: j\nsource: {root: a\n",
            "job.yaml line 2: expected ',' or '}', but got <stream end>"),
        // A tab indents nothing in YAML; the line named is the tab's own.
        row(
            "name: j\nsource:\n\troot: a\n" + SINK,
            "job.yaml line 3: found a tab where YAML allows only spaces for indentation"),
        row(
            "name: j\nsource:\n  root: a\n  partitions:\n  \t- a\n" + SINK,
            "job.yaml line 5: found a tab where YAML allows only spaces for indentation"),
        row("name: a\nname: b\n", "job.yaml line 2: duplicate field 'name'"),
        row(VALID + "---\nname: k\n", "job.yaml line 7: a job file holds one YAML document"),
        row(
            "- name: j\n",
            "job.yaml: must be a mapping with the fields"
                + " name, connections, source, sink, copy, mode, delta, continuous, control, got a list"),
        row(SOURCE + SINK, "job.yaml: name: required"),
        row(
            "name: my job\n" + SOURCE + SINK,
            "job.yaml: name: must be 1 to 100 letters, digits, '.', '_' or '-',"
                + " starting with a letter or digit, got 'my job'"),
        row(
            "name: j\nsourse:\n  root: a\n" + SINK,
            "job.yaml: unknown field 'sourse' (did you mean 'source'?)"),
        row(
            "name: j\nsource:\n  rooot: a\n" + SINK,
            "job.yaml: source: unknown field 'rooot' (did you mean 'root'?)"),
        row(
            VALID + "colour: red\n",
            "job.yaml: unknown field 'colour'"
                + " (known fields: name, connections, source, sink, copy, mode, delta, continuous, control)"),
        row(
            VALID + "copy:\n  transfers_per_worker: 8\n",
            "job.yaml: copy: unknown field 'transfers_per_worker'"
                + " (did you mean 'transfersPerWorker'?)"),
        row("name: j\n" + SINK, "job.yaml: source.root: required"),
        row(
            "name: j\nsource: /data/src\n" + SINK,
            "job.yaml: source: must be a mapping with the fields root, partitions, connection,"
                + " got '/data/src'"),
        row("name: j\n" + SOURCE + "sink:\n  root:\n", "job.yaml: sink.root: required"),
        row(
            "name: j\n" + SOURCE + "sink:\n  root: [a, b]\n",
            "job.yaml: sink.root: must be a string, got a list"),
        row(
            "name: j\n" + SOURCE + "sink:\n  root: ftp://host/dst/\n",
            "job.yaml: sink.root: unsupported scheme 'ftp:';"
                + " use file:, s3:, azfs:, abfss:, https:, http:, hdfs:, webhdfs:, swebhdfs:, adl:,"
                + " viewfs:, o3fs:, ofs: or a path"),
        row(
            "name: j\n" + SOURCE + "sink:\n  root: file://data/dst/\n",
            "job.yaml: sink.root: file: URI names host 'data';"
                + " write a local folder with three slashes, e.g. file:///data/src/"),
        row(
            "name: j\n" + SOURCE + "sink:\n  root: s3:///dst/\n",
            "job.yaml: sink.root: must name a bucket, account or host, e.g. s3://NAME/path/"),
        row(
            "name: j\n" + SOURCE + "sink:\n  root: https://acct.blob.example/c?sig=abc\n",
            "job.yaml: sink.root: must not have a query (?…) or fragment (#…)"),
        row(
            "name: j\n" + SOURCE + "sink:\n  root: file:///data/src/sub\n",
            "job.yaml: sink.root: must not overlap source.root"),
        row(
            "name: j\n" + SOURCE + "sink:\n  root: /data\n",
            "job.yaml: sink.root: must not overlap source.root"),
        row(
            "name: j\nsource:\n  root: s3://b/x/\n" + "sink:\n  root: s3://B/x/y/../\n",
            "job.yaml: sink.root: must not overlap source.root"),
        row(
            "name: j\nsource:\n  root: a\n  partitions: a\n" + SINK,
            "job.yaml: source.partitions: must be a list, got 'a'"),
        row(
            "name: j\nsource:\n  root: a\n  partitions: [a, /b]\n" + SINK,
            "job.yaml: source.partitions[1]: must not start with '/'"
                + " (a prefix is relative to source.root), got '/b'"),
        row(
            "name: j\nsource:\n  root: a\n  partitions: [a, b, a]\n" + SINK,
            "job.yaml: source.partitions[2]: duplicate partition 'a'"),
        row(
            "name: j\nsource:\n  root: a\n  partitions: [a, 2019]\n" + SINK,
            "job.yaml: source.partitions[1]: must be a string, got '2019'; put it in quotes"),
        row(
            "name: j\nsource:\n  root: a\n  partitions: [a, ~]\n" + SINK,
            "job.yaml: source.partitions[1]: must be a string, got nothing"),
        row(
            VALID + "copy:\n  behavior: flatten\n",
            "job.yaml: copy.behavior: must be one of preserveHierarchy, flattenHierarchy,"
                + " got 'flatten'"),
        row(
            VALID + "copy:\n  recursive: maybe\n",
            "job.yaml: copy.recursive: must be true or false"),
        row(
            VALID + "copy:\n  transfersPerWorker: 0\n",
            "job.yaml: copy.transfersPerWorker: must be between 1 and 1024, got 0"),
        row(
            VALID + "copy:\n  transfersPerWorker: 99999999999\n",
            "job.yaml: copy.transfersPerWorker: must be between 1 and 1024, got 99999999999"),
        row(
            VALID + "copy:\n  transfersPerWorker: 1.5\n",
            "job.yaml: copy.transfersPerWorker: must be a whole number, got '1.5'"),
        row(
            VALID + "copy:\n  transfersPerWorker: '8'\n",
            "job.yaml: copy.transfersPerWorker: must be a whole number, got '8'"),
        row(
            VALID + "copy: fast\n",
            "job.yaml: copy: must be a mapping with the fields"
                + " behavior, recursive, transfersPerWorker, partitionsInFlight,"
                + " maxRequestsPerSecond, maxBytesPerSecond, parallelism, requestTimeout,"
                + " got 'fast'"),
        row(
            VALID + "copy:\n  maxBytesPerSecond: fast\n",
            "job.yaml: copy.maxBytesPerSecond: must be a size like 104857600, 100MB or 1.5GiB,"
                + " got 'fast'"),
        row(
            VALID + "copy:\n  requestTimeout: 30\n",
            "job.yaml: copy.requestTimeout: must be a duration like 500ms, 30s, 5m, 2h or PT5M,"
                + " got '30'"),
        row(
            VALID + "copy:\n  requestTimeout: 10ms\n",
            "job.yaml: copy.requestTimeout: must be between 100ms and 1h, got '10ms'"),
        row(
            VALID + "copy:\n  partitionsInFlight: -1\n",
            "job.yaml: copy.partitionsInFlight: must be between 0 and 100000, got -1"),
        row(
            VALID + "mode: incremental\n",
            "job.yaml: mode: must be one of full, delta, continuous, got 'incremental'"),
        row(
            VALID + "mode: continuous\n",
            "job.yaml: continuous.interval: required with mode continuous (e.g. 1m)"),
        row(
            VALID + "mode: continuous\ncontinuous:\n  interval: 500ms\n",
            "job.yaml: continuous.interval: must be between 1s and 24h, got '500ms'"),
        row(
            VALID + "mode: delta\ncontinuous:\n  interval: 1m\n",
            "job.yaml: continuous: only used with mode continuous"),
        row(
            VALID + "mode: continuous\ncontinuous:\n  every: 1m\n",
            "job.yaml: continuous: unknown field 'every' (known fields: interval)"),
        row(
            VALID + "mode: delta\ndelta:\n  initialStart: 2019-13-01\n",
            "job.yaml: delta.initialStart: must be an instant like 2019-01-01T00:00:00Z"
                + " or a date like 2019-01-01, got '2019-13-01'"),
        row(
            VALID + "mode: delta\ndelta:\n  initialStart: 2019-01-01T00:00:00\n",
            "job.yaml: delta.initialStart: must be an instant like 2019-01-01T00:00:00Z"
                + " or a date like 2019-01-01, got '2019-01-01T00:00:00'"),
        row(
            VALID + "delta:\n  initialStart: 2019-01-01\n",
            "job.yaml: delta.initialStart: only used with mode delta or continuous"),
        row(
            VALID + "delta:\n  overlap: 5m\n",
            "job.yaml: delta.overlap: only used with mode delta or continuous"),
        row(
            VALID + "mode: delta\ndelta:\n  overlap: 300\n",
            "job.yaml: delta.overlap: must be a duration like 500ms, 30s, 5m, 2h or PT5M, got '300'"),
        row(
            VALID + "mode: delta\ndelta:\n  overlap: 31d\n",
            "job.yaml: delta.overlap: must be between 0s and 720h, got '31d'"),
        row(
            VALID + "control:\n  url: postgresql://db/copyjob\n",
            "job.yaml: control.url: must be a JDBC URL starting with 'jdbc:'"),
        row(
            VALID + "control:\n  url: jdbc:postgresql://db/copyjob?user=c&password=s3cret\n",
            "job.yaml: control.url: must not hold a password;"
                + " name an environment variable with control.passwordEnv"),
        row(
            VALID + "control:\n  user: copyjob\n  password: s3cret\n",
            "job.yaml: control.password: not allowed in a job file;"
                + " name an environment variable with control.passwordEnv"),
        row(
            VALID + "control:\n  passwordEnv: s3cret!\n",
            "job.yaml: control.passwordEnv: must be the name of an environment variable"
                + " (letters, digits and '_'), not a password"),
        row(
            VALID + "connections:\n  aws:\n    type: s3\n    secretAccessKey: abc\n",
            "job.yaml: connections.aws.secretAccessKey: not allowed in a job file; name an"
                + " environment variable with secretAccessKeyEnv"),
        row(
            VALID + "connections:\n  lake:\n    type: azure\n    accountKey: abc\n",
            "job.yaml: connections.lake.accountKey: not allowed in a job file; name an"
                + " environment variable with accountKeyEnv"),
        row(
            VALID + "connections:\n  x:\n    type: gcs\n",
            "job.yaml: connections.x.type: must be one of s3, azure, kusto, hadoop, got 'gcs'"),
        row(
            "name: j\nconnections:\n  gen1:\n    type: hadoop\n    conf:\n"
                + "      fs.adl.oauth2.credential: s3cr3t-value\n"
                + SOURCE
                + SINK,
            "job.yaml: connections.gen1.conf.fs.adl.oauth2.credential: holds a secret, not allowed"
                + " in a job file; name an environment variable with confEnv:"
                + " {fs.adl.oauth2.credential: VARIABLE}"),
        row(
            "name: j\nconnections:\n  gen1:\n    type: hadoop\n    confEnv:\n"
                + "      fs.adl.oauth2.credential: s3cr3t/value==\n"
                + SOURCE
                + SINK,
            "job.yaml: connections.gen1.confEnv.fs.adl.oauth2.credential: must be the name of an"
                + " environment variable (letters, digits and '_'), not a secret"),
        row(
            "name: j\nconnections:\n  nn:\n    type: hadoop\n"
                + "    kerberosPrincipal: etl@EXAMPLE.COM\n"
                + SOURCE
                + SINK,
            "job.yaml: connections.nn: kerberosPrincipal and kerberosKeytab go together"),
        row(
            "name: j\nconnections:\n  nn:\n    type: hadoop\n"
                + SOURCE
                + "sink:\n  root: file:///data/dst/\n  connection: nn\n",
            "job.yaml: sink.connection: connection 'nn' is not for file: roots"),
        row(
            VALID + "connections:\n  aws:\n    type: s3\n    accessKeyIdEnv: K\n",
            "job.yaml: connections.aws: accessKeyIdEnv and secretAccessKeyEnv go together"),
        row(
            VALID
                + "connections:\n  lake:\n    type: azure\n    accountKeyEnv: K\n"
                + "    sasTokenEnv: S\n",
            "job.yaml: connections.lake: give one of accountKeyEnv, sasTokenEnv,"
                + " connectionStringEnv"),
        row(
            VALID + "connections:\n  aws:\n    type: s3\n    endpoint: ftp://x\n",
            "job.yaml: connections.aws.endpoint: must be an http or https URL without a query,"
                + " got 'ftp://x'"),
        row(
            "name: j\nsource:\n  root: s3://b/\n  connection: aws\n" + SINK,
            "job.yaml: source.connection: no connection 'aws'"),
        row(
            "name: j\nconnections:\n  aws:\n    type: s3\n"
                + "source:\n  root: azfs://acct/c/\n  connection: aws\n"
                + SINK,
            "job.yaml: source.connection: connection 'aws' is not for azfs: roots"),
        row(
            VALID + "control:\n  partitionTable:\n    prefixColumn: PartitionPrefix\n",
            "job.yaml: control.partitionTable.table: required"),
        row(
            VALID + "control:\n  partitionTable:\n    table: \"t; DROP TABLE x\"\n",
            "job.yaml: control.partitionTable.table: must be a table name like"
                + " s3_partition_control_table or dbo.name"),
        row(
            VALID + "control:\n  partitionTable:\n    table: t\n    prefixColumn: \"a b\"\n",
            "job.yaml: control.partitionTable.prefixColumn: must be a column name (letters, digits"
                + " and '_'), got 'a b'"),
        row(
            VALID + "control:\n  partitionTable:\n    table: t\n    password: x\n",
            "job.yaml: control.partitionTable.password: not allowed in a job file; name an"
                + " environment variable with control.partitionTable.passwordEnv"),
        row(
            "name: j\nsource:\n  root: file:///data/src/\n  partitions: [a]\n"
                + SINK
                + "control:\n  partitionTable:\n    table: t\n",
            "job.yaml: source.partitions: not used with control.partitionTable: the partitions"
                + " are that table's rows"));
  }

  @Parameter(0)
  public String yaml;

  @Parameter(1)
  public String message;

  @Test
  public void refusesWithExactMessage() {
    assertThatThrownBy(() -> JobSpecParser.parse(yaml, Path.of("/jobs"), "job.yaml"))
        .isInstanceOf(SpecException.class)
        .hasMessage(message);
  }

  private static Object[] row(String yaml, String message) {
    return new Object[] {yaml, message};
  }
}
