package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.copyjob.control.RunRecord;
import io.copyjob.control.RunStatus;
import io.copyjob.spec.JobSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.Test;

/**
 * Many small files of one table into Azure Data Explorer (through the real ingest SDK up to
 * Azurite): they are grouped in key order into pieces of at most the table's {@code batchSize} of
 * listed bytes, so a handful of ingestions carry them, not one per file; every row arrives once,
 * named by its own file; a rerun of the load sends the same groups under the same tags.
 */
public class KustoSmallFilesTest extends KustoTestBase {
  private static final int FILES = 200;
  private static final int ROWS = 200;
  private static final long BATCH = 1L << 20;

  /** An unmapped note pads the source, so a group's batch (smaller than its files) is one blob. */
  private static final String TABLES =
      "tables:\n"
          + "  orders:\n"
          + "    files: orders/\n"
          + "    target: Orders\n"
          + "    batchSize: 1MiB\n"
          + "    columns:\n"
          + "      - {source: id, sink: Id, type: bigint}\n"
          + "      - {source: amount, sink: Amount, type: 'decimal(12,2)'}\n"
          + "      - {constant: $fileName, sink: SourceFile}\n";

  private static String name(int file) {
    return String.format("f%03d.csv", file);
  }

  /** Puts the files; their sizes, in key order. */
  private List<Long> putFiles() throws Exception {
    List<Long> sizes = new ArrayList<>();
    for (int f = 0; f < FILES; f++) {
      StringBuilder csv = new StringBuilder("id,amount,note\n");
      for (int r = 0; r < ROWS; r++) {
        csv.append(f * 1000 + r)
            .append(",1.5,")
            .append("some words that are not copied ".repeat(1 + (f + r) % 3))
            .append('\n');
      }
      byte[] bytes = csv.toString().getBytes(StandardCharsets.UTF_8);
      put("exports/orders/" + name(f), bytes);
      sizes.add((long) bytes.length);
    }
    return sizes;
  }

  /** The groups' sizes in files: files in key order up to {@link #BATCH} listed bytes each. */
  private static List<Integer> groups(List<Long> sizes) {
    List<Integer> groups = new ArrayList<>();
    int files = 0;
    long bytes = 0;
    for (long size : sizes) {
      if (files > 0 && bytes + size > BATCH) {
        groups.add(files);
        files = 0;
        bytes = 0;
      }
      files++;
      bytes += size;
    }
    groups.add(files);
    return groups;
  }

  private static String tag(JsonNode message) throws Exception {
    return JSON.readTree(property(message).path("ingestIfNotExists").asText()).get(0).asText();
  }

