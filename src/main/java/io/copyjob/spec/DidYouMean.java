package io.copyjob.spec;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

/** Suggests the known name a mistyped one was probably meant to be. */
final class DidYouMean {
  private DidYouMean() {}

  /**
   * The known name that {@code typed} most likely misspells: the same letters written in another
   * case or with '_'/'-' ({@code transfers_per_worker}), else the nearest by edit distance when it
   * is at most 2 and less than half the typed length (so short unrelated words are not "matched").
   */
  static Optional<String> closest(String typed, Collection<String> known) {
    String folded = fold(typed);
    for (String name : known) {
      if (fold(name).equals(folded)) {
        return Optional.of(name);
      }
    }
    return known.stream()
        .filter(name -> distance(typed, name) <= Math.min(2, (typed.length() - 1) / 2))
        .min(Comparator.comparingInt(name -> distance(typed, name)));
  }

  private static String fold(String name) {
    return name.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
  }

  /** Edit distance counting an insertion, deletion, substitution or swap of neighbours as one. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
