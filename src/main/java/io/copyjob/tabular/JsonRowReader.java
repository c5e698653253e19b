package io.copyjob.tabular;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * A JSON file read with Jackson's streaming parser, one object at a time (never the whole file):
 * either objects one after another (JSON lines: one per line, or any whitespace between them) or
 * one array of objects. UTF-8, UTF-16 or UTF-32, told from the first bytes; a byte order mark is
 * dropped.
 *
 * <p>Columns are field paths ({@link FieldPath}): those of an explicit mapping, else the first
 * object's own fields, in their order, as a CSV file's header names its columns (a field the first
 * object lacks is not copied; one a later object lacks is NULL). Values keep their JSON type:
 * strings are text, numbers exact ({@link java.math.BigDecimal} for fractions, never a rounded
 * double), booleans, null; a nested object or array is its JSON text.
 *
 * <p>A row is at the line its object begins on; in an array, also its 1-based element index. Text
 * that is not JSON, or an element that is not an object, ends the piece naming the line.
 */
final class JsonRowReader implements RowReader {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private final String where;
  private final JsonParser parser;
  private final boolean ignoreCase;
  private final boolean array;
  private List<FieldPath> paths;
  private List<String> names;
  private SourceRow first;
  private long element;
  private boolean done;

  /**
   * @param fields the field paths an explicit mapping names; empty: the first object's fields
   * @param ignoreCase whether a field matches a path's name ignoring case when none matches exactly
   */
  JsonRowReader(InputStream in, List<String> fields, boolean ignoreCase, String where)
      throws IOException {
    this.where = where;
    this.ignoreCase = ignoreCase;
    this.parser = JSON.getFactory().createParser(in);
    if (!fields.isEmpty()) {
      this.names = List.copyOf(fields);
      this.paths = fields.stream().map(FieldPath::parse).toList();
    }
    JsonToken token = token();
    this.array = token == JsonToken.START_ARRAY;
    if (array) {
      token();
    }
    this.first = read();
  }

  private JsonToken token() throws IOException {
    try {
      return parser.nextToken();
    } catch (JsonParseException | CharConversionException e) {
      throw new RowReadException(
          where + " line " + parser.currentLocation().getLineNr() + ": " + reason(e), e);
    }
  }

  private static String reason(IOException e) {
    String message =
        e instanceof JsonParseException parse ? parse.getOriginalMessage() : e.getMessage();
    return "malformed JSON: " + String.valueOf(message).replaceAll("\\s*\\R\\s*", " ");
  }

  /** The row at the current token (the start of an object), the parser moved past it; or null. */
  private SourceRow read() throws IOException {
    if (done) {
      return null;
    }
    JsonToken token = parser.currentToken();
    if (token == null || (array && token == JsonToken.END_ARRAY)) {
      if (array && token == null) {
        throw new RowReadException(
            where + " line " + parser.currentLocation().getLineNr() + ": the array is not closed",
            null);
      }
      if (array && token() != null) {
        throw new RowReadException(
            where
                + " line "
                + parser.currentTokenLocation().getLineNr()
                + ": malformed JSON: more after the array's end",
            null);
      }
      done = true;
      return null;
    }
    long line = parser.currentTokenLocation().getLineNr();
    element++;
    if (token != JsonToken.START_OBJECT) {
      throw new RowReadException(
          where
              + " "
              + (array ? "element " + element + " (line " + line + ")" : "line " + line)
              + ": not a JSON object but "
              + describe(token),
          null);
    }
    ObjectNode object;
    try {
      object = parser.readValueAsTree();
    } catch (JsonParseException | CharConversionException e) {
      throw new RowReadException(
          where + " line " + parser.currentLocation().getLineNr() + ": " + reason(e), e);
    }
    token();
    if (paths == null) { // the first object names the columns
      names = new ArrayList<>();
      for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      paths = names.stream().map(FieldPath::field).toList();
    }
    Object[] values = new Object[paths.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = value(paths.get(i).find(object, ignoreCase));
    }
    return array ? new SourceRow(line, element, values) : new SourceRow(line, values);
  }

  private static String describe(JsonToken token) {
    return switch (token) {
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> token.asString() == null ? token.name() : "'" + token.asString() + "'";
    };
  }

  /** A field's value as the row holds it. */
  private static Object value(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isNumber()) {
      return node.numberValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    return node.toString(); // an object or array: its JSON text
  }

  @Override
  public Optional<List<String>> columnNames() {
    return Optional.ofNullable(names);
  }

  @Override
  public SourceRow next() throws IOException {
    if (first != null) {
      SourceRow row = first;
      first = null;
      return row;
    }
    return read();
  }

  @Override
  public String where() {
    return where;
  }

  @Override
  public void close() throws IOException {
    parser.close();
  }
}
