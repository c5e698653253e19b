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
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Files below a local folder ({@code file:///path/}). Listing walks one directory at a time, so
 * memory grows with the depth of the tree, not the number of files. Writes go to a hidden temporary
 * file beside the target, renamed into place when complete: {@code
 * .NAME.copyjob-TAG-RUN-RANDOM.tmp} when the store is {@link #ownedBy} a run (see {@link
 * TempOwner}), so that a later run of the same job can remove what a killed one left.
 */
public final class LocalStore implements Store {
  static final String TEMP_MARK = TempNames.MARK;
  private static final int BUFFER = 1 << 20;

  /** The bytes a kernel copy moves per call, each chunk asking the byte cap first. */
  private static final long KERNEL_CHUNK = 8L << 20;

  /**
   * How far a file's modification time may lag this machine's clock: Linux stamps files from its
   * coarse clock, updated once a tick (1 to 10 ms); a file written just after {@code Instant.now()}
   * was seen here to carry a time 3 ms earlier.
   */
  private static final Duration KERNEL_TICK = Duration.ofMillis(10);

  /**
   * Keys a folder cannot hold under the same name: the file system (and {@link Path}) resolves them
   * to another file, or refuses them. Each was written here and read back under another name, or
   * refused.
   */
  private static final KeyRules KEY_RULES =
      KeyRules.of(
          KeyRules.rule(
              KeyRules.containsAny("\0"), "has a NUL character, which no file name can hold"),
          KeyRules.rule(
              key -> key.endsWith("/"),
              "ends in '/': a folder cannot hold content under that name"),
          KeyRules.rule(
              KeyRules.anySegment(String::isEmpty),
              "has an empty path segment ('//' or a leading '/'), which the file system collapses"),
          KeyRules.rule(
              KeyRules.anySegment(s -> s.equals(".") || s.equals("..")),
              "has a '.' or '..' path segment, which the file system resolves to another folder"),
          // NAME_MAX of Linux file systems, macOS and Windows: 255 bytes per name.
          KeyRules.rule(
              KeyRules.anySegment(s -> KeyRules.utf8Length(s) > 255),
              "has a path segment over 255 bytes, the most a file name can hold"));

  private final Path root;
  private final URI rootUri;
  private final TempOwner owner;

  public LocalStore(URI rootUri) {
    this(rootUri, null);
  }

  private LocalStore(URI rootUri, TempOwner owner) {
    this.root = Paths.get(rootUri).toAbsolutePath().normalize();
    this.rootUri = root.toUri();
    this.owner = owner;
  }

  @Override
  public URI root() {
    return rootUri;
  }

  /**
   * The folder must be there, and not under a mount point of {@code /etc/fstab} that is not mounted
   * (the empty folder under an unmounted share would pass for a source with no files).
   */
  @Override
  public void prepare(boolean create) throws IOException {
    if (Files.isDirectory(root)) {
      Optional<Path> unmounted =
          MountPoints.unmountedAbove(root.toRealPath(), MountPoints.FSTAB, MountPoints.MOUNTINFO);
      if (unmounted.isPresent()) {
        throw new IOException(
            "folder "
                + root
                + " is on "
                + unmounted.get()
                + ", which /etc/fstab mounts and is not mounted now");
      }
      return;
    }
    if (!create) {
      throw new IOException("folder " + root + " does not exist");
    }
    Files.createDirectories(root);
  }

  /**
   * The file system is not asked: FAT keeps two seconds, ext3 and HFS+ whole seconds, and a network
   * share its server's; ext4 and most others keep nanoseconds, for which this is merely cautious.
   */
  @Override
  public Duration timeResolution() {
    return DEFAULT_TIME_RESOLUTION;
  }

  /** This machine's clock, less the tick by which the kernel's file times may lag it. */
  @Override
  public Optional<Instant> now() {
    return Optional.of(Instant.now().minus(KERNEL_TICK));
  }

  /**
   * A root that is not a folder (missing, or a mount point whose file system is gone with it) is an
   * error, never an empty listing: an empty one would let a run record every partition done.
   */
  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new FileNotFoundException("folder " + root + " does not exist");
    }
    int slash = prefix.lastIndexOf('/');
    String dirPart = prefix.substring(0, slash + 1);
    String namePart = prefix.substring(slash + 1);
    Path dir = resolveFolder(dirPart);
    if (!Files.isDirectory(dir)) {
      return new WalkListing(null, "", "", recursive);
    }
    return new WalkListing(dir, dirPart, namePart, recursive);
  }

  @Override
  public Optional<String> keyProblem(String key) {
    Optional<String> problem = KEY_RULES.problem(key);
    if (problem.isPresent()) {
      return problem;
    }
    try {
      root.resolve(key);
    } catch (InvalidPathException e) {
      // Characters the platform's file name encoding (sun.jnu.encoding) cannot represent.
      return Optional.of("cannot be a file name here: " + e.getReason());
    }
    return Optional.empty();
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    if (keyProblem(key).isPresent()) {
      return Optional.empty(); // no file is there under exactly that name
    }
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

  /**
   * A file has no version tag: its listed size and modification time stand for one, checked when it
   * is opened and again at its end, before its last bytes are handed out.
   */
  @Override
  public SourceStream open(FileInfo file) throws IOException {
    Path path = resolve(file.key());
    InputStream in = open(file.key());
    try {
      checkUnchanged(path, file);
    } catch (IOException e) {
      in.close();
      throw e;
    }
    return new SourceStream(in, file, rootUri + file.key()) {
      @Override
      protected void checkUnchanged() throws IOException {
        LocalStore.this.checkUnchanged(path, file);
      }
    };
  }

  /** Throws a SourceChangedException when the file's size or time is not the listed one. */
  private void checkUnchanged(Path path, FileInfo listed) throws IOException {
    BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class);
    Instant modified = now.lastModifiedTime().toInstant();
    if (now.size() != listed.size()
        || (listed.lastModified() != null && !modified.equals(listed.lastModified()))) {
      throw new SourceChangedException(
          rootUri + listed.key(),
          "now "
              + now.size()
              + " bytes modified "
              + modified
              + ", listed "
              + listed.size()
              + " bytes modified "
              + listed.lastModified(),
          null);
    }
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
                // No larger than the file (a few KiB for a small one): a 1 MiB array per file
                // was most of what a copy of small files allocated.
                byte[] buffer = new byte[(int) Math.max(8192, Math.min(BUFFER, source.size()))];
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
   * computes at memory speed, must be equal, and the source must still have its listed size and
   * modification time. The file then replaces the target as {@link #put} does. Any other source is
   * streamed.
   */
  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return Optional.of(this::copyFrom);
  }

  private FileInfo copyFrom(Store from, FileInfo file, String key, Throttle throttle)
      throws IOException {
    if (!(ForwardingStore.unwrap(from) instanceof LocalStore local)) {
      throw new CantCopyException("streamed", null);
    }
    Path source = local.resolve(file.key());
    BasicFileAttributes attrs =
        writeThroughTemp(
            resolve(key),
            file.lastModified(),
            temp -> {
              local.checkUnchanged(source, file);
              try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                  FileChannel out =
                      FileChannel.open(
                          temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                // In chunks, each let through by the byte cap when its turn comes: one call for
                // the whole file would move it at the disk's speed, whatever the cap.
                long charged = 0;
                for (long done = 0; done < file.size(); ) {
                  long end = Math.min(file.size(), done + KERNEL_CHUNK);
                  if (end > charged) {
                    throttle.bytes(end - charged);
                    charged = end;
                  }
                  long n = in.transferTo(done, end - done, out);
                  if (n <= 0) {
                    throw new SourceChangedException(
                        local.rootUri + file.key(),
                        "it ended after " + done + " of the listed " + file.size() + " bytes",
                        null);
                  }
                  done += n;
                }
              }
              boolean same = crc32c(source) == crc32c(temp);
              // A file written to while it was copied or read back shows in its size or time.
              local.checkUnchanged(source, file);
              if (!same) {
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
  private BasicFileAttributes writeThroughTemp(Path target, Instant lastModified, TempWriter writer)
      throws IOException {
    Files.createDirectories(target.getParent());
    Path temp = tempFor(target);
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

  /** A hidden name beside the target (see {@link TempNames}). */
  private Path tempFor(Path target) {
    return target.resolveSibling(TempNames.beside(target.getFileName().toString(), owner));
  }

  @Override
  public Store ownedBy(TempOwner owner) {
    return new LocalStore(rootUri, owner);
  }

  /**
   * Walks the folder {@code prefix} lands in (that folder's own files, and the sub-folders whose
   * names the prefix covers, all the way down) and deletes the temporary files of the owner's job
   * that another run of it wrote.
   */
  @Override
  public long removeLeftovers(String prefix, TempOwner owner) throws IOException {
    int slash = prefix.lastIndexOf('/');
    Path dir = resolveFolder(prefix.substring(0, slash + 1));
    String namePart = prefix.substring(slash + 1);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long[] removed = {0};
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (isLeftover(name, owner)) {
          removed[0] += Files.deleteIfExists(entry) ? 1 : 0;
        } else if (name.startsWith(namePart)
            && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          Files.walkFileTree(
              entry,
              new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                    throws IOException {
                  if (isLeftover(file.getFileName().toString(), owner)) {
                    removed[0] += Files.deleteIfExists(file) ? 1 : 0;
                  }
                  return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e)
                    throws IOException {
                  if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // renamed into place while walked
                  }
                  throw e;
                }
              });
        }
      }
    }
    return removed[0];
  }

  private static boolean isLeftover(String name, TempOwner owner) {
    return TempNames.isLeftover(name, owner);
  }

  /**
   * The buffer each thread reads files back into, kept for its next file: one allocated per file
   * stayed outside the heap until the next collection (2 MiB per copied file, 2.5 GB resident on
   * 10,000 small files with a heap that seldom needed collecting), and zeroing it cost more CPU
   * than reading a small file.
   */
  private static final ThreadLocal<ByteBuffer> READ_BACK =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER));

  private static long crc32c(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buffer = READ_BACK.get();
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (in.read(buffer.clear()) != -1) {
        crc.update(buffer.flip());
      }
    }
    return crc.getValue();
  }

  @Override
  public void delete(String key) throws IOException {
    if (keyProblem(key).isEmpty()) {
      Files.deleteIfExists(resolve(key));
    }
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

  /**
   * The file of {@code key}, strictly below the root: a key this folder cannot hold under exactly
   * that name is refused with the reason, and so is any path that would leave the root or be the
   * root itself, so that nothing (a temporary file beside the target included) is ever written
   * outside it.
   */
  private Path resolve(String key) throws IOException {
    Optional<String> problem = keyProblem(key);
    if (problem.isPresent()) {
      throw new IOException(rootUri + key + ": " + problem.get());
    }
    Path path = root.resolve(key);
    if (!path.normalize().equals(path) || !path.startsWith(root) || path.equals(root)) {
      throw new IOException("key is not a file below the root " + rootUri + ": " + key);
    }
    return path;
  }

  /** The folder a listing starts from: the root, or a folder below it ({@code dirPart} "a/b/"). */
  private Path resolveFolder(String dirPart) throws IOException {
    Path path = root.resolve(dirPart).normalize();
    if (!path.startsWith(root)) {
      throw new IOException("prefix escapes the root " + rootUri + ": " + dirPart);
    }
    return path;
  }

  private static FileInfo info(String key, BasicFileAttributes attrs) {
    return new FileInfo(key, attrs.size(), attrs.lastModifiedTime().toInstant(), null);
  }

  /**
   * Whether {@code name}, the entry's name as Java decoded it, names the entry again: bytes that
   * are not valid in the JVM's file name charset (sun.jnu.encoding) are decoded as U+FFFD, and the
   * file cannot be opened by its key.
   */
  private static boolean namesAgain(Path entry, String name) {
    try {
      return entry.getFileSystem().getPath(name).equals(entry.getFileName());
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /** Why a file whose name does not decode is not copied, and what to do. */
  private static String unreadableName() {
    String charset = System.getProperty("sun.jnu.encoding", "the platform's charset");
    boolean utf8 = charset.equalsIgnoreCase("UTF-8") || charset.equalsIgnoreCase("UTF8");
    return "its name holds bytes that are not valid "
        + charset
        + ", so it cannot be opened by name"
        + (utf8
            ? "; rename it to valid UTF-8 to copy it"
            : " (no UTF-8 locale is set: run with LC_ALL=C.UTF-8, as scripts/copyjob does)");
  }

  private static boolean isTemp(String name) {
    return TempNames.isTemp(name);
  }

  /** A depth-first walk holding one open directory stream per level. */
  private static final class WalkListing extends AbstractIterator<FileInfo> implements Listing {
    private final Deque<Level> levels = new ArrayDeque<>();
    private final boolean recursive;
    private List<Skipped> skipped = new ArrayList<>();

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
          String key = level.keyPrefix + name;
          if (name.indexOf('\uFFFD') >= 0 && !namesAgain(entry, name)) {
            skipped.add(new Skipped(key, unreadableName(), true));
            continue;
          }
          BasicFileAttributes attrs =
              Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (attrs.isSymbolicLink()) {
            try {
              attrs = Files.readAttributes(entry, BasicFileAttributes.class);
            } catch (NoSuchFileException e) {
              skipped.add(new Skipped(key, "a symbolic link whose target is not there"));
              continue;
            }
            if (attrs.isDirectory()) {
              // Directory links are not followed: they can make cycles.
              if (recursive) {
                skipped.add(new Skipped(key, "a symbolic link to a folder, not followed"));
              }
              continue;
            }
          }
          if (attrs.isRegularFile()) {
            if (!isTemp(name)) {
              return info(key, attrs);
            }
          } else if (attrs.isDirectory()) {
            if (recursive) {
              DirectoryStream<Path> stream = Files.newDirectoryStream(entry);
              levels.push(new Level(stream, stream.iterator(), key + "/"));
            }
          } else {
            skipped.add(
                new Skipped(key, "not a regular file (a named pipe, a socket or a device)"));
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return endOfData();
    }

    @Override
    public List<Skipped> takeSkipped() {
      if (skipped.isEmpty()) {
        return List.of();
      }
      List<Skipped> taken = skipped;
      skipped = new ArrayList<>();
      return taken;
    }

    @Override
    public void close() throws IOException {
      while (!levels.isEmpty()) {
        levels.pop().stream.close();
      }
    }
  }
}
