package io.copyjob.store;

import com.google.common.collect.AbstractIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
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
    class Mapped extends AbstractIterator<FileInfo> implements Listing {
      @Override
      protected FileInfo computeNext() {
        try {
          while (items.hasNext()) {
            FileInfo file = toFile.apply(items.next());
            if (file != null) {
              return file;
            }
          }
        } catch (UncheckedIOException e) {
          throw e;
        } catch (RuntimeException e) {
          throw new UncheckedIOException(toIOException.apply(e));
        }
        return endOfData();
      }

      @Override
      public void close() {}
    }
    return new Mapped();
  }
}
