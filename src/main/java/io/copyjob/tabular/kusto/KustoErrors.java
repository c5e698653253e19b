package io.copyjob.tabular.kusto;

/** The SDK's errors on one line. */
final class KustoErrors {
  private KustoErrors() {}

  /** The innermost message that says something, on one line. */
  static String oneLine(Throwable e) {
    String message = null;
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
      if (t.getCause() == null) {
        break;
      }
    }
    return message == null
        ? e.getClass().getSimpleName()
        : message.replaceAll("\\s*\\R\\s*", " ").strip();
  }
}
