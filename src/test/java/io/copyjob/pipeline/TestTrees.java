package io.copyjob.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Files for tests: written with seeded random bytes, compared byte for byte. */
public final class TestTrees {
  private TestTrees() {}

  /** Writes {@code size} seeded random bytes to {@code root/key} and returns them. */
  public static byte[] write(Path root, String key, int size) throws IOException {
    byte[] bytes = new byte[size];
    new Random(key.hashCode() * 31L + size).nextBytes(bytes);
    Path file = root.resolve(key);
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
    return bytes;
  }

  /** Every regular file below {@code root}, by '/'-separated key, with its bytes. */
  public static Map<String, byte[]> read(Path root) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    if (!Files.exists(root)) {
      return files;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        // The file system's separator only: on Linux a backslash is a character of a name.
        String separator = root.getFileSystem().getSeparator();
        files.put(
            root.relativize(file).toString().replace(separator, "/"), Files.readAllBytes(file));
      }
    }
    return files;
  }

  /** Asserts that {@code sink} holds exactly {@code expected}, byte for byte. */
  public static void assertTree(Path sink, Map<String, byte[]> expected) throws IOException {
    Map<String, byte[]> actual = read(sink);
    assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    for (Map.Entry<String, byte[]> e : expected.entrySet()) {
      assertThat(actual.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }
  }
}
