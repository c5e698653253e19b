package io.copyjob.pipeline;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.common.StorageSharedKeyCredential;
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
import io.copyjob.store.AzuriteServer;
import io.copyjob.store.hadoop.MiniHdfs;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.IOUtils;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * scripts/bench/hdfs: how fast copyjob copies HDFS -> Azurite (a MiniDFSCluster in this JVM, the
 * shared Azurite), dataset A's shape (1,000 x 1 MiB over 5 prefixes, or $1 files), against the same
 * files streamed with the Hadoop API alone: read to nowhere (the source's ceiling, `hdfs dfs
 * -cat`), and read into Blob SDK uploads (an `hdfs dfs -cp`-style copy), 16 at a time as copyjob's
 * transfers. Not a test: performance is measured here only.
 */
public final class HdfsCopyBench {
  private static final int THREADS = 16;

  private HdfsCopyBench() {}

  public static void main(String[] args) throws Throwable {
    int files = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int size = 1 << 20;
    MiniHdfs hdfs = new MiniHdfs();
    hdfs.apply(
            new Statement() {
              @Override
              public void evaluate() throws Throwable {
                bench(hdfs, files, size);
              }
            },
            Description.EMPTY)
        .evaluate();
  }

  private static void bench(MiniHdfs hdfs, int files, int size) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    URI root = hdfs.root("hdfs", "bench-" + id);
    Connection.Hadoop cluster = MiniHdfs.connection("cluster");
    Configuration conf = new Configuration();
    cluster.conf().forEach(conf::set);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      keys.add(String.format("p%d/file-%04d.bin", i % 5, i));
    }
    long bytes = (long) files * size;
    try (FileSystem fs = FileSystem.newInstance(root, conf)) {
      parallel(
          keys,
          key -> {
            byte[] data = new byte[size];
            new Random(key.hashCode()).nextBytes(data);
            try (OutputStream out = fs.create(new Path(root + key))) {
              out.write(data);
            }
          });
      System.out.printf("dataset: %d files x %d bytes in %s%n", files, size, root);

      // copyjob: the real pipeline, DirectRunner, H2 control store.
      Connection.Azure lake = AzuriteServer.connection("lake", true);
      String sink = "azfs://devstoreaccount1/bench-hdfs-" + id + "/";
      java.nio.file.Path control = Files.createTempDirectory("hdfs-bench");
      Map<String, Connection> connections = new LinkedHashMap<>();
      connections.put("cluster", cluster);
      connections.put("lake", lake);
      JobSpec spec =
          new JobSpec(
              "hdfs-bench-" + id,
              new SourceSpec(root, List.of("p0", "p1", "p2", "p3", "p4"), "cluster"),
              new SinkSpec(URI.create(sink), "lake"),
              new CopySpec(CopyBehavior.PRESERVE_HIERARCHY, true, THREADS),
              Mode.FULL,
              DeltaSpec.none(),
              new ControlSpec("jdbc:h2:file:" + control.resolve("control"), null, null),
              null,
              connections);
      long start = System.nanoTime();
      RunRecord run = DeltaWindowsTest.run(spec, Clock.systemUTC());
      report("copyjob hdfs -> azurite", bytes, start, run.status() + ", " + run.totals());

      // The Hadoop API alone, read to nowhere: what the source gives.
      start = System.nanoTime();
      parallel(
          keys,
          key -> {
            try (InputStream in = fs.open(new Path(root + key))) {
              IOUtils.copyBytes(in, OutputStream.nullOutputStream(), 1 << 20);
            }
          });
      report("hadoop read only", bytes, start, "");

      // The Hadoop API into Blob SDK uploads: a hand-written copy.
      BlobContainerClient container =
          new BlobServiceClientBuilder()
              .endpoint(AzuriteServer.endpoint().toString())
              .credential(
                  new StorageSharedKeyCredential(
                      "devstoreaccount1", System.getenv("COPYJOB_TEST_AZURE_KEY")))
              .buildClient()
              .getBlobContainerClient("bench-hdfs-plain-" + id);
      container.create();
      start = System.nanoTime();
      parallel(
          keys,
          key -> {
            try (InputStream in = fs.open(new Path(root + key))) {
              container
                  .getBlobClient(key)
                  .uploadWithResponse(
                      new BlobParallelUploadOptions(in)
                          .setParallelTransferOptions(
                              new ParallelTransferOptions()
                                  .setMaxSingleUploadSizeLong(16L << 20)
                                  .setBlockSizeLong(16L << 20)),
                      null,
                      null);
            }
          });
      report("hadoop read + blob upload", bytes, start, "");
      container.delete();
      try (var azure = io.copyjob.store.Stores.open(URI.create(sink), lake)) {
        try (var listing = azure.list("", true)) {
          while (listing.hasNext()) {
            azure.delete(listing.next().key());
          }
        }
      }
    }
  }

  private interface Task {
    void run(String key) throws Exception;
  }

  private static void parallel(List<String> keys, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (String key : keys) {
        done.add(
            pool.submit(
                () -> {
                  task.run(key);
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static void report(String what, long bytes, long startNanos, String detail) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf(
        "%-28s %7.1f s  %6.1f MiB/s  %s%n", what, seconds, bytes / seconds / (1 << 20), detail);
  }
}
