package io.copyjob.store.s3;

import io.copyjob.spec.Connection;
import io.copyjob.store.RequestTimeouts;
import io.copyjob.store.TransferEvents;
import java.io.IOException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.core.retry.RetryPolicyContext;
import software.amazon.awssdk.core.retry.conditions.OrRetryCondition;
import software.amazon.awssdk.core.retry.conditions.RetryCondition;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** Builds the SDK's S3 client (and presigner) for a connection. */
final class S3Clients {
  /** Enough connections for every transfer of a worker, with listings and HEADs beside them. */
  private static final int MAX_CONNECTIONS = 256;

  private S3Clients() {}

  /**
   * The client for {@code c}, whose requests never wait longer than {@code timeouts} allow: the
   * socket's connect and read timeouts and the wait for a pooled connection are the request
   * timeout; a call and each of its attempts are bounded as {@link RequestTimeouts} says for a call
   * without a body (requests with one set their own bounds). A stalled write has no timeout in the
   * JDK: only the attempt's bound, which aborts the connection, ends it.
   */
  static S3Client client(Connection.S3 c, RequestTimeouts timeouts) throws IOException {
    var builder =
        S3Client.builder()
            .region(region(c))
            .credentialsProvider(credentials(c))
            .serviceConfiguration(
                S3Configuration.builder()
                    .pathStyleAccessEnabled(c.pathStyle())
                    // Verification is ours (Content-MD5 and ETag), on every path alike.
                    .checksumValidationEnabled(false)
                    .build())
            .httpClientBuilder(
                ApacheHttpClient.builder()
                    .maxConnections(MAX_CONNECTIONS)
                    .connectionTimeout(timeouts.request())
                    .socketTimeout(timeouts.request())
                    .connectionAcquisitionTimeout(timeouts.request()))
            // ADAPTIVE: exponential backoff with jitter, and client-side slowing down on 503
            // SlowDown, which S3 sends when a prefix gets more requests than it takes.
            .overrideConfiguration(
                ClientOverrideConfiguration.builder()
                    .retryPolicy(
                        RetryPolicy.builder(RetryMode.ADAPTIVE)
                            .numRetries(5)
                            .retryCondition(
                                OrRetryCondition.create(
                                    RetryCondition.defaultRetryCondition(),
                                    S3Clients::answerCutShort))
                            .build())
                    .addExecutionInterceptor(new ThrottlingAnswers())
                    .apiCallAttemptTimeout(timeouts.attempt(0))
                    .apiCallTimeout(timeouts.call(0))
                    .build());
    if (c.endpoint() != null) {
      builder.endpointOverride(c.endpoint());
    }
    return builder.build();
  }

  /**
   * The host:port the client's requests about {@code bucket} go to: the connection's endpoint (the
   * bucket in front of its host unless the connection addresses buckets by path or the host is an
   * IP, as the SDK does), or S3's own in the connection's region.
   */
  static String address(Connection.S3 c, String bucket) {
    if (c.endpoint() == null) {
      return (c.pathStyle() ? "" : bucket + ".") + "s3." + region(c).id() + ".amazonaws.com:443";
    }
    String host = c.endpoint().getHost();
    boolean ip = host.matches("[0-9.]+") || host.startsWith("[");
    return (c.pathStyle() || ip ? "" : bucket + ".") + RequestTimeouts.address(c.endpoint());
  }

  /** Counts each attempt S3 answered with 503 (SlowDown), retried by the SDK or not. */
  static final class ThrottlingAnswers implements ExecutionInterceptor {
    @Override
    public void afterTransmission(
        Context.AfterTransmission context, ExecutionAttributes attributes) {
      if (TransferEvents.isThrottling(context.httpResponse().statusCode())) {
        TransferEvents.throttled();
      }
    }
  }

  /**
   * The connection broke while the SDK read an answer's XML (a listing page, a multipart upload's
   * id): the SDK reports "Could not parse XML response" with the I/O failure below the parser's own
   * exception, where its default condition, which looks one cause deep, does not see it.
   */
  private static boolean answerCutShort(RetryPolicyContext context) {
    Throwable t = context.exception();
    for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  static S3Presigner presigner(Connection.S3 c) throws IOException {
    var builder =
        S3Presigner.builder()
            .region(region(c))
            .credentialsProvider(credentials(c))
            .serviceConfiguration(
                S3Configuration.builder().pathStyleAccessEnabled(c.pathStyle()).build());
    if (c.endpoint() != null) {
      builder.endpointOverride(c.endpoint());
    }
    return builder.build();
  }

  private static Region region(Connection.S3 c) {
    return Region.of(c.region() == null ? "us-east-1" : c.region());
  }

  private static AwsCredentialsProvider credentials(Connection.S3 c) throws IOException {
    if (c.accessKeyIdEnv() != null || c.secretAccessKeyEnv() != null) {
      return StaticCredentialsProvider.create(
          AwsBasicCredentials.create(
              env(c, c.accessKeyIdEnv(), "accessKeyIdEnv"),
              env(c, c.secretAccessKeyEnv(), "secretAccessKeyEnv")));
    }
    if (c.profile() != null) {
      return ProfileCredentialsProvider.create(c.profile());
    }
    return DefaultCredentialsProvider.create();
  }

  private static String env(Connection.S3 c, String variable, String field) throws IOException {
    if (variable == null) {
      throw new IOException(
          "connection '" + c.name() + "': " + field + " is needed with the other key variable");
    }
    return c.secret(variable);
  }
}
