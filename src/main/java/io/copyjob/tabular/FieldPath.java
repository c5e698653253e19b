package io.copyjob.tabular;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A field inside a nested record, written as its names joined by dots: {@code customer.id} is the
 * field {@code id} of the object in the field {@code customer}. A name is matched exactly, else
 * (when asked) the one field equal ignoring case. A top-level field whose own name holds a dot is
 * found first, so {@code "a.b"} as one field still maps.
 */
public record FieldPath(String text, List<String> names) implements Serializable {
  public FieldPath {
    names = List.copyOf(names);
  }

  /** The path of {@code text}: names split at dots, none empty. */
  public static FieldPath parse(String text) {
    List<String> names = Arrays.asList(text.split("\\.", -1));
    if (names.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a field path (names joined by dots, e.g. customer.id)");
    }
    return new FieldPath(text, names);
  }

  /** The top-level field {@code name}, taken whole. */
  public static FieldPath field(String name) {
    return new FieldPath(name, List.of(name));
  }

  /** The value in a JSON object, or null when a name on the way is missing or not an object. */
  public JsonNode find(JsonNode object, boolean ignoreCase) {
    JsonNode whole = field(object, text, ignoreCase);
    if (whole != null || names.size() == 1) {
      return whole;
    }
    JsonNode node = object;
    for (String name : names) {
      if (node == null || !node.isObject()) {
        return null;
      }
      node = field(node, name, ignoreCase);
    }
    return node;
  }

  private static JsonNode field(JsonNode object, String name, boolean ignoreCase) {
    JsonNode exact = object.get(name);
    if (exact != null || !ignoreCase) {
      return exact;
    }
    JsonNode found = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equalsIgnoreCase(name)) {
        if (found != null) {
          return null; // two fields equal ignoring case: neither is the one meant
        }
        found = field.getValue();
      }
    }
    return found;
  }

  /**
   * The value in any nested record type, given how to get one field of a record ({@code get(record,
   * name)}: null when it has none, or when it is no record).
   */
  public <R> Object find(R record, BiFunction<Object, String, Object> get) {
    Object whole = get.apply(record, text);
    if (whole != null || names.size() == 1) {
      return whole;
    }
    Object value = record;
    for (String name : names) {
      if (value == null) {
        return null;
      }
      value = get.apply(value, name);
    }
    return value;
  }
}
