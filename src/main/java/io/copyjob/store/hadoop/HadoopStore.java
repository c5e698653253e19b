package io.copyjob.store.hadoop;

import com.google.common.collect.AbstractIterator;
import io.copyjob.spec.Connection;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.KeyRules;
import io.copyjob.store.Listing;
import io.copyjob.store.SourceChangedException;
import io.copyjob.store.SourceStream;
import io.copyjob.store.Store;
import io.copyjob.store.StoreChecksum;
import io.copyjob.store.TempNames;
import io.copyjob.store.TempOwner;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.web.WebHdfsFileSystem;
import org.apache.hadoop.security.AccessControlException;
import org.apache.hadoop.util.DataChecksum;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files below a folder of any Hadoop file system ({@code hdfs://}, {@code webhdfs://}, {@code
 * adl://}...), through Hadoop's {@code FileSystem} API and the connector the root's scheme names
 * (see {@link HadoopFileSystems} for how one is opened).
 *
 * <p>Listing streams: {@code FileSystem.listFiles} is a remote iterator that fetches a directory's
 * entries in pages ({@code dfs.ls.limit}, 1000), never a whole directory at once. Writes go to a
 * hidden temporary file beside the target ({@link TempNames}, as a local folder's), which takes the
 * source's modification time and is renamed over the target when complete (atomically on HDFS and
 * WebHDFS, where rename can replace a file). Files carry no version tag: their listed size and
 * modification time stand for one, checked when a listed file is opened and again at its end.
 *
 * <p>Checksums: HDFS's file checksum ({@code getFileChecksum}, MD5-of-MD5-of-CRC32C) is made by the
 * DataNodes from the CRCs they keep of each block's chunks, so it depends on the block size and the
 * CRC settings as well as on the bytes. A copy from another Hadoop store is written in the source
 * file's block size and CRC settings (as DistCp's {@code -pb -pc}), unless the connection's {@code
 * conf} sets {@code dfs.blocksize}, so that the two checksums compare.
 */
public final class HadoopStore implements Store {
  private static final Logger LOG = LoggerFactory.getLogger(HadoopStore.class);
  private static final int BUFFER = 1 << 20;

  /** What {@code MD5MD5CRC32FileChecksum.getAlgorithmName} makes of its CRC settings. */
  private static final Pattern MD5_OF_CRCS = Pattern.compile("MD5-of-\\d+MD5-of-(\\d+)(CRC32C?)");

  /**
   * Keys Hadoop cannot hold under exactly that name. Each was written to a MiniDFSCluster (over RPC
   * and WebHDFS) and refused, or listed back under another name ({@code
   * HadoopStoreTest.everyNameItRefusesHadoopRefusesOrRenames}).
   */
  private static final KeyRules KEY_RULES =
      KeyRules.of(
          KeyRules.rule(
              KeyRules.containsAny("\0"), "has a NUL character, which HDFS refuses in a name"),
          KeyRules.rule(
              key -> key.endsWith("/"),
              "ends in '/': a Hadoop folder cannot hold content under that name"),
          KeyRules.rule(
              KeyRules.anySegment(String::isEmpty),
              "has an empty path segment ('//' or a leading '/'), which Hadoop's Path collapses"),
          KeyRules.rule(
              KeyRules.anySegment(s -> s.equals(".") || s.equals("..")),
              "has a '.' or '..' path segment, which Hadoop resolves to another folder"),
          KeyRules.rule(
              KeyRules.containsAny(":"),
              "has a ':', which Hadoop's Path reads as a URI scheme and HDFS refuses in a name"),
          // dfs.namenode.fs-limits.max-component-length: 255 bytes by default.
          KeyRules.rule(
              KeyRules.anySegment(s -> KeyRules.utf8Length(s) > 255),
              "has a path segment over 255 bytes, the most an HDFS name can hold by default"));

  private final FileSystem fs;
  private final URI rootUri;
  private final Path rootDir;
  private final String rootPath;
  private final String connectionName;
  private final TempOwner owner;
  private final boolean sourceBlockSize;

