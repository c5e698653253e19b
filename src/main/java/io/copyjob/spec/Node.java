package io.copyjob.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One node of a job file's YAML tree together with its field path, so that every error names the
 * file and the field: {@code job.yaml: copy.recursive: must be true or false}.
 *
 * <p>A key that is missing, {@code null} ({@code ~}) or empty ({@code key:} with nothing after it,
 * which Jackson's YAML reader turns into "") counts as absent: a newcomer who leaves a value blank
 * means "not set", and the required check then says so.
 */
final class Node {
  private final String file;
  private final String path;
  private final JsonNode json;

  private Node(String file, String path, JsonNode json) {
    this.file = file;
    this.path = path;
    this.json = json == null ? MissingNode.getInstance() : json;
  }

  /** The whole document of {@code file}; its path is empty. */
  static Node document(String file, JsonNode json) {
    return new Node(file, "", json);
  }

  /** The value under {@code key}; absent when this node is no mapping or has no such key. */
  Node get(String key) {
    return new Node(file, path.isEmpty() ? key : path + "." + key, json.path(key));
  }

  /** True when the key exists at all, even with an empty value. */
  boolean exists() {
    return !json.isMissingNode();
  }

  boolean isPresent() {
    return !json.isMissingNode()
        && !json.isNull()
        && !(json.isTextual() && json.textValue().isEmpty());
  }

  /**
   * Checks that this is a mapping whose keys are all {@code known}; an absent node passes (it reads
   * as an empty mapping, so every field takes its default).
   */
  Node mapping(List<String> known) {
    if (!isPresent()) {
      return this;
    }
    if (!json.isObject()) {
      throw error(
          "must be a mapping with the fields " + String.join(", ", known) + ", got " + kind());
    }
    for (Iterator<String> keys = json.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!known.contains(key)) {
        String hint =
            DidYouMean.closest(key, known)
                .map(k -> " (did you mean '" + k + "'?)")
                .orElse(" (known fields: " + String.join(", ", known) + ")");
        throw error("unknown field '" + key + "'" + hint);
      }
    }
    return this;
  }

  /** The keys of a mapping, in the file's order; none when absent. */
  List<String> keys() {
    if (!isPresent()) {
      return List.of();
    }
    if (!json.isObject()) {
      throw error("must be a mapping of names, got " + kind());
    }
    List<String> keys = new java.util.ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  /** A required string. */
  String text() {
    if (!isPresent()) {
      throw error("required");
    }
    return optText().orElseThrow();
  }

  /** An optional string; numbers and booleans are refused so that YAML never changes a value. */
  Optional<String> optText() {
    if (!isPresent()) {
      return Optional.empty();
    }
    return Optional.of(textAllowingEmpty());
  }

  /** A string that may be empty: in a list, "" is a value, not an absence. */
  String textAllowingEmpty() {
    if (!json.isTextual()) {
      // YAML reads 2019 as a number and 01 as 1; quotes keep the text exactly as written.
      String hint = json.isValueNode() && !json.isNull() ? "; put it in quotes" : "";
      throw error("must be a string, got " + kind() + hint);
    }
    return json.textValue();
  }

  boolean bool(boolean defaultValue) {
    if (!isPresent()) {
      return defaultValue;
    }
    if (!json.isBoolean()) {
      throw error("must be true or false");
    }
    return json.booleanValue();
  }

  int intBetween(int defaultValue, int min, int max) {
    if (!isPresent()) {
      return defaultValue;
    }
    if (!json.isIntegralNumber()) {
      throw error("must be a whole number, got " + kind());
    }
    BigInteger value = json.bigIntegerValue();
    if (value.compareTo(BigInteger.valueOf(min)) < 0
        || value.compareTo(BigInteger.valueOf(max)) > 0) {
      throw error("must be between " + min + " and " + max + ", got " + value);
    }
    return value.intValueExact();
  }

  /**
   * Whether the key is there with YAML's null as its value ({@code ~}, {@code null}, {@code NULL}).
   */
  boolean isNull() {
    return json.isNull();
  }

  /** Whether the value is written as an empty string ({@code ""}). */
  boolean isEmptyText() {
    return json.isTextual() && json.textValue().isEmpty();
  }

  /** Whether the value is a whole number (YAML {@code 3}, not {@code "3"}). */
  boolean isWholeNumber() {
    return json.isIntegralNumber();
  }

  /** A number (whole or not) within [{@code min}, {@code max}]; the default when absent. */
  double numberBetween(double defaultValue, double min, double max) {
    if (!isPresent()) {
      return defaultValue;
    }
    if (!json.isNumber()) {
      throw error("must be a number, got " + kind());
    }
    double value = json.doubleValue();
    if (value < min || value > max) {
      throw error("must be between " + min + " and " + max + ", got " + json.asText());
    }
    return value;
  }

  /** A number or a string, as text: for values such as sizes that are written either way. */
  String scalarText() {
    if (!json.isTextual() && !json.isNumber()) {
      throw error("must be a number or a string, got " + kind());
    }
    return json.asText();
  }

  /** A string, number or boolean, as text: for values handed on as text (Hadoop's settings). */
  String scalarOrBooleanText() {
    return json.isBoolean() ? json.asText() : scalarText();
  }

  /** One of the {@code names}' values, matched exactly; the default when absent. */
  <E> E oneOf(E defaultValue, Map<String, E> names) {
    if (!isPresent()) {
      return defaultValue;
    }
    E value = json.isTextual() ? names.get(json.textValue()) : null;
    if (value == null) {
      throw error("must be one of " + String.join(", ", names.keySet()) + ", got " + kind());
    }
    return value;
  }

  /** The elements of a list, each with its index in its path; empty when absent. */
  List<Node> elements() {
    if (!isPresent()) {
      return List.of();
    }
    if (!json.isArray()) {
      throw error("must be a list, got " + kind());
    }
    List<Node> elements = new ArrayList<>();
    for (int i = 0; i < json.size(); i++) {
      elements.add(new Node(file, path + "[" + i + "]", json.get(i)));
    }
    return elements;
  }

  /** An error about this field: {@code file: path: reason}. */
  SpecException error(String reason) {
    return new SpecException(file + ": " + (path.isEmpty() ? "" : path + ": ") + reason);
  }

  /** What the value is, for messages; scalars are quoted as written. */
  private String kind() {
    if (json.isObject()) {
      return "a mapping";
    }
    if (json.isArray()) {
      return "a list";
    }
    if (json.isNull() || json.isMissingNode()) {
      return "nothing";
    }
    return "'" + json.asText() + "'";
  }
}
