package io.copyjob.store.azure;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.rest.Response;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.core.util.HttpClientOptions;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobItemProperties;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockFromUrlOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.copyjob.spec.Connection;
import io.copyjob.store.BlockBuffers;
import io.copyjob.store.CantCopyException;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.ForwardingStore;
import io.copyjob.store.KeyRules;
import io.copyjob.store.Listing;
import io.copyjob.store.Listings;
import io.copyjob.store.PartSizes;
import io.copyjob.store.RequestTimeouts;
import io.copyjob.store.ServerSideCopy;
import io.copyjob.store.SourceChangedException;
import io.copyjob.store.SourceStream;
import io.copyjob.store.Store;
import io.copyjob.store.Throttle;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blobs below a container path through the Azure Blob SDK. A file up to {@link Tuning#blockSize}
 * goes up in one Put Blob request carrying Content-MD5, which the service verifies and keeps: one
 * request per small file, which is what a single-threaded emulator (and a throttled account) is
 * bound by. Larger files go up as blocks, each verified by its own MD5, committed with the whole
 * file's MD5. The listing gives size, last modified and Content-MD5, so no HEAD is needed to verify
 * or skip a file.
 */
public final class AzureBlobStore implements Store {
  /**
   * @param pageSize blobs per listing page (the service answers at most 5000)
   * @param blockSize the largest single Put Blob, and the size of each staged block
   * @param requestTimeout {@code copy.requestTimeout}: see {@link RequestTimeouts}
   */
  public record Tuning(int pageSize, int blockSize, Duration requestTimeout) {
    /**
     * 8 MiB blocks, as AzCopy's: a transfer holds one block in memory, and ten transfers of large
     * files held 160 MiB of 16 MiB blocks.
     */
    public static final Tuning DEFAULT = new Tuning(5000, 8 << 20);

    public Tuning(int pageSize, int blockSize) {
      this(pageSize, blockSize, RequestTimeouts.DEFAULT.request());
    }

    public Tuning withRequestTimeout(Duration timeout) {
      return new Tuning(pageSize, blockSize, timeout);
    }

    /** With blocks of {@code bytes} (0: this tuning's). */
    public Tuning withBlockSize(int bytes) {
      return bytes == 0 ? this : new Tuning(pageSize, bytes, requestTimeout);
    }
  }

  /** The most blocks a block blob commits. */
  static final int MAX_BLOCKS = 50_000;

  /** The SDK's own backoff before a second try and its longest one (RequestRetryOptions). */
  private static final Duration RETRY_DELAY = Duration.ofSeconds(4);

  private static final Duration MAX_RETRY_DELAY = Duration.ofMinutes(2);

  /** A request for the service's clock, the only one a run makes before it starts, waits this. */
  private static final Duration CLOCK_TIMEOUT = Duration.ofSeconds(30);

  /** Enough connections for every transfer of a worker, with listings beside them. */
  private static final int MAX_CONNECTIONS = 256;

  /** The largest Copy Blob From URL; larger blobs are streamed. */
  private static final long MAX_SYNC_COPY = 256L << 20;

  /**
   * The Netty client's per-request wait for an answer's headers, in place of the client's own
   * (azure-core-http-netty 1.10.2 and later).
   */
  private static final String RESPONSE_TIMEOUT = "azure-response-timeout";

  private final URI root;
  private final AzureUri location;
  private final Connection.Azure connection;
  private final Tuning tuning;
  private final RequestTimeouts timeouts;
  private final BlobContainerClient container;

  /**
   * The container for the check before a run, asked twice at most, a second apart: a wrong endpoint
   * then fails in seconds, not after the five tries and a minute and a half of backoff that a
   * copy's requests get.
   */
  private final BlobContainerClient checks;

  private final StorageSharedKeyCredential sharedKey;
  private final AzureErrors errors;

  /**
   * Blob names Azure does not keep as given, each seen on Azurite or documented for the service
   * (learn.microsoft.com, "Naming and Referencing Containers, Blobs, and Metadata").
   */
  private final KeyRules keyRules =
      KeyRules.of(
          KeyRules.rule(KeyRules.containsAny("\\"), "has a '\\', which Azure stores as '/'"),
          // The service drops a segment's trailing dots ("folder/file." becomes "folder/file",
          // Azure/azure-sdk-for-java#36674) and resolves '.' and '..' segments as URL paths.
          KeyRules.rule(
              KeyRules.anySegment(s -> s.endsWith(".")),
              "has a path segment ending in '.' (or a '.' or '..' segment), which Azure drops or"
                  + " resolves"),
          KeyRules.rule(
              key -> key.endsWith("/"),
              "ends in '/': Azure Data Lake (hierarchical namespace) takes it for a folder"),
          KeyRules.rule(
              key -> (base() + key).length() > 1024,
              "is, with the root's path, over 1024 characters: the longest blob name Azure takes"),
          KeyRules.rule(
              key -> (base() + key).split("/", -1).length > 254,
              "has, with the root's path, over 254 path segments, the most a blob name may have"));

  /** Source roots whose copy-from-URL this sink refused: they are streamed without asking again. */
  private final Set<String> refusedSources = ConcurrentHashMap.newKeySet();

  private AzureBlobStore(
      URI root,
      AzureUri location,
      Connection.Azure connection,
      Tuning tuning,
      BlobContainerClient container,
      BlobContainerClient checks,
      StorageSharedKeyCredential sharedKey) {
    this.root = root;
    this.location = location;
    this.connection = connection;
    this.tuning = tuning;
    this.timeouts = new RequestTimeouts(tuning.requestTimeout());
    this.container = container;
    this.checks = checks;
    this.sharedKey = sharedKey;
    this.errors =
        new AzureErrors(
            connection.name(), RequestTimeouts.address(URI.create(container.getAccountUrl())));
  }

  /** Opens the store; no request is made until it is used. */
  public static AzureBlobStore open(URI root, Connection.Azure connection, Tuning tuning)
      throws IOException {
    AzureUri location = AzureUri.parse(root);
    String account = connection.account() != null ? connection.account() : location.account();
    String endpoint =
        location.endpointOr(
            connection.endpoint() == null ? null : connection.endpoint().toString());
    RequestTimeouts timeouts = new RequestTimeouts(tuning.requestTimeout());
    Duration request = timeouts.request();
    BlobServiceClientBuilder builder =
        new BlobServiceClientBuilder()
            .endpoint(endpoint)
            .addPolicy(new ThrottlingAnswers())
            // Netty's timeouts: connecting, the answer's headers, and each read or write of a body.
            // Connections for every transfer, as for S3: a call waiting for one would otherwise
            // look like a server that does not answer.
            .httpClient(
                HttpClient.createDefault(
                    new HttpClientOptions()
                        .setConnectTimeout(request)
                        .setResponseTimeout(request)
                        .setReadTimeout(request)
                        .setWriteTimeout(request)
                        .setMaximumConnectionPoolSize(MAX_CONNECTIONS)))
            // Exponential backoff on 500/503 (server busy) and timeouts, five tries. Each try is
            // cut at the longest attempt this store makes (a copy from URL); each call passes its
            // own, smaller bound, which ends the tries of a call into a dead server. The SDK's
            // first backoff, 4 s, would not fit in a call with a short request timeout after a
            // quick fault (a 503, a reset): it is half a request timeout at most.
            .retryOptions(
                new RequestRetryOptions(
                    RetryPolicyType.EXPONENTIAL,
                    5,
                    timeouts.attempt(Math.max(tuning.blockSize(), MAX_SYNC_COPY)),
                    min(RETRY_DELAY, request.dividedBy(2)),
                    min(MAX_RETRY_DELAY, request),
                    null));
    StorageSharedKeyCredential sharedKey = null;
    String credential = "its settings";
    try {
      if (connection.connectionStringEnv() != null) {
        credential = "the connection string in " + connection.connectionStringEnv();
        builder.connectionString(connection.secret(connection.connectionStringEnv()));
      } else if (connection.accountKeyEnv() != null) {
        credential = "the account key in " + connection.accountKeyEnv();
        String key = connection.secret(connection.accountKeyEnv());
        // The SDK decodes the key only when it signs the first request, and then says neither
        // which key nor which connection.
        Base64.getDecoder().decode(key);
        sharedKey = new StorageSharedKeyCredential(account, key);
        builder.credential(sharedKey);
      } else if (connection.sasTokenEnv() != null) {
        credential = "the SAS token in " + connection.sasTokenEnv();
        builder.sasToken(connection.secret(connection.sasTokenEnv()));
      } else {
        builder.credential(new DefaultAzureCredentialBuilder().build());
      }
      BlobContainerClient container =
          builder.buildClient().getBlobContainerClient(location.container());
      BlobContainerClient checks =
          builder
              .retryOptions(
                  new RequestRetryOptions(
                      RetryPolicyType.FIXED,
                      2,
                      timeouts.attempt(0),
                      Duration.ofSeconds(1),
                      Duration.ofSeconds(1),
                      null))
              .buildClient()
              .getBlobContainerClient(location.container());
      return new AzureBlobStore(root, location, connection, tuning, container, checks, sharedKey);
    } catch (IllegalArgumentException e) {
      // The SDK's own words name neither the connection nor the variable, and never the secret.
      throw new IOException(
          "connection '"
              + connection.name()
              + "': "
              + credential
              + " cannot be used: "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip()));
    }
  }

  @Override
  public URI root() {
    return root;
  }

  private String base() {
    return location.path();
  }

  private String where(String key) {
    return "azfs://" + location.account() + "/" + location.container() + "/" + base() + key;
  }

  private BlockBlobClient blob(String key) {
    return container.getBlobClient(blobName(key)).getBlockBlobClient();
  }

  /**
   * The name as the SDK takes it: exactly the key below the base. Since azure-storage-blob 12.28
   * (the version here) the SDK escapes '%' itself; 12.22 left it as it was, so it was escaped here
   * before.
   */
  private String blobName(String key) {
    return base() + key;
  }

  @Override
  public void prepare(boolean create) throws IOException {
    String what = "container '" + location.container() + "'";
    try {
      if (checks.existsWithResponse(timeouts.call(0), Context.NONE).getValue()) {
        return;
      }
    } catch (RuntimeException e) {
      throw errors.io(what, e);
    }
    if (!create || !connection.createContainer()) {
      throw new IOException(
          "connection '"
              + connection.name()
              + "': "
              + what
              + " does not exist"
              + (create ? " (set createContainer: true to create it)" : ""));
    }
    try {
      checks.createIfNotExistsWithResponse(null, timeouts.call(0), Context.NONE);
    } catch (RuntimeException e) {
      throw errors.io("creating " + what, e);
    }
  }

  /** The service lists keys in the order of their UTF-8 bytes. */
  @Override
  public boolean listsInKeyOrder() {
    return true;
  }

  /** Blob listings give Last-Modified as an HTTP date: whole seconds. */
  @Override
  public Duration timeResolution() {
    return Duration.ofSeconds(1);
  }

  /** The {@code Date} header of Get Container Properties: the service's clock. */
  @Override
  public Optional<Instant> now() throws IOException {
    String date;
    try {
      date =
          container
              .getPropertiesWithResponse(null, CLOCK_TIMEOUT, Context.NONE)
              .getHeaders()
              .getValue(HttpHeaderName.DATE);
    } catch (RuntimeException e) {
      throw errors.io("container '" + location.container() + "'", e);
    }
    return Optional.ofNullable(date)
        .map(d -> ZonedDateTime.parse(d, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
  }

  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    ListBlobsOptions options =
        new ListBlobsOptions().setPrefix(base() + prefix).setMaxResultsPerPage(tuning.pageSize);
    Iterator<BlobItem> items;
    try {
      items =
          recursive
              ? container.listBlobs(options, timeouts.call(0)).iterator()
              : container.listBlobsByHierarchy("/", options, timeouts.call(0)).iterator();
    } catch (RuntimeException e) {
      throw errors.io("listing " + where(prefix), e);
    }
    return Listings.mapped(
        items,
        item -> !isVirtualFolder(item) && item.getName().endsWith("/") && size(item) == 0,
        item -> {
          if (isVirtualFolder(item)) {
            return null;
          }
          BlobItemProperties p = item.getProperties();
          return new FileInfo(
              item.getName().substring(base().length()),
              size(item),
              p.getLastModified().toInstant(),
              hex(p.getContentMd5()),
              p.getETag());
        },
        e -> errors.io("listing " + where(prefix), e));
  }

  /** A prefix of a listing by hierarchy: no blob. */
  private static boolean isVirtualFolder(BlobItem item) {
    return Boolean.TRUE.equals(item.isPrefix());
  }

  private static long size(BlobItem item) {
    Long length = item.getProperties().getContentLength();
    return length == null ? 0 : length;
  }

  private static String hex(byte[] md5) {
    return md5 == null || md5.length == 0 ? null : HexFormat.of().formatHex(md5);
  }

  @Override
  public Optional<String> keyProblem(String key) {
    return keyRules.problem(key);
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    if (keyProblem(key).isPresent()) {
      return Optional.empty(); // no blob is there under exactly that name
    }
    try {
      BlobProperties p =
          blob(key).getPropertiesWithResponse(null, timeouts.call(0), Context.NONE).getValue();
      return Optional.of(
          new FileInfo(
              key,
              p.getBlobSize(),
              p.getLastModified().toInstant(),
              hex(p.getContentMd5()),
              p.getETag()));
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 404) {
        return Optional.empty();
      }
      throw errors.io("stat " + where(key), e);
    } catch (RuntimeException e) {
      throw errors.io("stat " + where(key), e);
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    return BlobRangeStream.open(
        blob(key), timeouts, where(key), null, e -> errors.io("reading " + where(key), e));
  }

  /**
   * A download with If-Match of the listed ETag on every range it reads: a blob replaced since it
   * was listed, before or during the read, fails with a {@link SourceChangedException}.
   */
  @Override
  public SourceStream open(FileInfo file) throws IOException {
    String key = file.key();
    InputStream body =
        BlobRangeStream.open(
            blob(key),
            timeouts,
            where(key),
            file.version(),
            e ->
                e instanceof BlobStorageException b && b.getStatusCode() == 412
                    ? versionGone(file, e)
                    : errors.io("reading " + where(key), e));
    return new SourceStream(body, file, where(key));
  }

  /** The answer to an If-Match of the listed ETag (412): the blob was replaced since. */
  private SourceChangedException versionGone(FileInfo file, Exception e) {
    return new SourceChangedException(
        where(file.key()), "the listed version, ETag " + file.version() + ", is gone", e);
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    try {
      return source.size() <= tuning.blockSize
          ? putSingle(key, content, source)
          : putBlocks(key, content, source);
    } catch (RuntimeException e) {
      throw errors.io("writing " + where(key), e);
    }
  }

  /**
   * One Put Blob. The body is read into memory first (at most one block, in an array of {@link
   * BlockBuffers}): Azure needs the MD5 in the request's headers, and the SDK needs a body it can
   * send again on a retry. The array is given to the SDK as it is, which sends it without a copy.
   */
  private FileInfo putSingle(String key, InputStream content, FileInfo source) throws IOException {
    int size = (int) source.size();
    byte[] body = BlockBuffers.shared().take(size);
    try {
      readExactly(content, body, size, source.key());
      // The source's MD5 where the listing gave one: the service checks the body against it, so
      // the bytes need no hashing here and the check runs from the source's own record to the sink.
      byte[] md5 =
          source.md5() != null
              ? HexFormat.of().parseHex(source.md5())
              : Checksums.newMd5().digest(body);
      var response =
          blob(key)
              .uploadWithResponse(
                  new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(body))
                      .setContentMd5(md5)
                      .setHeaders(new BlobHttpHeaders().setContentMd5(md5)),
                  timeouts.call(size),
                  Context.NONE);
      byte[] stored = response.getValue().getContentMd5();
      return new FileInfo(key, size, null, hex(stored != null ? stored : md5));
    } finally {
      BlockBuffers.shared().give(body);
    }
  }

  /**
   * Blocks of {@link Tuning#blockSize} (larger for a file of more than {@link #MAX_BLOCKS} of them,
   * see {@link PartSizes}), read one after the other into one array of {@link BlockBuffers} and
   * sent from it without a copy, each with its own MD5.
   */
  private FileInfo putBlocks(String key, InputStream content, FileInfo source) throws IOException {
    int blockSize = PartSizes.forFile(source.size(), tuning.blockSize, MAX_BLOCKS, where(key));
    BlockBlobClient blob = blob(key);
    MessageDigest whole = Checksums.newMd5();
    List<String> ids = new ArrayList<>();
    byte[] buffer = BlockBuffers.shared().take(blockSize);
    try {
      long left = source.size();
      for (int number = 0; left > 0; number++) {
        int length = (int) Math.min(buffer.length, left);
        if (content.readNBytes(buffer, 0, length) < length) {
          throw new IOException(
              "fewer bytes than the listed " + source.size() + " in " + source.key());
        }
        whole.update(buffer, 0, length);
        MessageDigest block = Checksums.newMd5();
        block.update(buffer, 0, length);
        String id = blockId(number);
        blob.stageBlockWithResponse(
            new BlockBlobStageBlockOptions(
                    id, BinaryData.fromByteBuffer(ByteBuffer.wrap(buffer, 0, length)))
                .setContentMd5(block.digest()),
            timeouts.call(length),
            Context.NONE);
        ids.add(id);
        left -= length;
      }
    } finally {
      BlockBuffers.shared().give(buffer);
    }
    if (content.read() != -1) {
      throw new IOException("more bytes than the listed " + source.size() + " in " + source.key());
    }
    byte[] md5 = whole.digest();
    // Staged blocks are invisible until committed (and dropped by the service after a week), so a
    // failure above leaves nothing behind.
    blob.commitBlockListWithResponse(
        new BlockBlobCommitBlockListOptions(ids)
            .setHeaders(new BlobHttpHeaders().setContentMd5(md5)),
        timeouts.call(0),
        Context.NONE);
    return new FileInfo(key, source.size(), null, hex(md5));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String blockId(int number) {
    return Base64.getEncoder()
        .encodeToString(String.format("%08d", number).getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      blob(key).deleteIfExistsWithResponse(null, null, timeouts.call(0), Context.NONE);
    } catch (RuntimeException e) {
      throw errors.io("deleting " + where(key), e);
    }
  }

  /**
   * Copy without the bytes passing through the worker: from a blob of the same account (with a
   * short-lived SAS), or from any store that can give a presigned URL (S3 to Azure as AzCopy does
   * it), by Put Block From URL. The service checks what it fetched against the listed MD5 ({@code
   * x-ms-source-content-md5}), and an Azure source against the listed ETag ({@code
   * x-ms-source-if-match}): an Azure source replaced since it was listed fails with a {@link
   * SourceChangedException}; bytes read from another URL that do not have the listed MD5 are
   * streamed instead, by a read pinned to the listed version, as is a file whose MD5 is not known.
   * A refusal by the service (the emulator refuses any URL outside itself) is a {@link
   * CantCopyException}, remembered per source root so the next files are streamed straight away.
   */
  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return Optional.of(this::copyFrom);
  }

  private FileInfo copyFrom(Store from, FileInfo file, String key, Throttle throttle)
      throws IOException {
    Store source = ForwardingStore.unwrap(from);
    String sourceRoot = source.root().toString();
    // An empty file is one Put Blob either way; a large one is beyond one Put Block From URL; one
    // without an MD5 gives the service nothing to check what it reads against.
    if (refusedSources.contains(sourceRoot)
        || file.size() == 0
        || file.size() > MAX_SYNC_COPY
        || file.md5() == null) {
      throw new CantCopyException("streamed", null);
    }
    Optional<URL> url = sourceUrl(source, file.key());
    if (url.isEmpty()) {
      refusedSources.add(sourceRoot);
      throw new CantCopyException("the source gives no URL the sink can read", null);
    }
    byte[] md5 = HexFormat.of().parseHex(file.md5());
    String id = blockId(0);
    BlockBlobStageBlockFromUrlOptions stage =
        new BlockBlobStageBlockFromUrlOptions(id, url.get().toString())
            .setSourceRange(new BlobRange(0, file.size()))
            .setSourceContentMd5(md5);
    if (source instanceof AzureBlobStore && file.version() != null) {
      stage.setSourceRequestConditions(new BlobRequestConditions().setIfMatch(file.version()));
    }
    throttle.request();
    try {
      BlockBlobClient blob = blob(key);
      // The service answers only once it has copied the range: its wait for the answer is sized
      // by the file, as the call's whole bound is.
      Response<Void> staged =
          blob.stageBlockFromUrlWithResponse(
              stage,
              timeouts.call(file.size()),
              new Context(RESPONSE_TIMEOUT, timeouts.attempt(file.size())));
      // The service answers the MD5 of the block it staged: checked too, in case a service
      // takes the source MD5 without checking it.
      String stagedMd5 = staged.getHeaders().getValue("Content-MD5");
      if (stagedMd5 != null && !Arrays.equals(Base64.getDecoder().decode(stagedMd5), md5)) {
        throw notTheListedMd5(source, file, null);
      }
      // The bytes moved during the request; they are charged now, before the copy can complete,
      // so that a refused copy (the emulator refuses any URL outside itself) costs no share of
      // the cap, and this file waits for its share before it becomes visible.
      throttle.bytes(file.size());
      throttle.request();
      blob.commitBlockListWithResponse(
          new BlockBlobCommitBlockListOptions(List.of(id))
              .setHeaders(new BlobHttpHeaders().setContentMd5(md5)),
          timeouts.call(0),
          Context.NONE);
      throttle.request();
      long size =
          blob.getPropertiesWithResponse(null, timeouts.call(0), Context.NONE)
              .getValue()
              .getBlobSize();
      return new FileInfo(key, size, null, file.md5());
    } catch (BlobStorageException e) {
      if (e.getStatusCode() == 412) {
        throw new SourceChangedException(
            sourceRoot + file.key(),
            "the service found another version than the listed ETag " + file.version(),
            e);
      }
      if (BlobErrorCode.MD5MISMATCH.equals(e.getErrorCode())) {
        throw notTheListedMd5(source, file, e);
      }
      if (AzureErrors.isCopyRefusal(e)) {
        refusedSources.add(sourceRoot);
        throw new CantCopyException(
            "connection '" + connection.name() + "' cannot copy from " + sourceRoot, e);
      }
      throw errors.io("copying to " + where(key), e);
    } catch (RuntimeException e) {
      throw errors.io("copying to " + where(key), e);
    }
  }

  /**
   * The service read bytes whose MD5 is not the listed one. From an Azure source pinned to the
   * listed ETag those are the listed version's bytes, so the blob's Content-MD5 is wrong. From a
   * URL that names no version (a presigned S3 URL) the object may have been replaced since it was
   * listed, or the listed ETag was no MD5 (SSE-KMS): it is streamed instead, by a read pinned to
   * the listed version and verified.
   */
  private IOException notTheListedMd5(Store source, FileInfo file, Exception e) {
    String where = source.root() + file.key();
    if (source instanceof AzureBlobStore && file.version() != null) {
      return new IOException(
          where
              + ": the listed version's bytes do not have the listed MD5 "
              + file.md5()
              + " (its Content-MD5 is not the MD5 of its content)",
          e);
    }
    return new CantCopyException(
        "streamed: " + where + " read from its URL does not have the listed MD5", e);
  }

  /** A URL of the source file this account's service can read. */
  private Optional<URL> sourceUrl(Store source, String key) throws IOException {
    if (source instanceof AzureBlobStore azure) {
      return azure.sasUrl(key);
    }
    return source.presignedGetUrl(key, Duration.ofHours(1));
  }

  /** The blob's URL with a read-only SAS valid for an hour, when the account key is known. */
  Optional<URL> sasUrl(String key) throws IOException {
    if (sharedKey == null) {
      return Optional.empty();
    }
    var client = container.getBlobClient(blobName(key));
    String sas =
        client.generateSas(
            new BlobServiceSasSignatureValues(
                OffsetDateTime.now().plusHours(1),
                new BlobSasPermission().setReadPermission(true)));
    return Optional.of(new URL(client.getBlobUrl() + "?" + sas));
  }

  @Override
  public Optional<URL> presignedGetUrl(String key, Duration validity) throws IOException {
    return sasUrl(key);
  }

  private static void readExactly(InputStream in, byte[] body, int size, String key)
      throws IOException {
    if (in.readNBytes(body, 0, size) < size) {
      throw new IOException("fewer bytes than the listed " + size + " in " + key);
    }
    if (in.read() != -1) {
      throw new IOException("more bytes than the listed " + size + " in " + key);
    }
  }
}
