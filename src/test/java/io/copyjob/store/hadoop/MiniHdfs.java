package io.copyjob.store.hadoop;

import io.copyjob.spec.Connection;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.rules.ExternalResource;

/**
 * A real HDFS in the test JVM: Hadoop's MiniDFSCluster (a NameNode and one DataNode, on free
 * loopback ports), with WebHDFS on the NameNode's HTTP port. Its folders are under target/. Blocks
 * of 1 MiB and listings of 100 entries per page, so that tests cross both with little data.
 */
public final class MiniHdfs extends ExternalResource {
  /** The NameNode's listing page ({@code dfs.ls.limit}). */
  public static final int PAGE = 100;

  /** The block size files are written in. */
  public static final int BLOCK = 1 << 20;

  private final java.util.function.Consumer<Configuration> settings;
  private MiniDFSCluster cluster;
  private Path base;

  public MiniHdfs() {
    this(conf -> {});
  }

  /** A cluster with further {@code settings} (security), applied before it starts. */
  public MiniHdfs(java.util.function.Consumer<Configuration> settings) {
    this.settings = settings;
  }

  @Override
  protected void before() throws Throwable {
    Configuration conf = new HdfsConfiguration();
    base = Path.of("target", "minidfs", UUID.randomUUID().toString()).toAbsolutePath();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
    conf.setInt("dfs.ls.limit", PAGE);
    conf.setLong("dfs.blocksize", BLOCK);
    conf.setInt("dfs.replication", 1);
    // The DataNode writes a WebHDFS upload through a client of its own: the same short first wait.
    conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 20);
    settings.accept(conf);
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
  }

  @Override
  protected void after() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
    // shutdown(true) leaves the blocks of the data directories: a 10,000-file test leaves a GB.
    if (base != null) {
      try {
        org.apache.commons.io.file.PathUtils.deleteDirectory(base);
      } catch (java.io.IOException e) {
        // best effort: target/ is the build's to clean
      }
    }
  }

  /** {@code hdfs://localhost:PORT/PATH/} or {@code webhdfs://localhost:HTTPPORT/PATH/}. */
  public URI root(String scheme, String path) {
    String authority =
        switch (scheme) {
          case "hdfs" -> "localhost:" + cluster.getNameNodePort();
          case "webhdfs" -> "localhost:" + cluster.getNameNode().getHttpAddress().getPort();
          default -> throw new IllegalArgumentException(scheme);
        };
    return URI.create(scheme + "://" + authority + "/" + path + (path.endsWith("/") ? "" : "/"));
  }

  /**
   * A connection as a job file would give it: the client's own settings for this cluster. The first
   * wait for a closed file's block to be reported is 20 ms rather than 400: the DataNode here
   * reports at once, and a test writes a thousand small files.
   */
  public static Connection.Hadoop connection(String name) {
    return connection(name, BLOCK);
  }

  /**
   * As {@link #connection(String)}, writing new files in blocks of {@code blockSize}; 0: no block
   * size set, so that a copy takes its source file's.
   */
  public static Connection.Hadoop connection(String name, long blockSize) {
    Map<String, String> conf = new java.util.HashMap<>();
    conf.put("dfs.replication", "1");
    if (blockSize > 0) {
      conf.put("dfs.blocksize", Long.toString(blockSize));
    }
    conf.put("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20");
    return new Connection.Hadoop(name, conf, Map.of(), null, null);
  }

  public MiniDFSCluster cluster() {
    return cluster;
  }
}
