package io.copyjob.store.s3;

import io.copyjob.spec.Connection;
import io.copyjob.store.CantCopyException;
import io.copyjob.store.Checksums;
import io.copyjob.store.FileInfo;
import io.copyjob.store.ForwardingStore;
import io.copyjob.store.Listing;
import io.copyjob.store.Listings;
import io.copyjob.store.RequestTimeouts;
import io.copyjob.store.ServerSideCopy;
import io.copyjob.store.Store;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Objects below {@code s3://bucket/path/} through the AWS SDK v2: listings are ListObjectsV2 pages
 * fetched as they are iterated; files up to {@link Tuning#partSize} go up in one PutObject with
 * Content-MD5 (S3 refuses the body when it does not match), larger ones as a multipart upload of
 * parts each verified the same way, holding one part in memory. A single-part object's ETag is its
 * MD5 and is taken from the listing, so no HEAD is needed to verify or skip it.
 */
public final class S3Store implements Store {
  /** Metadata key of the MD5 of a multipart object (whose ETag is not an MD5), when known. */
  static final String MD5_METADATA = "copyjob-md5";

  /** S3's largest single PutObject and CopyObject. */
  private static final long MAX_SINGLE_COPY = 5L << 30;

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
  }

  private final URI root;
  private final Connection.S3 connection;
  private final Tuning tuning;
  private final String bucket;
  private final String base;
  private final RequestTimeouts timeouts;
  private final S3Client s3;
  private S3Presigner presigner;

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
        throw S3Errors.io(name(), "bucket '" + bucket + "'", e);
      }
      createOrFail(create);
    } catch (SdkException e) {
      throw S3Errors.io(name(), "bucket '" + bucket + "'", e);
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
    } catch (SdkException e) {
      throw S3Errors.io(name(), "creating bucket '" + bucket + "'", e);
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
            .maxKeys(tuning.pageSize);
    if (!recursive) {
      request.delimiter("/");
    }
    Iterator<S3Object> objects;
    try {
      objects = s3.listObjectsV2Paginator(request.build()).contents().iterator();
    } catch (SdkException e) {
      throw S3Errors.io(name(), "listing " + where(prefix), e);
    }
    return Listings.mapped(
        objects,
        // Folder markers (zero-byte keys ending in '/') are not files.
        object ->
            object.key().endsWith("/")
                ? null
                : new FileInfo(
                    object.key().substring(base.length()),
                    object.size(),
                    object.lastModified(),
                    md5FromETag(object.eTag())),
        e ->
            e instanceof SdkException sdk
                ? S3Errors.io(name(), "listing " + where(prefix), sdk)
                : new IOException("listing " + where(prefix) + ": " + e.getMessage(), e));
  }

  /** A single-part object's ETag is the hex MD5 of its content; a multipart one's has a '-'. */
  static String md5FromETag(String eTag) {
    if (eTag == null) {
      return null;
    }
    String value = eTag.replace("\"", "");
    return value.length() == 32 && !value.contains("-") ? value.toLowerCase() : null;
  }

  @Override
  public Optional<FileInfo> stat(String key) throws IOException {
    try {
      HeadObjectResponse head = s3.headObject(h -> h.bucket(bucket).key(base + key));
      String md5 = md5FromETag(head.eTag());
      if (md5 == null) {
        md5 = head.metadata().get(MD5_METADATA);
      }
      return Optional.of(new FileInfo(key, head.contentLength(), head.lastModified(), md5));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw S3Errors.io(name(), "stat " + where(key), e);
    } catch (SdkException e) {
      throw S3Errors.io(name(), "stat " + where(key), e);
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    try {
      return named(s3.getObject(g -> g.bucket(bucket).key(base + key)), "reading " + where(key));
    } catch (NoSuchKeyException e) {
      throw new FileNotFoundException(where(key));
    } catch (SdkException e) {
      throw S3Errors.io(name(), "reading " + where(key), e);
    }
  }

  @Override
  public FileInfo put(String key, InputStream content, FileInfo source) throws IOException {
    try {
      return source.size() <= tuning.partSize
          ? putSingle(key, content, source)
          : putMultipart(key, content, source);
    } catch (SdkException e) {
      throw S3Errors.io(name(), "writing " + where(key), e);
    }
  }

  /**
   * Streams the body: with the source's MD5 known (an S3 or Azure listing) S3 verifies it; else the
   * ETag S3 answers is the MD5 of what it stored, which the caller checks against what it read.
   */
  private FileInfo putSingle(String key, InputStream content, FileInfo source) throws IOException {
    var response =
        s3.putObject(
            p -> {
              p.bucket(bucket)
                  .key(base + key)
                  .contentLength(source.size())
                  .overrideConfiguration(sized(source.size()));
              if (source.md5() != null) {
                p.contentMD5(base64(HexFormat.of().parseHex(source.md5())));
              }
            },
            RequestBody.fromInputStream(content, source.size()));
    return new FileInfo(key, source.size(), null, md5FromETag(response.eTag()));
  }

  private FileInfo putMultipart(String key, InputStream content, FileInfo source)
      throws IOException {
    MessageDigest whole = Checksums.newMd5();
    multipart(
        key,
        source.md5(),
        uploadId -> {
          List<CompletedPart> parts = new ArrayList<>();
          byte[] buffer = new byte[tuning.partSize];
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
                        RequestBody.fromInputStream(
                            new java.io.ByteArrayInputStream(buffer, 0, length), length))
                    .eTag();
            parts.add(CompletedPart.builder().partNumber(partNumber).eTag(eTag).build());
            left -= length;
          }
          if (content.read() != -1) {
            throw new IOException("more bytes than the listed " + source.size() + " in " + key);
          }
          return parts;
        });
    String md5 = HexFormat.of().formatHex(whole.digest());
    if (source.md5() == null && source.size() <= MAX_SINGLE_COPY) {
      // A multipart ETag is no MD5: keep the one computed while uploading in the object's
      // metadata (set only at creation, hence a copy onto itself), so that later runs can
      // skip the object without reading it.
      s3.copyObject(
          c ->
              c.sourceBucket(bucket)
                  .sourceKey(base + key)
                  .destinationBucket(bucket)
                  .destinationKey(base + key)
                  .metadataDirective(MetadataDirective.REPLACE)
                  .metadata(Map.of(MD5_METADATA, md5))
                  .overrideConfiguration(sized(source.size())));
    }
    return new FileInfo(key, source.size(), null, md5);
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
      throw S3Errors.io(name(), "deleting " + where(key), e);
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
      throw S3Errors.io(name(), "presigning " + where(key), e);
    }
  }

  /** CopyObject within the endpoint of this store's connection. */
  @Override
  public Optional<ServerSideCopy> serverSideCopy() {
    return Optional.of(this::copyFrom);
  }

  private FileInfo copyFrom(Store from, FileInfo file, String key) throws IOException {
    Store source = ForwardingStore.unwrap(from);
    if (!(source instanceof S3Store s) || !s.connection.equals(connection)) {
      throw new CantCopyException("server-side copy needs both ends on one S3 connection", null);
    }
    if (file.size() > tuning.copyThreshold) {
      return multipartCopy(s, file, key);
    }
    try {
      var response =
          s3.copyObject(
              c ->
                  c.sourceBucket(s.bucket)
                      .sourceKey(s.base + file.key())
                      .destinationBucket(bucket)
                      .destinationKey(base + key)
                      .overrideConfiguration(sized(file.size())));
      String eTag = response.copyObjectResult().eTag();
      String md5 = md5FromETag(eTag);
      return new FileInfo(key, file.size(), response.copyObjectResult().lastModified(), md5);
    } catch (NoSuchKeyException e) {
      throw new FileNotFoundException(s.where(file.key()));
    } catch (SdkException e) {
      throw S3Errors.io(name(), "copying " + s.where(file.key()) + " to " + where(key), e);
    }
  }

  /** UploadPartCopy in ranges: CopyObject takes at most 5 GiB. */
  private FileInfo multipartCopy(S3Store s, FileInfo file, String key) throws IOException {
    try {
      multipart(
          key,
          file.md5(),
          uploadId -> {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < file.size(); offset += tuning.copyPartSize, number++) {
              long end = Math.min(offset + tuning.copyPartSize, file.size());
              String range = "bytes=" + offset + "-" + (end - 1);
              long length = end - offset;
              int partNumber = number;
              String eTag =
                  s3.uploadPartCopy(
                          u ->
                              u.sourceBucket(s.bucket)
                                  .sourceKey(s.base + file.key())
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
      return new FileInfo(key, file.size(), null, file.md5());
    } catch (NoSuchKeyException e) {
      throw new FileNotFoundException(s.where(file.key()));
    } catch (SdkException e) {
      throw S3Errors.io(name(), "copying " + s.where(file.key()) + " to " + where(key), e);
    }
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
          throw S3Errors.io(name(), what, e);
        }
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        try {
          int n = super.read(buffer, offset, length);
          ended |= n == -1 || (left -= n) == 0;
          return n;
        } catch (IOException | SdkException e) {
          throw S3Errors.io(name(), what, e);
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
