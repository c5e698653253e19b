package io.copyjob.store.hadoop;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import org.apache.hadoop.ipc.RemoteException;
import org.apache.hadoop.security.AccessControlException;

/** Hadoop's exceptions as one line naming the connection and what was asked. */
final class HadoopErrors {
  private HadoopErrors() {}

  /**
   * {@code connection 'x': hdfs://nn:8020/data/: <what went wrong>}, keeping the exception's type
   * where callers tell them apart (a missing file). Hadoop's messages name paths and hosts, never
   * configuration values, so no secret reaches them.
   */
  static IOException of(String name, String where, IOException e) {
    IOException cause = e instanceof RemoteException remote ? unwrap(remote) : e;
    String line = name + ": " + where + ": " + describe(cause);
    if (cause instanceof FileNotFoundException) {
      FileNotFoundException missing = new FileNotFoundException(line);
      missing.initCause(e);
      return missing;
    }
    return new IOException(line, e);
  }

  private static IOException unwrap(RemoteException remote) {
    return remote.unwrapRemoteException(FileNotFoundException.class, AccessControlException.class);
  }

  private static String describe(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return "nothing answers (connection refused): " + firstLine(t);
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
      if (t instanceof SocketTimeoutException) {
        return "no answer in time: " + firstLine(t);
      }
    }
    if (e instanceof AccessControlException) {
      return "permission denied: " + firstLine(e);
    }
    return firstLine(e);
  }

  /**
   * The first line of a message: Hadoop's remote errors append the server's stack, and its network
   * errors a link to its wiki.
   */
  static String firstLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    int wiki = line.indexOf("; For more details see:");
    return wiki < 0 ? line : line.substring(0, wiki);
  }
}
