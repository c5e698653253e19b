package io.copyjob.cli;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Assume;

/**
 * Headless Chromium (the Debian package) as a test's browser. Without it a test is skipped, unless
 * COPYJOB_REQUIRE_CHROMIUM=1 (as in CI).
 */
final class Browser {
  private Browser() {}

  /** The browser's binary. */
  static String chromium() {
    for (String name : List.of("chromium", "chromium-browser")) {
      for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        File f = new File(d, name);
        if (f.canExecute()) {
          return f.getPath();
        }
      }
    }
    if ("1".equals(System.getenv("COPYJOB_REQUIRE_CHROMIUM"))) {
      throw new AssertionError("chromium is not on PATH (apt-get install chromium)");
    }
    Assume.assumeTrue("chromium is not on PATH", false);
    return null;
  }

  private static List<String> command(String chromium, Path profile) {
    List<String> command = new ArrayList<>();
    command.add(chromium);
    command.add("--headless");
    command.add("--no-sandbox"); // as root, as in CI containers
    command.add("--disable-gpu");
    command.add("--disable-dev-shm-usage");
    command.add("--no-first-run");
    command.add("--user-data-dir=" + profile);
    return command;
  }

  /** The page's DOM once the browser has rendered it, serialized. */
  static String dumpDom(String chromium, String url, Path profile) throws Exception {
    List<String> command = command(chromium, profile);
    command.add("--dump-dom");
    command.add(url);
    Process p =
        new ProcessBuilder(command).redirectError(profile.resolve("chromium.log").toFile()).start();
    byte[] dom = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish rendering " + url + " within 60 s");
    }
    return new String(dom, StandardCharsets.UTF_8);
  }

  /** Renders the page and saves what it shows as a PNG of {@code width} x {@code height}. */
  static void screenshot(String chromium, String url, Path png, int width, int height, Path profile)
      throws Exception {
    List<String> command = command(chromium, profile);
    command.add("--hide-scrollbars");
    command.add("--window-size=" + width + "," + height);
    command.add("--screenshot=" + png.toAbsolutePath());
    command.add(url);
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(profile.resolve("chromium.log").toFile())
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError("chromium could not take a screenshot of " + url);
    }
  }
}
