package io.copyjob.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.Test;

/** What a root column's value or {@code partitions add --root} names, next to the source root. */
public class RootNamesTest {
  @Test
  public void aNameIsABucketContainerOrSiblingFolder() {
    assertThat(RootNames.resolve("s3://main/", "other")).isEqualTo("s3://other/");
    assertThat(RootNames.resolve("azfs://acct/main/", "other")).isEqualTo("azfs://acct/other/");
    assertThat(RootNames.resolve("file:///data/main/", "other")).isEqualTo("file:///data/other/");
    assertThat(RootNames.resolve("hdfs://nn:8020/data/main", "other"))
        .isEqualTo("hdfs://nn:8020/data/other/");
    assertThat(RootNames.resolve("s3://main/", "s3://other")).isEqualTo("s3://other/");
  }

  /** An absolute path had been appended to the source root's parent: file:///data//abs/path/. */
  @Test
  public void anAbsolutePathBesideAFileOrHdfsRootIsThatFolder() {
    assertThat(RootNames.resolve("file:///data/main/", "/mnt/other"))
        .isEqualTo("file:///mnt/other/");
    assertThat(RootNames.resolve("file:///data/main/", "/mnt/with space/"))
        .isEqualTo("file:///mnt/with%20space/");
    assertThat(RootNames.resolve("hdfs://nn:8020/data/main/", "/warehouse/x"))
        .isEqualTo("hdfs://nn:8020/warehouse/x/");
    assertThat(RootNames.name(RootNames.resolve("file:///data/main/", "/mnt/other")))
        .isEqualTo("other");
  }

  @Test
  public void aBucketNameStartingWithASlashOrEmptyIsRefusedSayingWhy() {
    assertThatThrownBy(() -> RootNames.resolve("s3://main/", "/other"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "root '/other': a bucket or container name cannot start with '/'; give the name alone"
                + " or a URI (s3://...)");
    assertThatThrownBy(() -> RootNames.resolve("azfs://acct/main/", "/c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(azfs://...)");
    assertThatThrownBy(() -> RootNames.resolve("s3://main/", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("root: empty");
  }
}
