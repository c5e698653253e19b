package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** When a sink would read what it writes: roots that meet however they are written. */
public class RootsTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** A sink reached through a link into the source had been taken for another folder. */
  @Test
  public void aSinkReachedThroughASymbolicLinkIntoTheSourceOverlapsIt() throws Exception {
    Path source = tmp.newFolder("src").toPath();
    Files.createDirectory(source.resolve("out"));
    Path link = Files.createSymbolicLink(tmp.getRoot().toPath().resolve("link"), source);

    assertThat(Roots.overlap(source.toUri(), link.resolve("out").toUri())).isTrue();
    assertThat(Roots.overlap(source.toUri(), link.resolve("not-yet/deeper").toUri())).isTrue();
    assertThat(Roots.overlap(link.toUri(), source.toUri())).isTrue();
    assertThat(Roots.overlap(source.toUri(), tmp.newFolder("dst").toURI())).isFalse();

    String yaml =
        "name: j\nsource:\n  root: " + source + "\nsink:\n  root: " + link.resolve("out") + "\n";
    assertThatThrownBy(() -> JobSpecParser.parse(yaml, tmp.getRoot().toPath(), "job.yaml"))
        .isInstanceOf(SpecException.class)
        .hasMessage("job.yaml: sink.root: must not overlap source.root");
  }

  @Test
  public void oneAzureContainerOverlapsItselfWhateverItsUriForm() {
    URI azfs = URI.create("azfs://acct/data/in/");
    assertThat(Roots.overlap(azfs, URI.create("abfss://data@acct.dfs.core.windows.net/in/out/")))
        .isTrue();
    assertThat(Roots.overlap(azfs, URI.create("https://acct.blob.core.windows.net/data/")))
        .isTrue();
    assertThat(Roots.overlap(azfs, URI.create("abfss://data@other.dfs.core.windows.net/in/")))
        .isFalse();
    assertThat(Roots.overlap(azfs, URI.create("https://acct.blob.core.windows.net/data2/")))
        .isFalse();
    assertThat(Roots.overlap(azfs, URI.create("azfs://acct/data/input/"))).isFalse();
  }
}
