package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A folder under a share that /etc/fstab mounts and that is not mounted is told apart. */
public class MountPointsTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path file(String name, String... lines) throws Exception {
    return Files.write(tmp.getRoot().toPath().resolve(name), java.util.List.of(lines));
  }

  @Test
  public void aFolderUnderAnUnmountedShareOfFstabIsSaid() throws Exception {
    Path fstab =
        file(
            "fstab",
            "# <file system> <mount point> <type> <options> <dump> <pass>",
            "UUID=1234 / ext4 errors=remount-ro 0 1",
            "/swapfile none swap sw 0 0",
            "nas:/exports /mnt/nas nfs defaults 0 0",
            "nas:/exports/deep /mnt/nas/deep nfs defaults 0 0",
            "//server/my\\040share /mnt/my\\040share cifs noauto 0 0");
    Path mounted =
        file(
            "mountinfo",
            "27 1 253:0 / / rw,relatime - ext4 /dev/vda rw",
            "40 27 0:50 / /mnt/nas rw,relatime - nfs nas:/exports rw");

    assertThat(MountPoints.unmountedAbove(Path.of("/mnt/nas/deep/data"), fstab, mounted))
        .contains(Path.of("/mnt/nas/deep"));
    assertThat(MountPoints.unmountedAbove(Path.of("/mnt/nas/other"), fstab, mounted)).isEmpty();
    assertThat(MountPoints.unmountedAbove(Path.of("/mnt/my share/x"), fstab, mounted))
        .contains(Path.of("/mnt/my share"));
    assertThat(MountPoints.unmountedAbove(Path.of("/home/me/data"), fstab, mounted)).isEmpty();
    assertThat(MountPoints.unmountedAbove(Path.of("/mnt/nasty"), fstab, mounted)).isEmpty();
  }

  @Test
  public void saysNothingWithoutTheFiles() throws Exception {
    Path missing = tmp.getRoot().toPath().resolve("none");
    assertThat(MountPoints.unmountedAbove(Path.of("/mnt/nas"), missing, missing)).isEmpty();
  }
}
