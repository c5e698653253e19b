package io.copyjob.store;

import com.google.common.collect.AbstractIterator;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Files below a local folder ({@code file:///path/}). Listing walks one directory at a time, so
 * memory grows with the depth of the tree, not the number of files. Writes go to a hidden temporary
 * file beside the target, renamed into place when complete.
 */
public final class LocalStore implements Store {
  static final String TEMP_MARK = ".copyjob-";
  private static final int BUFFER = 1 << 20;

  private final Path root;
  private final URI rootUri;

  public LocalStore(URI rootUri) {
    this.root = Paths.get(rootUri).toAbsolutePath().normalize();
    this.rootUri = root.toUri();
  }

  @Override
  public URI root() {
    return rootUri;
  }

  @Override
  public void prepare(boolean create) throws IOException {
    if (Files.isDirectory(root)) {
      return;
    }
    if (!create) {
      throw new IOException("folder " + root + " does not exist");
    }
    Files.createDirectories(root);
  }

  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    int slash = prefix.lastIndexOf('/');
    String dirPart = prefix.substring(0, slash + 1);
    String namePart = prefix.substring(slash + 1);
    Path dir = resolve(dirPart);
    if (!Files.isDirectory(dir)) {
      return new WalkListing(null, "", "", recursive);
    }
    return new WalkListing(dir, dirPart, namePart, recursive);
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    Path file = resolve(key);
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      return attrs.isRegularFile() ? Optional.of(info(key, attrs)) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    Path file = resolve(key);
    if (!Files.isRegularFile(file)) {
      throw new FileNotFoundException(rootUri + key);
    }
    return Files.newInputStream(file);
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    MessageDigest md5 = Checksums.newMd5();
    BasicFileAttributes attrs =
        writeThroughTemp(
            resolve(key),
            source.lastModified(),
            temp -> {
              long written = 0;
              try (OutputStream out = Files.newOutputStream(temp)) {
                byte[] buffer = new byte[BUFFER];
                for (int n; (n = content.read(buffer)) != -1; ) {
                  out.write(buffer, 0, n);
                  md5.update(buffer, 0, n);
                  written += n;
                }
              }
              if (written != source.size()) {
                throw new IOException(
                    "read "
                        + written
                        + " bytes of "
                        + source.key()
                        + ", expected "
                        + source.size());
              }
            });
    return new FileInfo(key, attrs.size(), attrs.lastModifiedTime().toInstant(), hex(md5));
  }

  /**
   * A file of another local folder is copied by the kernel (as {@code cp} does, without its bytes
   * passing through the JVM) and then verified by reading both back: their CRC32C, which the CPU
   * computes at memory speed, must be equal. The file then replaces the target as {@link #put}
   * does. Any other source is streamed.
   */
  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return Optional.of(this::copyFrom);
  }

  private FileInfo copyFrom(Store from, FileInfo file, String key) throws IOException {
    if (!(ForwardingStore.unwrap(from) instanceof LocalStore local)) {
      throw new CantCopyException("streamed", null);
    }
    Path source = local.resolve(file.key());
    BasicFileAttributes attrs =
        writeThroughTemp(
            resolve(key),
            file.lastModified(),
            temp -> {
              try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                  FileChannel out =
                      FileChannel.open(
                          temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                long size = in.size();
                if (size != file.size()) {
                  throw new IOException(
                      rootUri
                          + file.key()
                          + " has "
                          + size
                          + " bytes, the listing said "
                          + file.size());
                }
                for (long done = 0; done < size; ) {
                  long n = in.transferTo(done, size - done, out);
                  if (n <= 0) {
                    throw new IOException("copy of " + file.key() + " stopped at byte " + done);
                  }
                  done += n;
                }
              }
              if (crc32c(source) != crc32c(temp)) {
                throw new IOException(
                    "copy of "
                        + file.key()
                        + " differs from its source (CRC32C of both read back)");
              }
            });
    return info(key, attrs);
  }

  /** Fills a temporary file beside the target; {@link #writeThroughTemp} renames it into place. */
  private interface TempWriter {
    void write(Path temp) throws IOException;
  }

  /**
   * Writes the target through a hidden temporary file beside it, which takes the source's last
   * modified time and is renamed into place once complete, or removed when anything fails: the
   * target is never seen half written.
   */
  private static BasicFileAttributes writeThroughTemp(
      Path target, Instant lastModified, TempWriter writer) throws IOException {
    Files.createDirectories(target.getParent());
    Path temp =
        target.resolveSibling("." + target.getFileName() + TEMP_MARK + UUID.randomUUID() + ".tmp");
    try {
      writer.write(temp);
      if (lastModified != null) {
        Files.setLastModifiedTime(temp, FileTime.from(lastModified));
      }
      moveIntoPlace(temp, target);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return Files.readAttributes(target, BasicFileAttributes.class);
  }

  private static long crc32c(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (in.read(buffer.clear()) != -1) {
        crc.update(buffer.flip());
      }
    }
    return crc.getValue();
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(resolve(key));
  }

  private static void moveIntoPlace(Path temp, Path target) throws IOException {
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String hex(MessageDigest md5) {
    return Checksums.hex(md5.digest());
  }

  private Path resolve(String key) throws IOException {
    Path path = root.resolve(key).normalize();
    if (!path.startsWith(root)) {
      throw new IOException("key escapes the root " + rootUri + ": " + key);
    }
    return path;
  }

  private static FileInfo info(String key, BasicFileAttributes attrs) {
    return new FileInfo(key, attrs.size(), attrs.lastModifiedTime().toInstant(), null);
  }

  private static boolean isTemp(String name) {
    return name.startsWith(".") && name.contains(TEMP_MARK) && name.endsWith(".tmp");
  }

  /** A depth-first walk holding one open directory stream per level. */
  private static final class WalkListing extends AbstractIterator<FileInfo> implements Listing {
    private final Deque<Level> levels = new ArrayDeque<>();
    private final boolean recursive;

    private record Level(DirectoryStream<Path> stream, Iterator<Path> entries, String keyPrefix) {}

    WalkListing(Path dir, String keyPrefix, String namePart, boolean recursive) throws IOException {
      this.recursive = recursive;
      if (dir != null) {
        DirectoryStream<Path> stream =
            Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(namePart));
        levels.push(new Level(stream, stream.iterator(), keyPrefix));
      }
    }

    @Override
    protected FileInfo computeNext() {
      try {
        while (!levels.isEmpty()) {
          Level level = levels.peek();
          if (!level.entries.hasNext()) {
            levels.pop().stream.close();
            continue;
          }
          Path entry = level.entries.next();
          String name = entry.getFileName().toString();
          BasicFileAttributes attrs =
              Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (attrs.isSymbolicLink()) {
            attrs = Files.readAttributes(entry, BasicFileAttributes.class);
            if (attrs.isDirectory()) {
              continue; // directory links are not followed: they can make cycles
            }
          }
          if (attrs.isRegularFile() && !isTemp(name)) {
            return info(level.keyPrefix + name, attrs);
          } else if (attrs.isDirectory() && recursive) {
            DirectoryStream<Path> stream = Files.newDirectoryStream(entry);
            levels.push(new Level(stream, stream.iterator(), level.keyPrefix + name + "/"));
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return endOfData();
    }

    @Override
    public void close() throws IOException {
      while (!levels.isEmpty()) {
        levels.pop().stream.close();
      }
    }
  }
}
