package io.copyjob.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;

/** Listings made from an SDK's lazily paged iterator. */
public final class Listings {
  private Listings() {}

  /**
   * A listing of {@code items}, each turned into a file by {@code toFile} (null: not a file, such
   * as a folder marker, and skipped). A service error while paging becomes an UncheckedIOException
   * made by {@code toIOException}, which names the connection and what was listed.
   */
  public static <T> Listing mapped(
      Iterator<T> items,
      Function<T, FileInfo> toFile,
      Function<RuntimeException, IOException> toIOException) {
    return new Listing() {
      private FileInfo next;

      @Override
      public boolean hasNext() {
        try {
          while (next == null && items.hasNext()) {
            next = toFile.apply(items.next());
          }
        } catch (UncheckedIOException e) {
          throw e;
        } catch (RuntimeException e) {
          throw new UncheckedIOException(toIOException.apply(e));
        }
        return next != null;
      }

      @Override
      public FileInfo next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        FileInfo result = next;
        next = null;
        return result;
      }

      @Override
      public void close() {}
    };
  }
}
