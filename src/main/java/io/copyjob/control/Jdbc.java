package io.copyjob.control;

import io.copyjob.spec.JobSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Small JDBC helpers of the control store, also used for a tabular job's sink database: connecting
 * without a secret in any message, error wrapping, URL redaction, length checks.
 */
public final class Jdbc {
  private Jdbc() {}

  /** Sets a statement's parameters. */
  interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /**
   * Whether the error is a unique-key violation: SQLState 23505 on PostgreSQL and H2; on SQL Server
   * SQLState 23000 with error 2627 (constraint) or 2601 (unique index).
   */
  public static boolean isUniqueViolation(SQLException e) {
    for (SQLException x = e; x != null; x = x.getNextException()) {
      if ("23505".equals(x.getSQLState()) || x.getErrorCode() == 2627 || x.getErrorCode() == 2601) {
        return true;
      }
      if (x.getNextException() == x) {
        break;
      }
    }
    return false;
  }

  /** An error naming the table and the operation, keeping the SQLState and the cause. */
  static SQLException wrap(String table, String operation, SQLException e) {
    return new SQLException(
        table + ": " + operation + " failed: " + e.getMessage(),
        e.getSQLState(),
        e.getErrorCode(),
        e);
  }

  /** "jdbc:xyz:" of a URL, nothing after: safe in any message. */
  static String scheme(String url) {
    if (url == null) {
      return "(none)";
    }
    int first = url.indexOf(':');
    int second = first < 0 ? -1 : url.indexOf(':', first + 1);
    return second < 0 ? "(malformed)" : url.substring(0, second + 1);
  }

  /**
   * The URL without what may hold credentials: user info before '@', and every property after the
   * first ';' (H2, SQL Server) or '?' (PostgreSQL).
   */
  public static String redact(String url) {
    if (url == null) {
      return "(none)";
    }
    String cut = url;
    int end = indexOfAny(cut, ';', '?');
    if (end >= 0) {
      cut = cut.substring(0, end);
    }
    int at = cut.lastIndexOf('@');
    int slashes = cut.indexOf("//");
    if (at >= 0 && slashes >= 0 && at > slashes) {
      cut = cut.substring(0, slashes + 2) + cut.substring(at + 1);
    }
    return cut;
  }

  private static int indexOfAny(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == a || s.charAt(i) == b) {
        return i;
      }
    }
    return -1;
  }

  /** At most {@code max} chars, never cutting a surrogate pair in two; null stays null. */
  static String truncate(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }

  /**
   * Checks a value that is part of a key against its column's length, so an overlong value fails
   * with a message naming it instead of a driver's "value too long" (or a silent cut).
   */
  static String checkLength(String what, String value, int max) {
    if (value == null) {
      throw new IllegalArgumentException(what + ": required");
    }
    if (value.length() > max) {
      throw new IllegalArgumentException(
          what + ": " + value.length() + " characters, at most " + max + " are stored");
    }
    return value;
  }

  /**
   * Connects to {@code spec}'s database. Messages start with {@code what} and the URL without its
   * credentials, and a driver's message that repeats the URL or the password is scrubbed of both.
   */
  static Connection connect(JobSpec.ControlSpec spec, String what) throws SQLException {
    return connect(spec, what, null);
  }

  /**
   * As {@link #connect(JobSpec.ControlSpec, String)}, with the driver's connect and socket read
   * timeouts set to {@code timeout} (when not null): PostgreSQL's connectTimeout, loginTimeout and
   * socketTimeout (seconds), SQL Server's loginTimeout (seconds) and socketTimeout (milliseconds).
   * H2 runs in the process, or through its AUTO_SERVER socket, which has no such setting.
   */
  static Connection connect(JobSpec.ControlSpec spec, String what, Duration timeout)
      throws SQLException {
    return connect(spec.url(), spec.user(), spec.password(), what, timeout);
  }

  /**
   * Connects to the database at {@code url} (H2, PostgreSQL or SQL Server), as {@link
   * #connect(JobSpec.ControlSpec, String, Duration)} does: messages start with {@code what} and the
   * URL without its credentials, and never hold the password.
   *
   * @param password the password itself (read from the environment by the caller), or null
   * @param timeout the connect and socket read timeout, or null for the driver's default
   */
  public static Connection connect(
      String url, String user, String password, String what, Duration timeout) throws SQLException {
    Dialect dialect = Dialect.forUrl(url);
    String where = redact(url);
    try {
      // Loads the driver with this class's loader: DriverManager alone may not see drivers that
      // came in a job jar (Flink's user-code class loader).
      Class.forName(dialect.driverClass());
    } catch (ClassNotFoundException e) {
      throw new SQLException(
          what + " " + where + ": JDBC driver " + dialect.driverClass() + " not found", e);
    }
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    if (timeout != null) {
      String seconds = Long.toString(Math.max(1, timeout.toSeconds()));
      switch (dialect) {
        case POSTGRESQL -> {
          props.setProperty("connectTimeout", seconds);
          props.setProperty("loginTimeout", seconds);
          props.setProperty("socketTimeout", seconds);
        }
        case SQLSERVER -> {
          props.setProperty("loginTimeout", seconds);
          props.setProperty("socketTimeout", Long.toString(timeout.toMillis()));
        }
        case H2 -> {}
      }
    }
    try {
      return DriverManager.getConnection(url, props);
    } catch (SQLException e) {
      throw connectFailed(what, url, where, password, e);
    }
  }

  private static SQLException connectFailed(
      String what, String url, String where, String password, SQLException e) {
    String message = String.valueOf(e.getMessage());
    boolean leaks =
        (password != null && !password.isEmpty() && message.contains(password))
            || (!url.equals(where) && message.contains(url));
    if (leaks) {
      message = message.replace(url, where);
      if (password != null && !password.isEmpty()) {
        message = message.replace(password, "****");
      }
    }
    return new SQLException(
        what + " " + where + ": cannot connect: " + message,
        e.getSQLState(),
        e.getErrorCode(),
        leaks ? null : e);
  }
}
