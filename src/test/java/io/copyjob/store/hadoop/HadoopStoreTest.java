package io.copyjob.store.hadoop;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.store.Store;
import io.copyjob.store.StoreContractTest;
import io.copyjob.store.Stores;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * The store contract on a real HDFS (MiniDFSCluster), once over RPC ({@code hdfs://}) and once over
 * HTTP ({@code webhdfs://}) against the same cluster.
 */
@RunWith(Parameterized.class)
public class HadoopStoreTest extends StoreContractTest {
  @ClassRule public static final MiniHdfs HDFS = new MiniHdfs();
  private static final AtomicInteger ROOTS = new AtomicInteger();

  @Parameterized.Parameters(name = "{0}")
  public static List<String> schemes() {
    return List.of("hdfs", "webhdfs");
  }

  @Parameterized.Parameter public String scheme;

  @Override
  protected Store newStore() throws Exception {
    Store store =
        Stores.open(
            HDFS.root(scheme, "contract-" + ROOTS.incrementAndGet()), MiniHdfs.connection("hdfs"));
    store.prepare(true);
    return store;
  }

  @Override
  protected int pageSize() {
    return MiniHdfs.PAGE;
  }

  @Override
  protected int partSize() {
    return MiniHdfs.BLOCK; // a file larger than a block spans two DataNode block pipelines
  }

  @Override
  protected boolean versioned() {
    return false; // size and modification time stand for a version
  }

  @Override
  protected boolean holdsNamesEndingInSlash() {
    return false; // a folder cannot hold content under such a name
  }

  /**
   * The NameNode's clock is the modification time of a scratch file written in the root and removed
   * (the NameNode runs in this JVM here, on this machine's clock). A user who may only read the
   * root gets none, and this machine's clock stands for it.
   */
  @Test
  public void theClockIsTheNameNodesWhereTheUserMayWriteInTheRoot() throws Exception {
    Instant before = Instant.now();
    Instant now = store.now().orElseThrow();
    assertThat(now).isBetween(before.minusMillis(1), Instant.now().plusMillis(1));

    Store reader =
        UserGroupInformation.createRemoteUser("reader")
            .doAs(
                (PrivilegedExceptionAction<Store>)
                    () ->
                        Stores.open(
                            store.root(), MiniHdfs.connection("reader"), Duration.ofSeconds(30)));
    try {
      assertThat(reader.now()).isEmpty();
    } finally {
      reader.close();
    }
  }

  /**
   * Why each refused name is refused: written through Hadoop's own API, each is refused by Hadoop
   * or HDFS, or lands under another name than given.
   */
  @Test
  public void everyNameItRefusesHadoopRefusesOrRenames() throws Exception {
    java.util.Map<String, String> seen = new java.util.TreeMap<>();
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    try (org.apache.hadoop.fs.FileSystem fs =
        org.apache.hadoop.fs.FileSystem.newInstance(store.root(), conf)) {
      List<String> names =
          List.of("a:b", "a//x", "a/./x", "a/../x", "x/", "n\0ul", "L".repeat(256));
      for (int i = 0; i < names.size(); i++) {
        String dir = "r" + i + "/";
        String key = dir + names.get(i);
        assertThat(store.keyProblem(key)).as(key).isPresent();
        String outcome;
        try {
          fs.create(new org.apache.hadoop.fs.Path(store.root() + key)).close();
          java.util.List<String> listed = new java.util.ArrayList<>();
          var files = fs.listFiles(new org.apache.hadoop.fs.Path(store.root() + dir), true);
          while (files.hasNext()) {
            String path = files.next().getPath().toUri().getPath();
            listed.add(path.substring(store.root().getPath().length()));
          }
          outcome = "listed as " + listed;
        } catch (IllegalArgumentException | java.io.IOException refused) {
          outcome = "refused";
        }
        seen.put(names.get(i).length() > 20 ? "L x 256" : names.get(i), outcome);
      }
    }
    // HDFS holds a NUL over RPC, but no HTTP client (WebHDFS) or shell tool can name that file.
    String nul = seen.remove("n\0ul");
    if (scheme.equals("hdfs")) {
      assertThat(nul).isEqualTo("listed as [r5/n\0ul]");
    } else {
      assertThat(nul).isNotEqualTo("listed as [r5/n\0ul]");
    }
    assertThat(seen)
        .as(scheme)
        .containsExactlyInAnyOrderEntriesOf(
            java.util.Map.of(
                "a:b", "refused",
                "a//x", "listed as [r1/a/x]",
                "a/./x", "listed as [r2/a/x]",
                "a/../x", "listed as [r3/x]",
                "x/", "listed as [r4/x]",
                "L x 256", "refused"));
  }

  /**
   * What a killed run leaves (its temporary files, named after its job and run) is removed by a
   * later run of the same job, below the prefix it copies; another job's, its own run's and files
   * outside the prefix stay. Temporary files are never listed.
   */
  @Test
  public void removesOnlyTheTemporaryFilesOfItsJobsOtherRuns() throws Exception {
    io.copyjob.store.TempOwner killed = new io.copyjob.store.TempOwner("job-a", 1);
    io.copyjob.store.TempOwner current = new io.copyjob.store.TempOwner("job-a", 2);
    List<String> removed =
        List.of(
            "p/deep/" + io.copyjob.store.TempNames.beside("x.bin", killed),
            io.copyjob.store.TempNames.beside("p.csv", killed));
    List<String> kept =
        List.of(
            "p/" + io.copyjob.store.TempNames.beside("x.bin", current),
            "p/"
                + io.copyjob.store.TempNames.beside(
                    "x.bin", new io.copyjob.store.TempOwner("job-b", 1)),
            "p/" + io.copyjob.store.TempNames.beside("x.bin", null),
            "q/" + io.copyjob.store.TempNames.beside("x.bin", killed));
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    try (org.apache.hadoop.fs.FileSystem fs =
        org.apache.hadoop.fs.FileSystem.newInstance(store.root(), conf)) {
      for (String key : java.util.stream.Stream.concat(removed.stream(), kept.stream()).toList()) {
        fs.create(new org.apache.hadoop.fs.Path(store.root() + key)).close();
      }
      put("p/x.bin", bytes(10, 1));
      try (var listing = store.list("", true)) {
        assertThat(keysOf(listing)).containsExactly("p/x.bin");
      }

      assertThat(store.removeLeftovers("p", current)).isEqualTo(2);

      for (String key : removed) {
        assertThat(fs.exists(new org.apache.hadoop.fs.Path(store.root() + key))).as(key).isFalse();
      }
      for (String key : kept) {
        assertThat(fs.exists(new org.apache.hadoop.fs.Path(store.root() + key))).as(key).isTrue();
      }
    }
    assertThat(store.removeLeftovers("nothing/here/", current)).isZero();
  }
}
