package io.copyjob.store;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;

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

  /**
   * The entries passed over since the last call that a person would take for files: on a local
   * disk, a link to a folder (not followed: links can make cycles), a link whose target is gone, a
   * named pipe, a socket or a device. Each is said, never dropped without a word. Empty for stores
   * whose listings hold files alone.
   */
  default List<Skipped> takeSkipped() {
    return List.of();
  }

  /**
   * An entry passed over: its key as a file's would be, and why it is not copied.
   *
   * @param failure whether it is a file that should have been copied (a failure of its partition),
   *     not an entry that is no file
   */
  record Skipped(String key, String reason, boolean failure) {
    public Skipped(String key, String reason) {
      this(key, reason, false);
    }
  }
}
