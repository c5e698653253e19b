package io.copyjob.tabular.pipeline;

import io.copyjob.tabular.RowReader;
import io.copyjob.tabular.RowRejected;
import io.copyjob.tabular.SourceRow;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A piece's rows read and mapped on a thread of their own, a few chunks ahead of the caller, who
 * writes them: parsing and converting the next rows overlaps the database's work on the batch
 * before, which the writer otherwise waits for doing nothing. Rows come out in the reader's order,
 * each either mapped or with the reason the mapping refused it; a failure of the reader comes out
 * where it happened, after every row before it. At most {@link #CHUNKS_AHEAD} chunks of {@link
 * #CHUNK} rows wait, so memory stays bounded whatever the piece's size. Used by one thread.
 */
final class ReadAhead implements AutoCloseable {
  static final int CHUNK = 1_000;
  static final int CHUNKS_AHEAD = 4;

  /** Maps a source row to the sink's values, or refuses it ({@code RowMapper.Bound::map}). */
  interface Mapper {
    Object[] map(SourceRow row) throws RowRejected;
  }

  /** A row read: its values for the sink, or (values null) the reason it cannot be written. */
  record Item(SourceRow row, Object[] values, RowRejected rejected) {}

  private record Failure(Throwable cause) {}

  private static final Object END = new Object();

  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(CHUNKS_AHEAD);
  private final Thread thread;
  private List<Item> chunk = List.of();
  private int next;
  private boolean ended;

  /**
   * Starts reading after {@code first}, which the caller has read already (to bind the mapping).
   */
  ReadAhead(RowReader reader, SourceRow first, Mapper mapper) {
    this.thread =
        new Thread(() -> produce(reader, first, mapper), "copyjob-read-ahead " + reader.where());
    thread.setDaemon(true);
    thread.start();
  }

  private void produce(RowReader reader, SourceRow first, Mapper mapper) {
    try {
      List<Item> rows = new ArrayList<>(CHUNK);
      for (SourceRow row = first; row != null; row = reader.next()) {
        try {
          rows.add(new Item(row, mapper.map(row), null));
        } catch (RowRejected why) {
          rows.add(new Item(row, null, why));
        }
        if (rows.size() == CHUNK) {
          queue.put(rows);
          rows = new ArrayList<>(CHUNK);
        }
      }
      if (!rows.isEmpty()) {
        queue.put(rows);
      }
      queue.put(END);
    } catch (InterruptedException e) {
      // Closed: the caller reads no more.
    } catch (Throwable e) { // handed to the caller, who reports it where it happened
      try {
        queue.put(new Failure(e));
      } catch (InterruptedException closed) {
        // Closed meanwhile: nobody waits for it.
      }
    }
  }

  /** The next row, or null after the last one; the reader's failure where it happened. */
  Item next() throws IOException {
    while (next == chunk.size()) {
      if (ended) {
        return null;
      }
      Object taken;
      try {
        taken = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading rows");
      }
      if (taken == END) {
        ended = true;
        return null;
      }
      if (taken instanceof Failure failure) {
        ended = true;
        throw rethrown(failure.cause());
      }
      @SuppressWarnings("unchecked")
      List<Item> rows = (List<Item>) taken;
      chunk = rows;
      next = 0;
    }
    return chunk.get(next++);
  }

  private static IOException rethrown(Throwable e) {
    if (e instanceof IOException io) {
      return io;
    }
    if (e instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (e instanceof Error error) {
      throw error;
    }
    return new IOException(e);
  }

  /**
   * Stops the reading thread and waits for it, so that the caller may close the reader: a thread
   * blocked on a full queue stops at once; one inside a read stops when that read returns (a
   * store's request timeout bounds it).
   */
  @Override
  public void close() {
    thread.interrupt();
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
