package io.copyjob.pipeline;

import io.copyjob.control.ControlStore;
import io.copyjob.control.RunRecord;
import io.copyjob.spec.Connection;
import io.copyjob.spec.JobSpec;
import io.copyjob.spec.JobSpec.ControlSpec;
import io.copyjob.spec.JobSpec.CopyBehavior;
import io.copyjob.spec.JobSpec.CopySpec;
import io.copyjob.spec.JobSpec.DeltaSpec;
import io.copyjob.spec.JobSpec.Mode;
import io.copyjob.spec.JobSpec.SinkSpec;
import io.copyjob.spec.JobSpec.SourceSpec;
import io.copyjob.store.hadoop.MiniHdfs;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * scripts/bench/hdfs-sum: an HDFS -> HDFS copy (two folders of a MiniDFSCluster in this JVM) of $1
 * files of 8 MiB written in 4 MiB blocks, then a rerun that finds every file there, verified by the
 * file checksums (the sink writes in the source's block size) and by MD5 (the sink's connection
 * sets 2 MiB blocks), alternately, twice each. Prints wall and CPU seconds (this JVM: the cluster's
 * too) and the load average. Not a test: performance is measured here only.
 */
public final class HdfsChecksumBench {
  private static final int SIZE = 8 << 20;
  private static final int BLOCK = 4 << 20;

  private HdfsChecksumBench() {}

  public static void main(String[] args) throws Throwable {
    int files = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    MiniHdfs hdfs = new MiniHdfs();
    hdfs.apply(
            new Statement() {
              @Override
              public void evaluate() throws Throwable {
                bench(hdfs, files);
              }
            },
            Description.EMPTY)
        .evaluate();
  }

  private static void bench(MiniHdfs hdfs, int files) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    URI source = hdfs.root("hdfs", "sum-bench-" + id + "/source");
    Connection.Hadoop writer = MiniHdfs.connection("source", BLOCK);
    Configuration conf = new Configuration();
    writer.conf().forEach(conf::set);
    try (FileSystem fs = FileSystem.newInstance(source, conf)) {
      byte[] data = new byte[SIZE];
      for (int i = 0; i < files; i++) {
        new Random(i).nextBytes(data);
        try (OutputStream out = fs.create(new Path(source + String.format("p/f%04d.bin", i)))) {
          out.write(data);
        }
      }
    }
    System.out.printf("dataset: %d files x %d MiB in blocks of %d MiB%n", files, SIZE >> 20, 4);
    for (int round = 1; round <= 2; round++) {
      for (boolean sums : new boolean[] {true, false}) {
        String name = (sums ? "checksums" : "md5") + "-" + round;
        URI sink = hdfs.root("hdfs", "sum-bench-" + id + "/" + name);
        // No block size at the sink: it takes the source's, and the checksums compare.
        Connection.Hadoop to = MiniHdfs.connection("sink", sums ? 0 : 2 << 20);
        JobSpec spec = spec(id + "-" + name, source, writer, sink, to);
        long bytes = (long) files * SIZE;
        measure(name + " copy", bytes, () -> DeltaWindowsTest.run(spec, Clock.systemUTC()));
        try (ControlStore control = ControlStore.open(spec.control())) {
          control.resetPartitions(spec.name(), List.of());
        }
        measure(name + " rerun", bytes, () -> DeltaWindowsTest.run(spec, Clock.systemUTC()));
      }
    }
  }

  private static JobSpec spec(
      String name, URI source, Connection.Hadoop from, URI sink, Connection.Hadoop to)
      throws Exception {
    Map<String, Connection> connections = new LinkedHashMap<>();
    connections.put(from.name(), from);
    connections.put(to.name(), to);
    return new JobSpec(
        "sum-bench-" + name,
        new SourceSpec(source, List.of("p"), from.name()),
        new SinkSpec(sink, to.name()),
        new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, 8),
        Mode.FULL,
        DeltaSpec.none(),
        new ControlSpec(
            "jdbc:h2:file:" + Files.createTempDirectory("sum-bench").resolve("control"),
            null,
            null),
        null,
        connections);
  }

  private interface Run {
    RunRecord run() throws Exception;
  }

  private static void measure(String what, long bytes, Run run) throws Exception {
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    String load = Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
    long cpu = os.getProcessCpuTime();
    long start = System.nanoTime();
    RunRecord record = run.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "%-18s %6.1f s %6.1f CPU-s %6.1f MiB/s  load %s  %s %s%n",
        what,
        seconds,
        (os.getProcessCpuTime() - cpu) / 1e9,
        bytes / seconds / (1 << 20),
        load,
        record.status(),
        record.totals());
  }
}
