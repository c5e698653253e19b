package io.copyjob.tabular;

import io.copyjob.spec.TabularSpec.ColumnMapping;
import io.copyjob.spec.TabularSpec.Compression;
import io.copyjob.spec.TabularSpec.FileFormat;
import io.copyjob.spec.TabularSpec.TableSpec;
import io.copyjob.store.FileInfo;
import io.copyjob.store.Store;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/** Opens the reader of a source file's format, decompressed as the job file says. */
public final class RowReaders {
  private RowReaders() {}

  /**
   * Opens {@code file} of {@code store} for reading rows: the listed version, exactly its listed
   * size ({@link Store#open(FileInfo)}), gunzipped when the format says so or, with {@code auto},
   * when its name ends in {@code .gz} or {@code .gzip}.
   *
   * @param table the table the file is read for: the source fields its explicit mapping names are
   *     the columns of a JSON or Parquet file (else the first object's fields, or the schema's)
   */
  public static RowReader open(Store store, FileInfo file, FileFormat format, TableSpec table)
      throws IOException {
    String where = store.root() + file.key();
    InputStream in = store.open(file);
    try {
      InputStream content = new BufferedInputStream(in, 64 * 1024);
      if (file.size() > 0 && gzipped(file.key(), format.compression())) {
        try {
          content = new GZIPInputStream(content, 64 * 1024);
        } catch (java.util.zip.ZipException e) {
          throw new RowReadException(where + ": not a gzip file (" + e.getMessage() + ")", e);
        }
      }
      return switch (format.format()) {
        case CSV -> new CsvRowReader(content, format.csv(), where);
        case JSON -> new JsonRowReader(content, fields(table), table.ignoreCase(), where);
        case PARQUET -> new ParquetRowReader(content, fields(table), table.ignoreCase(), where);
      };
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** The field paths an explicit mapping names, in its order; empty without one. */
  private static List<String> fields(TableSpec table) {
    return table.columns().stream()
        .map(ColumnMapping::sourceName)
        .filter(Objects::nonNull)
        .distinct()
        .toList();
  }

  static boolean gzipped(String key, Compression compression) {
    return switch (compression) {
      case GZIP -> true;
      case NONE -> false;
      case AUTO -> {
        String lower = key.toLowerCase(Locale.ROOT);
        yield lower.endsWith(".gz") || lower.endsWith(".gzip");
      }
    };
  }
}