  private HadoopStore(
      FileSystem fs, URI rootUri, String connectionName, TempOwner owner, boolean sourceBlockSize) {
    this.fs = fs;
    this.rootUri = rootUri;
    this.rootDir = new Path(rootUri);
    this.rootPath = rootUri.getPath().endsWith("/") ? rootUri.getPath() : rootUri.getPath() + "/";
    this.connectionName = connectionName;
    this.owner = owner;
    this.sourceBlockSize = sourceBlockSize;
  }

  /**
   * Opens the file system of {@code root} (its scheme and authority) with {@code connection}'s
   * settings, secrets and Kerberos login; nothing is asked of the servers yet.
   *
   * @param connection null: Hadoop's defaults (and the site files of HADOOP_CONF_DIR)
   * @param requestTimeout bounds Hadoop's connect and read timeouts and its retries of a dead
   *     NameNode, unless the connection's {@code conf} sets them
   * @throws IOException one line naming the connection: a missing connector, a secret's variable
   *     unset, a failed Kerberos login
   */
  public static HadoopStore open(URI root, Connection.Hadoop connection, Duration requestTimeout)
      throws IOException {
    String name =
        connection == null ? "store '" + root + "'" : "connection '" + connection.name() + "'";
    FileSystem fs = HadoopFileSystems.open(root, connection, name, requestTimeout);
    // A block size the job file sets is the one its files are to have; site files' are defaults.
    boolean sourceBlockSize = connection == null || !connection.conf().containsKey("dfs.blocksize");
    return new HadoopStore(fs, root, name, null, sourceBlockSize);
  }

  @Override
  public URI root() {
    return rootUri;
  }

  /**
   * HDFS keeps modification times in milliseconds, set by the NameNode when a file is closed (or by
   * {@code setTimes}); another Hadoop file system's resolution is not known here: two seconds.
   */
  @Override
  public Duration timeResolution() {
    return switch (rootUri.getScheme()) {
      case "hdfs", "webhdfs", "swebhdfs" -> Duration.ofMillis(1);
      default -> DEFAULT_TIME_RESOLUTION;
    };
  }

  /**
   * The clock of the NameNode, which stamps the files: the modification time it gives an empty
   * hidden file created in the root folder and removed at once (HDFS has no call that answers the
   * time). The root, not a folder elsewhere: under federation (viewfs) another folder may belong to
   * another NameNode. Where the job may not write there (a read-only source, a snapshot), this
   * machine's clock stands for it, with a warning.
   */
  @Override
  public Optional<Instant> now() throws IOException {
    Path scratch = new Path(rootDir, TempNames.beside("clock", owner));
    try {
      fs.create(scratch, false).close();
      try {
        return Optional.of(Instant.ofEpochMilli(fs.getFileStatus(scratch).getModificationTime()));
      } finally {
        fs.delete(scratch, false);
      }
    } catch (AccessControlException e) {
      LOG.warn(
          "{}: cannot write in {} to read the NameNode's clock ({}); delta windows end at this"
              + " machine's clock",
          connectionName,
          rootUri,
          HadoopErrors.firstLine(e));
      return Optional.empty();
    } catch (IOException e) {
      throw HadoopErrors.of(connectionName, rootUri.toString(), e);
    }
  }

