package io.copyjob.tabular;

/**
 * A table whose mapping cannot work with its sink table or a file's columns (an unknown column, a
 * NOT NULL column left out, a type that does not fit): found before any row of it is written. The
 * message is one line.
 */
public class MappingException extends Exception {
  public MappingException(String message) {
    super(message);
  }
}
