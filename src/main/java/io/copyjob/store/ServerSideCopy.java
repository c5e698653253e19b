package io.copyjob.store;

import java.io.IOException;

/** The capability of a sink store to copy a file without it passing through the worker. */
public interface ServerSideCopy {
  /**
   * Copies {@code file} from {@code source} to {@code key} in this store.
   *
   * @return the written file as the sink reports it
   * @throws CantCopyException when this pair of stores cannot do it; the caller then streams
   */
  FileInfo copy(Store source, FileInfo file, String key) throws IOException;
}
