package io.copyjob.tabular;

import static org.junit.Assert.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.Assume;

/**
 * A sink database for one test: an in-memory H2 database of its own, or a schema of its own on the
 * PostgreSQL of COPYJOB_TEST_PG_URL (dropped by {@link #drop}), so tests never see each other's
 * rows.
 */
abstract class SinkDatabase {
  /** The job file's {@code sink.database} block. */
  abstract String yaml();

  abstract Connection connect() throws SQLException;

  abstract void drop() throws SQLException;

  /** Runs statements. */
  void execute(String... sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  /** The rows of a query, each as its columns' values in Java, joined by " | ". */
  List<String> rows(String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          values.add(String.valueOf(Values.read(rs, i)));
        }
        rows.add(String.join(" | ", values));
      }
    }
    return rows;
  }

  static SinkDatabase h2() {
    String url = "jdbc:h2:mem:sink-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    return new SinkDatabase() {
      @Override
      String yaml() {
        return "  database: {url: '" + url + "'}\n";
      }

      @Override
      Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
      }

      @Override
      void drop() throws SQLException {
        execute("SHUTDOWN");
      }
    };
  }

  /**
   * An in-memory H2 database in its MSSQLServer mode: what the SQL Server dialect is tested on (no
   * SQL Server runs here). The URL's mode chooses that dialect.
   */
  static SinkDatabase sqlServerMode() {
    String url =
        "jdbc:h2:mem:sink-"
            + UUID.randomUUID()
            + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;CASE_INSENSITIVE_IDENTIFIERS=TRUE"
            + ";DB_CLOSE_DELAY=-1";
    return new SinkDatabase() {
      @Override
      String yaml() {
        return "  database: {url: '" + url + "'}\n";
      }

      @Override
      Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
      }

      @Override
      void drop() throws SQLException {
        execute("SHUTDOWN");
      }
    };
  }

  static SinkDatabase postgres() {
    String base = System.getenv("COPYJOB_TEST_PG_URL");
    String user = System.getenv("COPYJOB_TEST_PG_USER");
    if (base == null || base.isBlank()) {
      if ("1".equals(System.getenv("COPYJOB_REQUIRE_PG"))) {
        fail("COPYJOB_REQUIRE_PG=1 but COPYJOB_TEST_PG_URL is not set");
      }
      Assume.assumeTrue("COPYJOB_TEST_PG_URL not set: PostgreSQL tests skipped", false);
    }
    String schema =
        "copyjob_sink_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    try (Connection c = DriverManager.getConnection(base, user, password());
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return new SinkDatabase() {
      @Override
      String yaml() {
        return "  database: {url: '"
            + url
            + "', user: "
            + user
            + ", passwordEnv: COPYJOB_TEST_PG_PASSWORD}\n";
      }

      @Override
      Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password());
      }

      @Override
      void drop() throws SQLException {
        try (Connection c = DriverManager.getConnection(base, user, password());
            Statement st = c.createStatement()) {
          st.execute("DROP SCHEMA " + schema + " CASCADE");
        }
      }
    };
  }

  private static String password() {
    return System.getenv("COPYJOB_TEST_PG_PASSWORD");
  }
}