  @Override
  public void prepare(boolean create) throws IOException {
    try {
      FileStatus status = fs.getFileStatus(rootDir);
      if (!status.isDirectory()) {
        throw new IOException(connectionName + ": " + rootUri + " is a file, not a folder");
      }
    } catch (FileNotFoundException e) {
      if (!create) {
        throw new IOException(connectionName + ": folder " + rootUri + " does not exist");
      }
      try {
        fs.mkdirs(rootDir);
      } catch (IOException failed) {
        throw HadoopErrors.of(connectionName, rootUri.toString(), failed);
      }
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(connectionName)) {
        throw e;
      }
      throw HadoopErrors.of(connectionName, rootUri.toString(), e);
    }
  }

  /**
   * A root that is not a folder is an error, never an empty listing. The folder {@code prefix}
   * lands in is listed: all of it through {@code listFiles} when the prefix ends in '/', else its
   * entries whose names start with the rest of the prefix, each folder among them through {@code
   * listFiles} (a remote iterator, paged) when recursive.
   */
  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    return walk(prefix, recursive, false);
  }

  private Listing walk(String prefix, boolean recursive, boolean temps) throws IOException {
    FileStatus root;
    try {
      root = fs.getFileStatus(rootDir);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(connectionName + ": folder " + rootUri + " does not exist");
    } catch (IOException e) {
      throw HadoopErrors.of(connectionName, rootUri.toString(), e);
    }
    if (!root.isDirectory()) {
      throw new FileNotFoundException(connectionName + ": " + rootUri + " is not a folder");
    }
    int slash = prefix.lastIndexOf('/');
    String dirPart = prefix.substring(0, slash + 1);
    String namePart = prefix.substring(slash + 1);
    if (!dirPart.isEmpty() && keyProblem(dirPart + "x").isPresent()) {
      return new Walk(null, "", recursive, temps); // no folder has such a name
    }
    Path dir = dirPart.isEmpty() ? rootDir : path(dirPart.substring(0, dirPart.length() - 1));
    try {
      if (!fs.getFileStatus(dir).isDirectory()) {
        return new Walk(null, "", recursive, temps);
      }
    } catch (FileNotFoundException e) {
      return new Walk(null, "", recursive, temps);
    } catch (IOException e) {
      throw HadoopErrors.of(connectionName, rootUri + prefix, e);
    }
    return new Walk(dir, namePart, recursive, temps);
  }

  @Override
  public Optional<String> keyProblem(String key) {
    return KEY_RULES.problem(key);
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    if (keyProblem(key).isPresent()) {
      return Optional.empty();
    }
    try {
      FileStatus status = fs.getFileStatus(path(key));
      return status.isFile() ? Optional.of(info(key, status)) : Optional.empty();
    } catch (FileNotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw HadoopErrors.of(connectionName, rootUri + key, e);
    }
  }

  @Override
  public boolean keepsChecksums() {
    return true;
  }

  /**
   * {@code getFileChecksum}, with the file's block size. None for a file whose blocks are not all
   * full but the last (appended in a new block, or concatenated): a copy written from start to end
   * has other block boundaries, so the two could never compare; none for an erasure-coded file,
   * whose checksum is made per block group. A file system that keeps no checksum gives none.
   */
  @Override
  public Optional<StoreChecksum> checksum(String key) throws IOException {
    Path path = path(key);
    try {
      FileStatus status = fs.getFileStatus(path);
      if (!status.isFile() || status.isErasureCoded() || !fullBlocks(status)) {
        return Optional.empty();
      }
      FileChecksum sum = fs.getFileChecksum(path);
      if (sum == null || sum.getAlgorithmName() == null) {
        return Optional.empty();
      }
      return Optional.of(
          new StoreChecksum(
              sum.getAlgorithmName(), Checksums.hex(sum.getBytes()), status.getBlockSize()));
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(rootUri + key);
    } catch (IOException e) {
      throw HadoopErrors.of(connectionName, rootUri + key, e);
    }
  }

  /** Whether every block of the file but the last holds exactly its block size. */
  private boolean fullBlocks(FileStatus status) throws IOException {
    if (status.getLen() == 0) {
      return true;
    }
    BlockLocation[] blocks = fs.getFileBlockLocations(status, 0, status.getLen());
    for (int i = 0; i < blocks.length - 1; i++) {
      if (blocks[i].getLength() != status.getBlockSize()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public InputStream open(String key) throws IOException {
    Path path = path(key);
    try {
      return fs.open(path);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(rootUri + key);
    }
  }

  /**
   * Checks the listed size and modification time on opening and again at the end, before the last
   * bytes are handed out; a read that fails after the file was replaced (its blocks deleted) is a
   * changed source too.
   */
  @Override
  public SourceStream open(FileInfo file) throws IOException {
    Path path = path(file.key());
    checkUnchanged(path, file);
    InputStream in = open(file.key());
    return new SourceStream(in, file, rootUri + file.key()) {
      @Override
      protected void checkUnchanged() throws IOException {
        HadoopStore.this.checkUnchanged(path, file);
      }

      @Override
      protected IOException translate(IOException e) {
        try {
          HadoopStore.this.checkUnchanged(path, file);
        } catch (IOException changed) {
          changed.addSuppressed(e);
          return changed;
        }
        return e;
      }
    };
  }

  private void checkUnchanged(Path path, FileInfo listed) throws IOException {
    FileStatus now;
    try {
      now = fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException(rootUri + listed.key());
    }
    Instant modified = Instant.ofEpochMilli(now.getModificationTime());
    if (!now.isFile()
        || now.getLen() != listed.size()
        || (listed.lastModified() != null && !modified.equals(listed.lastModified()))) {
      throw new SourceChangedException(
          rootUri + listed.key(),
          "now "
              + (now.isFile() ? now.getLen() + " bytes modified " + modified : "a folder")
              + ", listed "
              + listed.size()
              + " bytes modified "
              + listed.lastModified(),
          null);
    }
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    Path target = path(key);
    Path temp = new Path(target.getParent(), TempNames.beside(target.getName(), owner));
    MessageDigest md5 = Checksums.newMd5();
    try {
      long written = 0;
      try (FSDataOutputStream out = create(temp, source.checksum())) {
        byte[] buffer = new byte[BUFFER];
        for (int n; (n = content.read(buffer)) != -1; ) {
          out.write(buffer, 0, n);
          md5.update(buffer, 0, n);
          written += n;
        }
      }
      if (written != source.size()) {
        throw new IOException(
            "read " + written + " bytes of " + source.key() + ", expected " + source.size());
      }
      if (source.lastModified() != null) {
        fs.setTimes(temp, source.lastModified().toEpochMilli(), -1);
      }
      moveIntoPlace(temp, target);
    } catch (IOException | RuntimeException e) {
      try {
        fs.delete(temp, false);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    FileStatus status = fs.getFileStatus(target);
    FileInfo written =
        new FileInfo(
            key,
            status.getLen(),
            Instant.ofEpochMilli(status.getModificationTime()),
            Checksums.hex(md5.digest()));
    // The engine gave the source's checksum to have the copy compared with it: give this one.
    return source.checksum() == null ? written : written.withChecksum(checksum(key).orElse(null));
  }

  /**
   * Creates {@code temp}, making the missing folders above, never over another run's temporary
   * file: in the block size and CRC settings of {@code like} (the source file's checksum) when
   * there is one and the connection sets no block size, else in the file system's defaults.
   * Replication stays the sink's: it does not change the checksum.
   */
  private FSDataOutputStream create(Path temp, StoreChecksum like) throws IOException {
    if (like == null || !sourceBlockSize || like.blockSize() <= 0) {
      return fs.create(temp, false);
    }
    Options.ChecksumOpt crcs = null;
    Matcher m = MD5_OF_CRCS.matcher(like.algorithm());
    if (m.matches() && Integer.parseInt(m.group(1)) > 0) {
      crcs =
          new Options.ChecksumOpt(
              DataChecksum.Type.valueOf(m.group(2)), Integer.parseInt(m.group(1)));
    }
    // As FileSystem.create(path, false) does, with the block size and CRC settings given.
    return fs.create(
        temp,
        FsPermission.getFileDefault().applyUMask(FsPermission.getUMask(fs.getConf())),
        EnumSet.of(CreateFlag.CREATE),
        fs.getConf().getInt("io.file.buffer.size", 4096),
        fs.getDefaultReplication(temp),
        like.blockSize(),
        null,
        crcs);
  }

  /**
   * HDFS and WebHDFS rename over an existing file in one NameNode operation ({@code
   * Rename.OVERWRITE}); other file systems' public rename never replaces, so the old file is
   * removed first, and the target is missing (never partial) for that moment.
   */
  private void moveIntoPlace(Path temp, Path target) throws IOException {
    if (fs instanceof DistributedFileSystem dfs) {
      dfs.rename(temp, target, Options.Rename.OVERWRITE);
    } else if (fs instanceof WebHdfsFileSystem web) {
      web.rename(temp, target, Options.Rename.OVERWRITE);
    } else if (!fs.rename(temp, target)) {
      fs.delete(target, false);
      if (!fs.rename(temp, target)) {
        throw new IOException("could not rename " + temp + " to " + target);
      }
    }
  }

  @Override
  public void delete(String key) throws IOException {
    if (keyProblem(key).isPresent()) {
      return;
    }
    Path path = path(key);
    try {
      if (fs.getFileStatus(path).isFile()) {
        fs.delete(path, false);
      }
    } catch (FileNotFoundException e) {
      // nothing to remove
    }
  }

  @Override
  public Store ownedBy(TempOwner owner) {
    return new HadoopStore(fs, rootUri, connectionName, owner, sourceBlockSize);
  }

  /**
   * Walks what {@code prefix} covers, as a listing does, and deletes the job's other runs' temps.
   */
  @Override
  public long removeLeftovers(String prefix, TempOwner owner) throws IOException {
    long removed = 0;
    try (Listing temps = walk(prefix, true, true)) {
      while (temps.hasNext()) {
        FileInfo temp = temps.next();
        String name = temp.key().substring(temp.key().lastIndexOf('/') + 1);
        if (TempNames.isLeftover(name, owner) && fs.delete(path(temp.key()), false)) {
          removed++;
        }
      }
    }
    return removed;
  }

  @Override
  public void close() throws IOException {
    fs.close();
  }

  /** The file of {@code key} below the root; a key Hadoop cannot hold is refused with why. */
  private Path path(String key) throws IOException {
    Optional<String> problem = keyProblem(key);
    if (problem.isPresent()) {
      throw new IOException(rootUri + key + ": " + problem.get());
    }
    return new Path(rootDir, key);
  }

  /** The key of a listed path: its path below the root's. */
  private String keyOf(Path path) {
    String full = path.toUri().getPath();
    if (!full.startsWith(rootPath)) {
      throw new IllegalStateException(full + " was listed outside the root " + rootUri);
    }
    return full.substring(rootPath.length());
  }

  private static FileInfo info(String key, FileStatus status) {
    return new FileInfo(
        key, status.getLen(), Instant.ofEpochMilli(status.getModificationTime()), null);
  }

  /**
   * The files below {@code dir} whose names start with {@code namePart} (all of them, through
   * {@code listFiles}, when it is empty), and, when recursive, every file below the folders among
   * them. The store's own temporary files are skipped, or, for {@link #removeLeftovers}, the only
   * ones given.
   */
  private final class Walk extends AbstractIterator<FileInfo> implements Listing {
    private final boolean recursive;
    private final boolean temps;
    private final String namePart;
    private RemoteIterator<FileStatus> entries;
    private RemoteIterator<? extends FileStatus> below;

    Walk(Path dir, String namePart, boolean recursive, boolean temps) throws IOException {
      this.recursive = recursive;
      this.temps = temps;
      this.namePart = namePart;
      if (dir == null) {
        return;
      }
      try {
        if (namePart.isEmpty()) {
          below = fs.listFiles(dir, recursive);
        } else {
          entries = fs.listStatusIterator(dir);
        }
      } catch (IOException e) {
        throw HadoopErrors.of(connectionName, dir.toString(), e);
      }
    }

    @Override
    protected FileInfo computeNext() {
      try {
        while (true) {
          FileInfo file = nextBelow();
          if (file != null) {
            return file;
          }
          if (entries == null || !entries.hasNext()) {
            return endOfData();
          }
          FileStatus entry = entries.next();
          String name = entry.getPath().getName();
          // The temporary file of a file the prefix covers starts with '.' and that file's name.
          if (!name.startsWith(namePart) && !(temps && name.startsWith("." + namePart))) {
            continue;
          }
          if (entry.isDirectory()) {
            if (recursive) {
              try {
                below = fs.listFiles(entry.getPath(), true);
              } catch (FileNotFoundException e) {
                below = null; // removed since its folder was listed: its files are gone with it
              }
            }
            continue;
          }
          file = accept(entry);
          if (file != null) {
            return file;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(HadoopErrors.of(connectionName, rootUri.toString(), e));
      }
    }

    /** The next file of the folder being walked below, or null when it has no more. */
    private FileInfo nextBelow() throws IOException {
      while (below != null && below.hasNext()) {
        FileInfo file = accept(below.next());
        if (file != null) {
          return file;
        }
      }
      below = null;
      return null;
    }

    private FileInfo accept(FileStatus status) {
      if (!status.isFile() || TempNames.isTemp(status.getPath().getName()) != temps) {
        return null;
      }
      return info(keyOf(status.getPath()), status);
    }

    @Override
    public void close() {}
  }
}
