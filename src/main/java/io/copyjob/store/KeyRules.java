package io.copyjob.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The names a store cannot hold as given, each with the reason: one list per store, so that the
 * rules and why each exists are read in one place. A store answers {@link Store#keyProblem} from
 * its list; the rule every store shares comes first: a key must be valid Unicode, since a lone
 * surrogate has no UTF-8 form and every SDK and file system here writes it as '?'.
 */
public final class KeyRules {
  /** One rule: the keys it refuses and why, as a phrase that follows the key. */
  public record Rule(Predicate<String> refuses, String reason) {}

  private final List<Rule> rules;

  private KeyRules(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** The rules, checked in order after the shared one; the first that refuses a key gives why. */
  public static KeyRules of(Rule... rules) {
    List<Rule> all = new ArrayList<>();
    all.add(
        new Rule(
            key -> !isValidUnicode(key),
            "is not valid Unicode (a lone surrogate, which would be written as '?')"));
    all.addAll(List.of(rules));
    return new KeyRules(all);
  }

  public static Rule rule(Predicate<String> refuses, String reason) {
    return new Rule(refuses, reason);
  }

  /** Why {@code key} cannot be held under exactly that name, or empty when it can. */
  public Optional<String> problem(String key) {
    if (key.isEmpty()) {
      return Optional.of("is empty");
    }
    for (Rule rule : rules) {
      if (rule.refuses.test(key)) {
        return Optional.of(rule.reason);
      }
    }
    return Optional.empty();
  }

  /** Whether any '/'-separated segment of the key (empty ones included) matches. */
  public static Predicate<String> anySegment(Predicate<String> segment) {
    return key -> {
      for (String s : key.split("/", -1)) {
        if (segment.test(s)) {
          return true;
        }
      }
      return false;
    };
  }

  /** The length of {@code s} in UTF-8 bytes. */
  public static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Whether any character is one of {@code chars}. */
  public static Predicate<String> containsAny(String chars) {
    return key -> key.chars().anyMatch(c -> chars.indexOf(c) >= 0);
  }

  private static boolean isValidUnicode(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
