package io.copyjob.tabular.kusto;

import com.microsoft.azure.kusto.data.exceptions.DataWebException;
import com.microsoft.azure.kusto.data.exceptions.OneApiError;

/** The SDK's errors on one line. */
final class KustoErrors {
  private KustoErrors() {}

  /**
   * The service's own error when the cluster answered one (its code, message and description), else
   * the innermost message that says something; on one line.
   */
  static String oneLine(Throwable e) {
    String message = null;
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof DataWebException web && service(web) != null) {
        message = service(web);
        break;
      }
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

  /** A OneApi error as a person reads it, or null when the answer held none. */
  private static String service(DataWebException web) {
    OneApiError error;
    try {
      error = web.getApiError();
    } catch (RuntimeException notJson) {
      return null;
    }
    if (error == null || (error.getCode().isEmpty() && error.getMessage().isEmpty())) {
      return null;
    }
    String text = error.getCode().isEmpty() ? error.getMessage() : error.getCode();
    if (!error.getCode().isEmpty() && !error.getMessage().isEmpty()) {
      text += ": " + error.getMessage();
    }
    if (!error.getDescription().isEmpty() && !error.getDescription().equals(error.getMessage())) {
      text += " (" + error.getDescription() + ")";
    }
    return text + (error.isPermanent() ? " [permanent]" : "");
  }
}
