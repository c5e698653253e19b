package io.copyjob.store;

import com.google.common.collect.AbstractIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.function.Function;
import java.util.function.Predicate;

/** Listings made from an SDK's lazily paged iterator. */
public final class Listings {
  private Listings() {}

  /**
   * A listing of {@code items}, each turned into a file by {@code toFile} (null: not a file, such
   * as a virtual folder, and skipped). Folder markers ({@code isMarker}: zero bytes under a name
   * ending in '/', as the S3 and Azure consoles make them) are skipped and counted; an object
   * ending in '/' with content is a file like any other. A service error while paging becomes an
   * UncheckedIOException made by {@code toIOException}, which names the connection and what was
   * listed.
   */
  public static <T> Listing mapped(
      Iterator<T> items,
      Predicate<T> isMarker,
      Function<T, FileInfo> toFile,
      Function<RuntimeException, IOException> toIOException) {
    class Mapped extends AbstractIterator<FileInfo> implements Listing {
      private long markers;

      @Override
      protected FileInfo computeNext() {
        try {
          while (items.hasNext()) {
            T item = items.next();
            if (isMarker.test(item)) {
              markers++;
              continue;
            }
            FileInfo file = toFile.apply(item);
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

      @Override
      public long markersSkipped() {
        return markers;
      }
    }
    return new Mapped();
  }
}
