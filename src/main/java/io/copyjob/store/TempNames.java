package io.copyjob.store;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hidden names a file system store writes a file under before renaming it into place: {@code
 * .NAME.copyjob-TAG-RUN-RANDOM.tmp} when the store is owned by a run ({@link TempOwner}), {@code
 * .NAME.copyjob-RANDOM.tmp} otherwise. One scheme for every store with folders (a local folder, a
 * Hadoop file system), so that a later run recognises what a killed one left, whichever it was.
 */
public final class TempNames {
  public static final String MARK = ".copyjob-";

  /** The most bytes a file name may take on Linux (NAME_MAX), macOS, Windows and HDFS alike. */
  public static final int MAX_NAME_BYTES = 255;

  /**
   * Any temporary name {@link #beside} makes: an owned store's holds its job's tag (group 1) and
   * its run (group 2) before the random part. A user's file that only looks like one ({@code
   * .notes.copyjob-draft.tmp}) is a file like any other, listed and copied.
   */
  private static final Pattern TEMP =
      Pattern.compile(
          "^\\..*" + Pattern.quote(MARK) + "(?:([0-9a-f]{12})-(\\d+)-)?[0-9a-f]{32}\\.tmp$",
          Pattern.DOTALL);

  private TempNames() {}

  /**
   * A hidden name beside {@code target} (a file name, no folder), within {@link #MAX_NAME_BYTES}:
   * the target's name is cut (between characters) where it would not fit; the owner's tag and a
   * random part keep it unique.
   */
  public static String beside(String target, TempOwner owner) {
    String random = UUID.randomUUID().toString().replace("-", "");
    String suffix =
        MARK + (owner == null ? "" : owner.jobTag() + "-" + owner.runId() + "-") + random + ".tmp";
    int room = MAX_NAME_BYTES - 1 - suffix.length();
    StringBuilder kept = new StringBuilder();
    int bytes = 0;
    for (int i = 0; i < target.length(); ) {
      int codePoint = target.codePointAt(i);
      String c = new String(Character.toChars(codePoint));
      bytes += c.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > room) {
        break;
      }
      kept.append(c);
      i += Character.charCount(codePoint);
    }
    return "." + kept + suffix;
  }

  /** Whether a file name is one of these temporary names (never listed as a file). */
  public static boolean isTemp(String name) {
    return TEMP.matcher(name).matches();
  }

  /** A temporary file of {@code owner}'s job written by another of its runs. */
  public static boolean isLeftover(String name, TempOwner owner) {
    Matcher m = TEMP.matcher(name);
    return m.matches()
        && owner.jobTag().equals(m.group(1))
        && !m.group(2).equals(Long.toString(owner.runId()));
  }
}