  @Test
  public void smallFilesShareBatchesAndEveryRowArrivesOnceNamedByItsFile() throws Exception {
    List<Long> sizes = putFiles();
    List<Integer> groups = groups(sizes);
    assertThat(groups.size()).isBetween(3, 6); // about 3.4 MB listed, in 1 MiB groups

    RunRecord run = run(job(TABLES), false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(kusto.messageCount()).isEqualTo(groups.size());
    List<JsonNode> messages = kusto.messages();
    assertThat(messages).hasSize(groups.size());
    Set<Long> ids = new HashSet<>();
    Set<String> tags = new HashSet<>();
    List<Integer> rowsPerMessage = new ArrayList<>();
    for (JsonNode m : messages) {
      assertThat(tags.add(tag(m))).as(tag(m)).isTrue();
      assertThat(tag(m)).startsWith("copyjob/tab-" + id + "/orders/" + run.runId() + "/");
      assertThat(tag(m)).endsWith("/0"); // one batch per group
      String[] lines = kusto.blobText(m).split("\n");
      rowsPerMessage.add(lines.length);
      for (String line : lines) {
        String[] fields = line.split(",");
        long rowId = Long.parseLong(fields[0]);
        assertThat(ids.add(rowId)).as("row %s twice", rowId).isTrue();
        assertThat(fields[1]).isEqualTo("1.50"); // decimal(12,2)
        assertThat(fields[2]).isEqualTo(name((int) (rowId / 1000)));
      }
    }
    assertThat(ids).hasSize(FILES * ROWS);
    List<Integer> expectedRows = new ArrayList<>();
    for (int files : groups) {
      expectedRows.add(files * ROWS);
    }
    assertThat(rowsPerMessage).containsExactlyInAnyOrderElementsOf(expectedRows);
    // Counted per file, as ever: every file loaded, with its bytes.
    assertThat(run.totals().filesCopied()).isEqualTo(FILES);
    assertThat(run.totals().rowsWritten()).isEqualTo(FILES * ROWS);
    assertThat(run.totals().bytesCopied())
        .isEqualTo(sizes.stream().mapToLong(Long::longValue).sum());
  }

  @Test
  public void aFileThatFailsFailsItsGroupAndARerunSendsTheSameGroupsUnderTheSameTags()
      throws Exception {
    List<Long> sizes = putFiles();
    // Last in key order: it joins the last group, and its bad row fails that group as a whole.
    String bad = "id,amount,note\n999001,1.5,x\n999002,not a number,x\n";
    put("exports/orders/z-bad.csv", bad);
    sizes.add((long) bad.getBytes(StandardCharsets.UTF_8).length);
    List<Integer> groups = groups(sizes);
    JobSpec spec = job(TABLES);

    RunRecord first = run(spec, false);

    assertThat(first.status()).isEqualTo(RunStatus.FAILED);
    assertThat(first.error()).contains("orders/z-bad.csv line 3").doesNotContain(" more file");
    // The failed group queued nothing: none of its rows is half sent.
    List<JsonNode> sent = kusto.messages();
    assertThat(sent).hasSize(groups.size() - 1);
    List<String> firstTags = new ArrayList<>();
    for (JsonNode m : sent) {
      firstTags.add(tag(m));
      assertThat(kusto.blobText(m)).doesNotContain(",z-bad.csv");
    }

    RunRecord rerun = run(spec, true);

    assertThat(rerun.status()).isEqualTo(RunStatus.FAILED);
    List<String> tags = new ArrayList<>();
    for (JsonNode m : kusto.messages()) {
      tags.add(tag(m));
    }
    // The same groups again, under the first run's tags: the cluster drops them.
    assertThat(tags).hasSize(2 * firstTags.size());
    assertThat(tags.subList(firstTags.size(), tags.size()))
        .containsExactlyInAnyOrderElementsOf(firstTags);
    assertThat(new HashSet<>(firstTags)).hasSize(firstTags.size());
  }

  @Test
  public void eachRowOfAGroupIsNamedByItsOwnFileInTheBatchAndTheDeadLetter() throws Exception {
    put("exports/orders/a.csv", "id,amount,note\n1,1.5,x\n2,bad,x\n");
    put("exports/orders/b.csv", "id,amount,note\n3,2.5,x\n4,worse,x\n5,3,x\n");
    String deadLetter = "s3://" + bucket + "/rejected/";
    JobSpec spec =
        job(
            TABLES
                + "faultTolerance: {skipIncompatibleRows: true, deadLetter: '"
                + deadLetter
                + "', connection: s3}\n");

    RunRecord run = run(spec, false);

    assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.SUCCEEDED);
    List<JsonNode> messages = kusto.messages();
    assertThat(messages).hasSize(1); // one group, one batch
    assertThat(kusto.blobText(messages.get(0)))
        .isEqualTo("1,1.50,a.csv\n3,2.50,b.csv\n5,3.00,b.csv\n");
    String rejected = String.join("", read(deadLetter, ""));
    assertThat(rejected.lines())
        .hasSize(2)
        .anySatisfy(
            l -> assertThat(l).contains("orders/a.csv\"", "\"line\":3", "\"value\":\"bad\""))
        .anySatisfy(
            l -> assertThat(l).contains("orders/b.csv\"", "\"line\":3", "\"value\":\"worse\""));
    assertThat(run.totals().rowsRejected()).isEqualTo(2);
    assertThat(run.totals().filesCopied()).isEqualTo(2);
  }
}
