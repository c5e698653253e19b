package io.copyjob.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a folder lies on a file system that should be mounted and is not: the folder under an
 * unmounted share is usually there, empty, and would pass for a source with no files. The file
 * systems that should be mounted are those {@code /etc/fstab} lists; those mounted now, those
 * {@code /proc/self/mountinfo} lists (Linux; elsewhere nothing is said).
 */
final class MountPoints {
  static final Path FSTAB = Path.of("/etc/fstab");
  static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountPoints() {}

  /**
   * The deepest mount point of {@code fstab} above or at {@code folder} (an absolute, normalised
   * path) that {@code mountinfo} does not list; empty when there is none or either file is missing.
   */
  static Optional<Path> unmountedAbove(Path folder, Path fstab, Path mountinfo) throws IOException {
    if (!Files.isReadable(fstab) || !Files.isReadable(mountinfo)) {
      return Optional.empty();
    }
    Path deepest = null;
    for (Path point : fields(Files.readAllLines(fstab), 1)) {
      if (point.isAbsolute()
          && point.getNameCount() > 0
          && folder.startsWith(point)
          && (deepest == null || point.startsWith(deepest))) {
        deepest = point;
      }
    }
    if (deepest == null) {
      return Optional.empty();
    }
    Set<Path> mounted = new HashSet<>(fields(Files.readAllLines(mountinfo), 4));
    return mounted.contains(deepest) ? Optional.empty() : Optional.of(deepest);
  }

  /** Field {@code index} (from 0) of each line that is not a comment, with octal escapes undone. */
  private static List<Path> fields(List<String> lines, int index) {
    return lines.stream()
        .map(String::trim)
        .filter(line -> !line.isEmpty() && !line.startsWith("#"))
        .map(line -> line.split("\\s+"))
        .filter(fields -> fields.length > index)
        .map(fields -> Path.of(unescape(fields[index])).normalize())
        .toList();
  }

  /**
   * Both files write a space as {@code \040}, a tab as {@code \011}, a backslash as {@code \134}.
   */
  private static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\'
          && i + 3 < field.length()
          && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
