package io.copyjob.store.s3;

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
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Objects below {@code s3://bucket/path/} through the AWS SDK v2: listings are ListObjectsV2 pages
 * fetched as they are iterated; files up to {@link Tuning#partSize} go up in one PutObject with
 * Content-MD5 (S3 refuses the body when it does not match), larger ones as a multipart upload of
 * parts each verified the same way; either holds one part in memory, so that the SDK can send it
 * again when a connection breaks. A single-part object's ETag is its MD5 and is taken from the
 * listing, so no HEAD is needed to verify or skip it; where it is not (a multipart object, SSE-KMS,
 * SSE-C: see {@link S3Etags}) the MD5 is kept in the object's metadata. Reads and copies name the
 * listed ETag (If-Match), so they get the listed version or fail.
 */
public final class S3Store implements Store {
  /** Metadata key of the MD5 of a multipart object (whose ETag is not an MD5), when known. */
  static final String MD5_METADATA = "copyjob-md5";

  /** S3's largest single PutObject and CopyObject. */
  private static final long MAX_SINGLE_COPY = 5L << 30;

  /** The most parts of one multipart upload. */
  static final int MAX_PARTS = 10_000;

  /**
   * @param pageSize keys per ListObjectsV2 page (S3 answers at most 1000)
   * @param partSize bytes per multipart part, and the largest single PutObject (at least 5 MiB)
   * @param copyThreshold the largest single CopyObject; larger objects are copied in parts
   * @param copyPartSize bytes per UploadPartCopy part
   * @param requestTimeout {@code copy.requestTimeout}: see {@link RequestTimeouts}
   */
  public record Tuning(
      int pageSize, int partSize, long copyThreshold, long copyPartSize, Duration requestTimeout) {
    public static final Tuning DEFAULT = new Tuning(1000, 16 << 20);

    public Tuning(int pageSize, int partSize) {
      this(pageSize, partSize, MAX_SINGLE_COPY, 512L << 20);
    }

    public Tuning(int pageSize, int partSize, long copyThreshold, long copyPartSize) {
      this(pageSize, partSize, copyThreshold, copyPartSize, RequestTimeouts.DEFAULT.request());
    }

    public Tuning withRequestTimeout(Duration timeout) {
      return new Tuning(pageSize, partSize, copyThreshold, copyPartSize, timeout);
    }

    /**
     * With {@code bytes} per part (0: this tuning's). S3 refuses to complete an upload with a part
     * but the last under 5 MiB (EntityTooSmall).
     */
    public Tuning withPartSize(int bytes) {
      return bytes == 0
          ? this
          : new Tuning(pageSize, bytes, copyThreshold, copyPartSize, requestTimeout);
    }
  }

  private final URI root;
  private final Connection.S3 connection;
  private final Tuning tuning;
  private final String bucket;
  private final String base;
  private final RequestTimeouts timeouts;
  private final S3Client s3;
  private final KeyRules keyRules;
  private final S3Errors errors;
  private S3Presigner presigner;

  /**
   * Whether the bucket encrypts with SSE-KMS by default; asked once, when first needed, by one
   * thread while the others wait for its answer.
   */
  private volatile Boolean defaultKms;

  /** Held while the bucket's encryption is asked, and by no other call. */
  private final Object askingKms = new Object();

  private S3Store(
      URI root, Connection.S3 connection, Tuning tuning, RequestTimeouts timeouts, S3Client s3) {
    this.root = root;
    this.connection = connection;
    this.tuning = tuning;
    this.timeouts = timeouts;
    this.bucket = root.getAuthority();
    String path = root.getPath() == null ? "" : root.getPath();
    this.base = path.startsWith("/") ? path.substring(1) : path;
    this.s3 = s3;
    this.errors = new S3Errors(connection.name(), S3Clients.address(connection, bucket));
    // S3 holds any UTF-8 name: '.' and '..' segments and backslashes go as they are (s3proxy keeps
    // them, as S3 does) and every name lists exactly, since listings ask for URL-encoded keys. A
    // server may refuse some (s3proxy a key with '//', see S3Errors.keyRefused): that is an error
    // of the copy, never another name.
    this.keyRules =
        KeyRules.of(
            KeyRules.rule(
                key -> KeyRules.utf8Length(base + key) > 1024,
                "is, with the root's path, over 1024 bytes: the longest key S3 takes"));
  }

  /** Opens {@code s3://bucket/path/}; no request is made until the store is used. */
  public static S3Store open(URI root, Connection.S3 connection, Tuning tuning) throws IOException {
    if (root.getAuthority() == null) {
      throw new IOException("not an S3 root (s3://bucket/path/): " + root);
    }
    RequestTimeouts timeouts = new RequestTimeouts(tuning.requestTimeout());
    return new S3Store(root, connection, tuning, timeouts, S3Clients.client(connection, timeouts));
  }

  @Override
  public URI root() {
    return root;
  }

  private String name() {
    return connection.name();
  }

  private String where(String key) {
    return "s3://" + bucket + "/" + base + key;
  }

  @Override
  public void prepare(boolean create) throws IOException {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (NoSuchBucketException e) {
      createOrFail(create);
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        throw errors.io("bucket '" + bucket + "'", withReason(e));
      }
      createOrFail(create);
    } catch (SdkException e) {
      throw errors.io("bucket '" + bucket + "'", e);
    }
  }

  private void createOrFail(boolean create) throws IOException {
    if (!create || !connection.createBucket()) {
      throw new IOException(
          "connection '"
              + name()
              + "': bucket '"
              + bucket
              + "' does not exist"
              + (create ? " (set createBucket: true to create it)" : ""));
    }
    try {
      s3.createBucket(b -> b.bucket(bucket));
    } catch (BucketAlreadyOwnedByYouException e) {
      // Made meanwhile by another run, or by this call's own first try whose answer was lost.
    } catch (SdkException e) {
      throw errors.io("creating bucket '" + bucket + "'", e);
    }
  }

  /** The service lists keys in the order of their UTF-8 bytes. */
  @Override
  public boolean listsInKeyOrder() {
    return true;
  }

  @Override
  public Listing list(String prefix, boolean recursive) throws IOException {
    ListObjectsV2Request.Builder request =
        ListObjectsV2Request.builder()
            .bucket(bucket)
            .prefix(base + prefix)
            // Keys come URL-encoded (and the SDK decodes them): XML cannot carry every character
            // a key may have, and its parser turns a CR into LF.
            .encodingType(EncodingType.URL)
            .maxKeys(tuning.pageSize);
    if (!recursive) {
      request.delimiter("/");
    }
    // ListObjectsV2 does not say how an object is encrypted: in a bucket that encrypts with
    // SSE-KMS by default, an ETag is taken for no MD5.
    boolean etagsAreMd5s = !defaultIsKms();
    Iterator<S3Object> objects;
    try {
      objects = s3.listObjectsV2Paginator(request.build()).contents().iterator();
    } catch (SdkException e) {
      throw errors.io("listing " + where(prefix), e);
    }
    return Listings.mapped(
        objects,
        object -> object.key().endsWith("/") && object.size() == 0,
        object ->
            new FileInfo(
                object.key().substring(base.length()),
                object.size(),
                object.lastModified(),
                etagsAreMd5s ? S3Etags.md5FromETag(object.eTag()) : null,
                object.eTag()),
        e ->
            e instanceof SdkException sdk
                ? errors.io("listing " + where(prefix), sdk)
                : new IOException("listing " + where(prefix) + ": " + e.getMessage(), e));
  }

  /**
   * Whether the bucket's default encryption is SSE-KMS (GetBucketEncryption). A refusal (the
   * connection may not read the setting) or no answer counts as no, once for this store: listed
   * ETags are then taken for MD5s, and a read corrects an object's from its GET answer. Asking
   * again on every call would double the time a dead server takes to fail each one.
   */
  private boolean defaultIsKms() {
    Boolean known = defaultKms;
    if (known != null) {
      return known;
    }
    // Once for all: the listings of several partitions start together, and a server that does
    // not know the request may answer it as dearly as a listing of the whole bucket (s3proxy does).
    synchronized (askingKms) {
      known = defaultKms;
      if (known == null) {
        try {
          known = S3Etags.defaultIsKms(s3.getBucketEncryption(b -> b.bucket(bucket)));
        } catch (SdkException e) {
          known = false;
        }
        defaultKms = known;
      }
      return known;
    }
  }

  /** ListObjectsV2 gives LastModified with a millisecond field that is always zero. */
  @Override
  public Duration timeResolution() {
    return Duration.ofSeconds(1);
  }

  /** The {@code Date} header of a HeadBucket: the service's clock, which stamps the objects. */
  @Override
  public Optional<Instant> now() throws IOException {
    try {
      return s3.headBucket(b -> b.bucket(bucket))
          .sdkHttpResponse()
          .firstMatchingHeader("Date")
          .map(S3Store::httpDate);
    } catch (SdkException e) {
      throw errors.io("bucket '" + bucket + "'", e);
    }
  }

  private static Instant httpDate(String value) {
    try {
      return ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalStateException("the service answered a Date header that is no date", e);
    }
  }

  @Override
  public Optional<String> keyProblem(String key) {
    return keyRules.problem(key);
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    if (keyProblem(key).isPresent()) {
      return Optional.empty(); // no object is there under exactly that name
    }
    try {
      HeadObjectResponse head = s3.headObject(h -> h.bucket(bucket).key(base + key));
      String md5 = S3Etags.md5(head);
      return Optional.of(
          new FileInfo(key, head.contentLength(), head.lastModified(), md5, head.eTag()));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw objectError(e, key, "stat " + where(key));
    } catch (SdkException e) {
      throw objectError(e, key, "stat " + where(key));
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    try {
      return named(s3.getObject(g -> g.bucket(bucket).key(base + key)), "reading " + where(key));
    } catch (NoSuchKeyException e) {
      throw new FileNotFoundException(where(key));
    } catch (SdkException e) {
      throw objectError(e, key, "reading " + where(key));
    }
  }

  /**
   * A GetObject with If-Match of the listed ETag: S3 serves that version or answers 412. Its answer
   * says the object's encryption, which the listing could not: the MD5 handed on is the one S3
   * keeps for it (ETag or metadata), not a KMS ETag taken for one.
   */
  @Override
  public SourceStream open(FileInfo file) throws IOException {
    String key = file.key();
    ResponseInputStream<GetObjectResponse> body;
    try {
      body =
          s3.getObject(
              g -> {
                g.bucket(bucket).key(base + key);
                if (file.version() != null) {
                  g.ifMatch(file.version());
                }
              });
    } catch (NoSuchKeyException e) {
      throw new FileNotFoundException(where(key));
    } catch (SdkException e) {
      throw versionGoneOr(e, file, "reading " + where(key));
    }
    FileInfo read =
        file.version() == null
            ? file
            : new FileInfo(
                key,
                file.size(),
                file.lastModified(),
                S3Etags.md5(body.response()),
                file.version());
    return new SourceStream(named(body, "reading " + where(key)), read, where(key));
  }

  /** 412 to an If-Match of the listed ETag: the object was replaced since it was listed. */
  private IOException versionGoneOr(SdkException e, FileInfo file, String what) {
    if (e instanceof S3Exception s3e && s3e.statusCode() == 412) {
      return new SourceChangedException(
          where(file.key()), "S3 no longer holds the listed version, ETag " + file.version(), e);
    }
    return objectError(e, file.key(), what);
  }

  /**
   * The answer to a request about {@code key}. A refusal (403) is the key's when the server lists
   * the bucket for the same credentials (one request asks): some servers refuse certain names
   * (s3proxy a key with "//", as the SDK sends it) with a signature error, which is no fault of the
   * credentials.
   */
  private IOException objectError(SdkException e, String key, String what) {
    if (!(e instanceof S3Exception refused) || refused.statusCode() != 403) {
      return errors.io(what, e);
    }
    try {
      s3.listObjectsV2(l -> l.bucket(bucket).prefix(base).maxKeys(1));
    } catch (S3Exception listing) {
      return errors.io(what, S3Errors.code(refused) == null ? withReason(refused) : refused);
    } catch (SdkException listing) {
      return errors.io(what, refused);
    }
    return errors.keyRefused(what, key, refused);
  }

  /**
   * A refusal with its reason: the answer to a HEAD has no body to give one, so a listing of the
   * bucket (whose answer does) is asked why; {@code e} itself when it has one or the listing is not
   * refused.
   */
  private S3Exception withReason(S3Exception e) {
    if (e.statusCode() != 403 || S3Errors.code(e) != null) {
      return e;
    }
    try {
      s3.listObjectsV2(l -> l.bucket(bucket).prefix(base).maxKeys(1));
    } catch (S3Exception listing) {
      if (listing.statusCode() == 403 && S3Errors.code(listing) != null) {
        return listing;
      }
    } catch (SdkException listing) {
      // no reason to be had: the HEAD's answer stands
    }
    return e;
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    try {
      return source.size() <= tuning.partSize
          ? putSingle(key, content, source)
          : putMultipart(key, content, source);
    } catch (SdkException e) {
      throw objectError(e, key, "writing " + where(key));
    }
  }

  /**
   * One PutObject with Content-MD5, so that S3 refuses a body that does not match: the source's MD5
   * where the listing gave one (the check then runs from the source's own record), else the MD5 of
   * the bytes read. The body is read into memory first (at most one part, as a multipart upload
   * holds): the SDK retries a request whose connection broke by sending its body again, and a
   * stream can be read only once. Where the ETag is no MD5 (SSE-KMS, SSE-C) the MD5 is kept in the
   * object's metadata.
   */
  private FileInfo putSingle(String key, InputStream content, FileInfo source) throws IOException {
    int size = (int) source.size();
    byte[] body = BlockBuffers.shared().take(size);
    try {
      return putSingle(key, content, source, body);
    } finally {
      BlockBuffers.shared().give(body);
    }
  }

  private FileInfo putSingle(String key, InputStream content, FileInfo source, byte[] body)
      throws IOException {
    int size = (int) source.size();
    readFully(content, body, size, source.key());
    if (content.read() != -1) {
      throw new IOException("more bytes than the listed " + size + " in " + source.key());
    }
    String sent =
        source.md5() != null ? source.md5() : Checksums.hex(Checksums.newMd5().digest(body));
    boolean kms = defaultIsKms();
    PutObjectResponse response =
        s3.putObject(
            p -> {
              p.bucket(bucket)
                  .key(base + key)
                  .contentLength(source.size())
                  .contentMD5(base64(HexFormat.of().parseHex(sent)))
                  .overrideConfiguration(sized(source.size()));
              if (kms) {
                p.metadata(Map.of(MD5_METADATA, sent));
              }
            },
            RequestBody.fromInputStream(new ByteArrayInputStream(body), size));
    String stored = S3Etags.written(response);
    if (stored == null) {
      if (!kms) {
        keepMd5(key, sent, source.size());
      }
      return new FileInfo(key, source.size(), null, sent);
    }
    if (!stored.equals(sent)) {
      delete(key);
      throw new IOException(
          where(key) + ": S3 stored bytes whose MD5 is " + stored + ", not the " + sent + " sent");
    }
    return new FileInfo(key, source.size(), null, stored);
  }

  /**
   * Keeps {@code md5} in the metadata of the object at {@code key}, whose ETag is no MD5: metadata
   * is set only when an object is created, hence a copy onto itself (at most 5 GiB).
   */
  private void keepMd5(String key, String md5, long size) {
    s3.copyObject(
        c ->
            c.sourceBucket(bucket)
                .sourceKey(base + key)
                .destinationBucket(bucket)
                .destinationKey(base + key)
                .metadataDirective(MetadataDirective.REPLACE)
                .metadata(Map.of(MD5_METADATA, md5))
                .overrideConfiguration(sized(size)));
  }

  private FileInfo putMultipart(String key, InputStream content, FileInfo source)
      throws IOException {
    // Before the upload is started: a file too large for any part size starts none.
    int partSize = PartSizes.forFile(source.size(), tuning.partSize, MAX_PARTS, where(key));
    MessageDigest whole = Checksums.newMd5();
    multipart(
        key,
        source.md5(),
        uploadId -> {
          byte[] buffer = BlockBuffers.shared().take(partSize);
          try {
            return writeParts(key, content, source, uploadId, buffer, whole);
          } finally {
            BlockBuffers.shared().give(buffer);
          }
        });
    String md5 = HexFormat.of().formatHex(whole.digest());
    if (source.md5() == null && source.size() <= MAX_SINGLE_COPY) {
      // A multipart ETag is no MD5: keep the one computed while uploading, so that later runs can
      // skip the object without reading it.
      keepMd5(key, md5, source.size());
    }
    return new FileInfo(key, source.size(), null, md5);
  }

  /** The parts of one upload, read one after the other into {@code buffer}. */
  private List<CompletedPart> writeParts(
      String key,
      InputStream content,
      FileInfo source,
      String uploadId,
      byte[] buffer,
      MessageDigest whole)
      throws IOException {
    List<CompletedPart> parts = new ArrayList<>();
    long left = source.size();
    for (int number = 1; left > 0; number++) {
      int length = (int) Math.min(buffer.length, left);
      readFully(content, buffer, length, key);
      MessageDigest md5 = Checksums.newMd5();
      md5.update(buffer, 0, length);
      whole.update(buffer, 0, length);
      int partNumber = number;
      String eTag =
          s3.uploadPart(
                  u ->
                      u.bucket(bucket)
                          .key(base + key)
                          .uploadId(uploadId)
                          .partNumber(partNumber)
                          .contentMD5(base64(md5.digest()))
                          .overrideConfiguration(sized(length)),
                  RequestBody.fromInputStream(new ByteArrayInputStream(buffer, 0, length), length))
              .eTag();
      parts.add(CompletedPart.builder().partNumber(partNumber).eTag(eTag).build());
      left -= length;
    }
    if (content.read() != -1) {
      throw new IOException("more bytes than the listed " + source.size() + " in " + key);
    }
    return parts;
  }

  /** Writes the parts of one multipart upload and gives them back in order. */
  private interface PartWriter {
    List<CompletedPart> write(String uploadId) throws IOException;
  }

  /**
   * One multipart upload to {@code key}: created, with {@code md5} in its metadata when known, its
   * parts written by {@code writer}, then completed; aborted when anything fails, so that no parts
   * are left behind to be paid for.
   */
  private void multipart(String key, String md5, PartWriter writer) throws IOException {
    Map<String, String> metadata = md5 == null ? Map.of() : Map.of(MD5_METADATA, md5);
    String uploadId =
        s3.createMultipartUpload(c -> c.bucket(bucket).key(base + key).metadata(metadata))
            .uploadId();
    try {
      List<CompletedPart> parts = writer.write(uploadId);
      s3.completeMultipartUpload(
          c ->
              c.bucket(bucket)
                  .key(base + key)
                  .uploadId(uploadId)
                  .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
    } catch (IOException | RuntimeException e) {
      abort(key, uploadId, e);
      throw e;
    }
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      s3.deleteObject(d -> d.bucket(bucket).key(base + key));
    } catch (SdkException e) {
      throw objectError(e, key, "deleting " + where(key));
    }
  }

  @Override
  public Optional<URL> presignedGetUrl(String key, Duration validity) throws IOException {
    try {
      synchronized (this) {
        if (presigner == null) {
          presigner = S3Clients.presigner(connection);
        }
      }
      return Optional.of(
          presigner
              .presignGetObject(
                  p ->
                      p.signatureDuration(validity)
                          .getObjectRequest(g -> g.bucket(bucket).key(base + key)))
              .url());
    } catch (SdkException e) {
      throw errors.io("presigning " + where(key), e);
    }
  }

  /**
   * CopyObject (UploadPartCopy above {@link Tuning#copyThreshold}) within the endpoint of this
   * store's connection, each request conditional on the listed ETag ({@code
   * x-amz-copy-source-if-match}): a source replaced since it was listed fails with a {@link
   * SourceChangedException}, never a copy of other bytes.
   */
  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return Optional.of(this::copyFrom);
  }

  private FileInfo copyFrom(Store from, FileInfo file, String key, Throttle throttle)
      throws IOException {
    Store source = ForwardingStore.unwrap(from);
    if (!(source instanceof S3Store s) || !s.connection.equals(connection)) {
      throw new CantCopyException("server-side copy needs both ends on one S3 connection", null);
    }
    if (file.size() > tuning.copyThreshold) {
      return multipartCopy(s, file, key, throttle);
    }
    throttle.request();
    throttle.bytes(file.size());
    try {
      CopyObjectResponse response =
          s3.copyObject(
              c ->
                  c.sourceBucket(s.bucket)
                      .sourceKey(s.base + file.key())
                      .copySourceIfMatch(file.version())
                      .destinationBucket(bucket)
                      .destinationKey(base + key)
                      .overrideConfiguration(sized(file.size())));
      // The copy's ETag is the MD5 of what it holds unless it is encrypted with SSE-KMS.
      return new FileInfo(
          key,
          file.size(),
          response.copyObjectResult().lastModified(),
          comparable(file, S3Etags.written(response)));
    } catch (NoSuchKeyException e) {
      throw new FileNotFoundException(s.where(file.key()));
    } catch (SdkException e) {
      throw s.versionGoneOr(e, file, "copying " + s.where(file.key()) + " to " + where(key));
    }
  }

  /**
   * UploadPartCopy in ranges (CopyObject takes at most 5 GiB), every range of the listed version.
   * One HeadObject of the source first gives the MD5 to keep in the copy's metadata as S3 keeps it
   * (the listed ETag may be an SSE-KMS one, no MD5), one of the copy then checks its size.
   */
  private FileInfo multipartCopy(S3Store s, FileInfo file, String key, Throttle throttle)
      throws IOException {
    try {
      HeadObjectResponse head = s3.headObject(h -> h.bucket(s.bucket).key(s.base + file.key()));
      // Only what the HEAD says of the listed version counts; the ranges are copied from that one
      // alone, or the copy fails.
      String md5 = Objects.equals(head.eTag(), file.version()) ? S3Etags.md5(head) : file.md5();
      multipart(
          key,
          md5,
          uploadId -> {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < file.size(); offset += tuning.copyPartSize, number++) {
              long end = Math.min(offset + tuning.copyPartSize, file.size());
              String range = "bytes=" + offset + "-" + (end - 1);
              long length = end - offset;
              int partNumber = number;
              throttle.request();
              throttle.bytes(length);
              String eTag =
                  s3.uploadPartCopy(
                          u ->
                              u.sourceBucket(s.bucket)
                                  .sourceKey(s.base + file.key())
                                  .copySourceIfMatch(file.version())
                                  .destinationBucket(bucket)
                                  .destinationKey(base + key)
                                  .uploadId(uploadId)
                                  .partNumber(partNumber)
                                  .copySourceRange(range)
                                  .overrideConfiguration(sized(length)))
                      .copyPartResult()
                      .eTag();
              parts.add(CompletedPart.builder().partNumber(partNumber).eTag(eTag).build());
            }
            return parts;
          });
      long size = s3.headObject(h -> h.bucket(bucket).key(base + key)).contentLength();
      return new FileInfo(key, size, null, comparable(file, md5));
    } catch (NoSuchKeyException e) {
      throw new FileNotFoundException(s.where(file.key()));
    } catch (SdkException e) {
      throw s.versionGoneOr(e, file, "copying " + s.where(file.key()) + " to " + where(key));
    }
  }

  /**
   * The MD5 of a copy of the listed version, for the caller to compare with the listed MD5. The
   * copy was pinned to that version (If-Match), so another MD5 shows that the listed one was not an
   * MD5 (the ETag of an SSE-KMS or SSE-C object in a bucket whose default encryption is neither,
   * which a listing cannot tell): then there is nothing to compare.
   */
  private static String comparable(FileInfo file, String md5) {
    boolean listedWasNoMd5 =
        file.version() != null && md5 != null && file.md5() != null && !md5.equals(file.md5());
    return listedWasNoMd5 ? null : md5;
  }

  /**
   * Nothing partial stays behind: S3 keeps uploaded parts (and bills them) until the upload is
   * aborted. A failure to abort is added to {@code cause}, which the caller throws.
   */
  private void abort(String key, String uploadId, Exception cause) {
    try {
      // A courtesy to a server that may be gone (the part failed on a timeout): one attempt's
      // time, not a whole call's.
      s3.abortMultipartUpload(
          a ->
              a.bucket(bucket)
                  .key(base + key)
                  .uploadId(uploadId)
                  .overrideConfiguration(o -> o.apiCallTimeout(timeouts.attempt(0))));
    } catch (SdkException abort) {
      cause.addSuppressed(abort);
    }
  }

  /**
   * The bounds of a request that moves {@code bytes}, in place of the client's (which are for
   * requests without a body): a large part may take longer than a listing page.
   */
  private AwsRequestOverrideConfiguration sized(long bytes) {
    return AwsRequestOverrideConfiguration.builder()
        .apiCallAttemptTimeout(timeouts.attempt(bytes))
        .apiCallTimeout(timeouts.call(bytes))
        .build();
  }

  /**
   * A GetObject body whose read failures name the connection and the object (a body that stops
   * flowing fails its read after the socket's timeout), and which is aborted when closed before its
   * end: the HTTP client would otherwise read the rest of it to reuse the connection.
   */
  private InputStream named(ResponseInputStream<GetObjectResponse> body, String what) {
    Long length = body.response().contentLength();
    return new FilterInputStream(body) {
      private long left = length == null ? Long.MAX_VALUE : length;
      private boolean ended = left == 0;

      @Override
      public int read() throws IOException {
        try {
          int b = super.read();
          ended |= b == -1 || (left -= 1) == 0;
          return b;
        } catch (IOException | SdkException e) {
          throw errors.io(what, e);
        }
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        try {
          int n = super.read(buffer, offset, length);
          ended |= n == -1 || (left -= n) == 0;
          return n;
        } catch (IOException | SdkException e) {
          throw errors.io(what, e);
        }
      }

      @Override
      public void close() throws IOException {
        if (!ended) {
          body.abort();
        }
        super.close();
      }
    };
  }

  private static void readFully(InputStream in, byte[] buffer, int length, String key)
      throws IOException {
    int n = in.readNBytes(buffer, 0, length);
    if (n < length) {
      throw new IOException("read " + n + " bytes of a " + length + "-byte part of " + key);
    }
  }

  private static String base64(byte[] digest) {
    return Base64.getEncoder().encodeToString(digest);
  }

  @Override
  public void close() {
    s3.close();
    if (presigner != null) {
      presigner.close();
    }
  }
}
