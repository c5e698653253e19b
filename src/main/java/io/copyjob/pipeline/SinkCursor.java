package io.copyjob.pipeline;

import io.copyjob.store.FileInfo;
import io.copyjob.store.Listing;
import io.copyjob.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.function.Supplier;

/**
 * What the sink holds at the keys a partition's files land on, read from one streamed listing of
 * the sink instead of one request per file: a merge of two listings in key order, so memory stays
 * flat however many files the partition has.
 *
 * <p>It answers only while both sides come in strictly increasing key order: a store that does not
 * list in order, a key mapping that reorders keys, or a listing that fails makes it answer {@link
 * #unknown()} from then on, and the copier asks the sink for those files one by one.
 */
final class SinkCursor implements AutoCloseable {
  /** Key order as S3 and Azure list: by code point, which is the order of the UTF-8 bytes. */
  static final Comparator<String> KEY_ORDER =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int ca = a.codePointAt(i);
          int cb = b.codePointAt(j);
          if (ca != cb) {
            return Integer.compare(ca, cb);
          }
          i += Character.charCount(ca);
          j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };

  /** What the sink holds at one key. */
  record Lookup(boolean known, FileInfo file) {}

  private static final Lookup UNKNOWN = new Lookup(false, null);
  private static final Lookup ABSENT = new Lookup(true, null);

  private final Supplier<Listing> opener;
  private Listing listing;
  private FileInfo current;
  private String lastAsked;
  private boolean usable = true;

  /**
   * @param opener opens the sink's listing on the first question; an UncheckedIOException there (or
   *     later while paging) makes the cursor answer unknown
   */
  SinkCursor(Supplier<Listing> opener) {
    this.opener = opener;
  }

  /** A cursor for a store that does not list in key order: it always answers unknown. */
  static SinkCursor none() {
    SinkCursor cursor = new SinkCursor(() -> null);
    cursor.usable = false;
    return cursor;
  }

  /** Opens a cursor on {@code sink}'s files below {@code prefix}, when the sink lists in order. */
  static SinkCursor over(Store sink, String prefix, boolean recursive) {
    if (!sink.listsInKeyOrder()) {
      return none();
    }
    return new SinkCursor(
        () -> {
          try {
            return sink.list(prefix, recursive);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** What the sink holds at {@code key}; keys must be asked in increasing order to be answered. */
  Lookup find(String key) {
    if (!usable) {
      return UNKNOWN;
    }
    if (lastAsked != null && KEY_ORDER.compare(key, lastAsked) <= 0) {
      return giveUp();
    }
    lastAsked = key;
    try {
      if (listing == null) {
        listing = opener.get();
        current = listing.hasNext() ? listing.next() : null;
      }
      while (current != null && KEY_ORDER.compare(current.key(), key) < 0) {
        FileInfo next = listing.hasNext() ? listing.next() : null;
        if (next != null && KEY_ORDER.compare(next.key(), current.key()) <= 0) {
          return giveUp();
        }
        current = next;
      }
    } catch (UncheckedIOException | IllegalArgumentException e) {
      return giveUp();
    }
    return current != null && current.key().equals(key) ? new Lookup(true, current) : ABSENT;
  }

  /** An answer that says nothing. */
  static Lookup unknown() {
    return UNKNOWN;
  }

  private Lookup giveUp() {
    usable = false;
    return UNKNOWN;
  }

  @Override
  public void close() throws IOException {
    if (listing != null) {
      listing.close();
    }
  }
}
