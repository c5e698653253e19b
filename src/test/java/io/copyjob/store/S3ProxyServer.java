package io.copyjob.store;

import io.copyjob.spec.Connection;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.rules.ExternalResource;

/**
 * A real S3 API server in the test JVM: s3proxy on loopback, on a free port, over an in-memory
 * store. Its access key and secret reach copyjob the way a user's do: through environment variables
 * (COPYJOB_TEST_S3_KEY and COPYJOB_TEST_S3_SECRET, which scripts/test exports).
 */
public final class S3ProxyServer extends ExternalResource {
  public static final String ACCESS_KEY = "copyjob-test-key";
  public static final String SECRET_KEY = "copyjob-test-secret";

  private final boolean onFiles;
  private Path folder;
  private S3Proxy proxy;
  private BlobStoreContext context;

  /** A server over an in-memory store. */
  public S3ProxyServer() {
    this(false);
  }

  private S3ProxyServer(boolean onFiles) {
    this.onFiles = onFiles;
  }

  /**
   * A server over a folder, one file per object, whose LastModified is the file's modification
   * time: a test can give an object the time S3 itself would (see {@link #objectFile}).
   */
  public static S3ProxyServer onFiles() {
    return new S3ProxyServer(true);
  }

  /** The file holding an object of a server {@link #onFiles}. */
  public Path objectFile(String bucket, String key) {
    return folder.resolve(bucket).resolve(key);
  }

  @Override
  protected void before() throws Throwable {
    Properties properties = new Properties();
    if (onFiles) {
      folder = Files.createTempDirectory("s3proxy");
      properties.setProperty("jclouds.filesystem.basedir", folder.toString());
    }
    context =
        ContextBuilder.newBuilder(onFiles ? "filesystem" : "transient")
            .credentials("identity", "credential")
            .overrides(properties)
            .build(BlobStoreContext.class);
    proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            // Current AWS SDKs send headers s3proxy does not know; it refuses them otherwise.
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    while (!proxy.getState().equals("STARTED")) {
      Thread.sleep(10);
    }
  }

  @Override
  protected void after() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    context.close();
    if (folder != null) {
      try (Stream<Path> walk = Files.walk(folder)) {
        for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
          Files.delete(p);
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** The endpoint; an IP, not "localhost", so that the SDK addresses buckets by path. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /**
   * Stores an object straight into the server's store, past HTTP: for keys that S3 holds but
   * s3proxy refuses from the AWS SDK ("//", which the SDK sends as "/%2F" and signs as "//";
   * s3proxy checks the signature against the path as sent).
   */
  public void putDirectly(String bucket, String key, byte[] data) {
    var blobs = context.getBlobStore();
    blobs.putBlob(bucket, blobs.blobBuilder(key).payload(data).contentLength(data.length).build());
  }

  /** A connection with the server's keys, taken from the environment as a user's are. */
  public Connection.S3 connection(String name, boolean createBucket) {
    return connection(name, createBucket, endpoint());
  }

  /**
   * A connection with the server's keys that reaches it at {@code endpoint}: a proxy in front of
   * it, such as a {@link FaultProxy}.
   */
  public Connection.S3 connection(String name, boolean createBucket, URI endpoint) {
    return new Connection.S3(
        name,
        "us-east-1",
        endpoint,
        true,
        "COPYJOB_TEST_S3_KEY",
        "COPYJOB_TEST_S3_SECRET",
        null,
        createBucket);
  }
}
