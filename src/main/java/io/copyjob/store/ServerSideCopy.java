package io.copyjob.store;

import java.io.IOException;

/** The capability of a sink store to copy a file without it passing through the worker. */
public interface ServerSideCopy {
  /** Copies {@code file} from {@code source} to {@code key} in this store, without caps. */
  default FileInfo copy(Store source, FileInfo file, String key) throws IOException {
    return copy(source, file, key, Throttle.NONE);
  }

  /**
   * Copies {@code file} from {@code source} to {@code key} in this store.
   *
   * @param throttle asked before each request the copy makes, and for the bytes it moves before
   *     they move or, where one request moves them all, before the copy completes; never for bytes
   *     it did not move, so that a copy refused ({@link CantCopyException}) and then streamed is
   *     counted once
   * @return the written file as the sink reports it
   * @throws CantCopyException when this pair of stores cannot do it; the caller then streams
   */
  FileInfo copy(Store source, FileInfo file, String key, Throttle throttle) throws IOException;
}
