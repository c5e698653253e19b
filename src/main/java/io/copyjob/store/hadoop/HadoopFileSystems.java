package io.copyjob.store.hadoop;

import io.copyjob.spec.Connection;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.Map;
import javax.security.auth.kerberos.KerberosPrincipal;
import javax.security.auth.kerberos.KeyTab;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.hadoop.security.UserGroupInformation;

/** Opens a Hadoop file system as a {@code hadoop} connection says: settings, secrets, Kerberos. */
final class HadoopFileSystems {
  private HadoopFileSystems() {}

  /**
   * A file system instance of its own (not Hadoop's shared cache, so that closing the store closes
   * it and nothing else), for the scheme and authority of {@code root}.
   *
   * <p>Settings, weakest first: Hadoop's defaults and any site files on the classpath; {@code
   * core-site.xml} and {@code hdfs-site.xml} of {@code HADOOP_CONF_DIR}, as Hadoop's own commands
   * read them; timeouts bounded by {@code requestTimeout} (Hadoop's defaults retry a dead NameNode
   * for about 15 minutes); the connection's {@code conf}; its {@code confEnv} secrets.
   *
   * <p>Kerberos: a login from the keytab, held by this file system alone (its UGI), so that two
   * connections may log in as two principals. Hadoop's security mode is process-wide: once one
   * connection logs in, the JVM speaks Kerberos to every Hadoop file system.
   */
  static FileSystem open(
      URI root, Connection.Hadoop connection, String name, Duration requestTimeout)
      throws IOException {
    Configuration conf = new Configuration();
    String confDir = System.getenv("HADOOP_CONF_DIR");
    if (confDir != null && !confDir.isEmpty()) {
      for (String site : new String[] {"core-site.xml", "hdfs-site.xml"}) {
        java.nio.file.Path file = java.nio.file.Path.of(confDir, site);
        if (Files.isReadable(file)) {
          conf.addResource(new org.apache.hadoop.fs.Path(file.toUri()));
        }
      }
    }
    timeouts(conf, requestTimeout);
    if (connection != null) {
      connection.conf().forEach(conf::set);
      for (Map.Entry<String, String> secret : connection.confEnv().entrySet()) {
        conf.set(secret.getKey(), connection.secret(secret.getValue()));
      }
    }
    URI fsUri = URI.create(root.getScheme() + "://" + root.getRawAuthority() + "/");
    PrivilegedExceptionAction<FileSystem> newInstance =
        () -> {
          try {
            return FileSystem.newInstance(fsUri, conf);
          } catch (RuntimeException e) {
            // core-default.xml names a class for adl:// (fs.adl.impl) that is not bundled.
            for (Throwable t = e; t != null; t = t.getCause()) {
              if (t instanceof ClassNotFoundException) {
                throw new ConnectorMissing(e);
              }
            }
            throw e;
          }
        };
    // Logged in before the file system's errors are described: a failed login is its own line.
    UserGroupInformation user =
        connection != null && connection.kerberosPrincipal() != null
            ? login(connection, conf, name)
            : null;
    try {
      return user != null ? user.doAs(newInstance) : newInstance.run();
    } catch (UnsupportedFileSystemException | ConnectorMissing e) {
      throw new IOException(
          name
              + ": no Hadoop file system for "
              + root.getScheme()
              + "://"
              + connector(root.getScheme()),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(name + ": interrupted while opening " + root, e);
    } catch (IOException e) {
      throw HadoopErrors.of(name, root.toString(), e);
    } catch (Exception e) {
      throw new IOException(name + ": cannot open " + root + ": " + e.getMessage(), e);
    }
  }

  /** A connector class Hadoop's defaults name and the classpath lacks. */
  private static final class ConnectorMissing extends IOException {
    ConnectorMissing(Throwable cause) {
      super(cause);
    }
  }

  /** What to add for a scheme whose connector is not in copyjob's jar. */
  private static String connector(String scheme) {
    return switch (scheme) {
      case "adl" ->
          " (ADLS Gen1 needs org.apache.hadoop:hadoop-azure-datalake 3.4.1 and its"
              + " com.microsoft.azure:azure-data-lake-store-sdk on the classpath: COPYJOB_CLASSPATH)";
      case "o3fs", "ofs" ->
          " (Ozone needs org.apache.ozone:ozone-filesystem-hadoop3 on the classpath:"
              + " COPYJOB_CLASSPATH)";
      default -> " (its connector is not on the classpath: add it with COPYJOB_CLASSPATH)";
    };
  }

  /**
   * Bounds on waiting for a server that does not answer, unless the job file sets them: a connect
   * attempt and an RPC or socket read take at most {@code requestTimeout}, and a NameNode that
   * refuses or times out connections is tried three times, not Hadoop's 11 and 46.
   */
  private static void timeouts(Configuration conf, Duration requestTimeout) {
    String millis = Long.toString(requestTimeout.toMillis());
    conf.set("ipc.client.connect.timeout", millis);
    conf.set("ipc.client.connect.max.retries", "2");
    conf.set("ipc.client.connect.max.retries.on.timeouts", "2");
    conf.set("ipc.client.rpc-timeout.ms", millis);
    conf.set("dfs.client.socket-timeout", millis);
    conf.set("dfs.webhdfs.socket.connect-timeout", millis + "ms");
    conf.set("dfs.webhdfs.socket.read-timeout", millis + "ms");
  }

  /** Logs in from the connection's keytab: one line naming the connection if it cannot. */
  private static UserGroupInformation login(
      Connection.Hadoop connection, Configuration conf, String name) throws IOException {
    java.nio.file.Path keytab = java.nio.file.Path.of(connection.kerberosKeytab());
    if (!Files.isReadable(keytab)) {
      throw new IOException(name + ": keytab " + keytab + " is missing or not readable");
    }
    conf.set("hadoop.security.authentication", "kerberos");
    UserGroupInformation.setConfiguration(conf);
    if (!holdsKeyFor(keytab, connection.kerberosPrincipal())) {
      // The JDK's own words for this are "Unable to obtain password from user".
      throw new IOException(
          name
              + ": keytab "
              + keytab
              + " holds no key for "
              + connection.kerberosPrincipal()
              + " (a keytab of another principal, or not a keytab)");
    }
    try {
      return UserGroupInformation.loginUserFromKeytabAndReturnUGI(
          connection.kerberosPrincipal(), keytab.toString());
    } catch (IOException e) {
      throw new IOException(
          name
              + ": Kerberos login of "
              + connection.kerberosPrincipal()
              + " from "
              + keytab
              + " failed: "
              + loginProblem(e),
          e);
    }
  }

  /** Whether {@code keytab} holds a key of {@code principal}, as the JDK's login will look. */
  private static boolean holdsKeyFor(java.nio.file.Path keytab, String principal) {
    try {
      return KeyTab.getInstance(keytab.toFile()).getKeys(new KerberosPrincipal(principal)).length
          > 0;
    } catch (IllegalArgumentException e) {
      return true; // a principal without a realm and no default realm: the login says so
    }
  }

  /** The KDC's or the JDK's words (Hadoop's message around them repeats the principal). */
  private static String loginProblem(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof javax.security.auth.login.LoginException) {
        return HadoopErrors.firstLine(t);
      }
    }
    return HadoopErrors.firstLine(e);
  }
}
