package io.copyjob.store;

import java.io.IOException;
import java.util.Iterator;

/**
 * A listing that is fetched page by page while it is iterated, so that a prefix of millions of
 * files never sits in memory whole. Close it when done, even when not iterated to the end.
 */
public interface Listing extends Iterator<FileInfo>, AutoCloseable {
  @Override
  void close() throws IOException;

  /**
   * The folder markers passed over so far: zero-byte objects whose key ends in '/', which tools
   * make to show a folder (an object ending in '/' with content is a file and is listed).
   */
  default long markersSkipped() {
    return 0;
  }
}
