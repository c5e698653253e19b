package io.copyjob.monitor;

import io.copyjob.control.ControlStore;
import io.copyjob.spec.JobSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * Pushes one job's metrics (those of {@code /metrics}, read from the control store) to a Prometheus
 * Pushgateway at the end of a run, for runs started by cron or a scheduler with no {@code copyjob
 * ui} to scrape. The push replaces the job's group ({@code PUT /metrics/job@base64/<job>}): the
 * gateway always holds the last run's values. {@code copyjob_seconds_since_last_success} is left
 * out, since a pushed value would stand still; alert on {@code time() -
 * copyjob_last_success_timestamp_seconds} instead.
 */
public final class Pushgateway {
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final URI base;
  private final HttpClient http;

  private Pushgateway(URI base) {
    this.base = base;
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  }

  /**
   * A gateway at {@code url} ({@code http://host:9091}, or with a path prefix); throws {@link
   * IllegalArgumentException} naming the option for anything else.
   */
  public static Pushgateway at(String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--pushgateway: not a URL: " + e.getMessage());
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "--pushgateway: must be an http:// or https:// URL like http://pushgateway:9091, got '"
              + shown(uri)
              + "'");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "--pushgateway: a password in the URL would show in process lists; put the gateway"
              + " behind a proxy that needs none, or reach it on a private network");
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw new IllegalArgumentException(
          "--pushgateway: no query or fragment, got '" + shown(uri) + "'");
    }
    return new Pushgateway(uri);
  }

  /** Where pushes go, for messages. */
  @Override
  public String toString() {
    return shown(base);
  }

  /** Pushes {@code spec}'s job's metrics as the control store holds them now. */
  public void push(JobSpec spec) throws IOException, SQLException {
    byte[] body;
    try (ControlStore control = ControlStore.open(spec.control())) {
      body = RunMetrics.textForJob(control, Instant.now(), spec.name());
    }
    push(spec.name(), body);
  }

  void push(String job, byte[] body) throws IOException {
    String path = base.getRawPath() == null ? "" : base.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    // The base64 form takes any job name, '/' included (the Pushgateway's documented escape).
    String group =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(job.getBytes(StandardCharsets.UTF_8));
    URI target =
        URI.create(
            base.getScheme()
                + "://"
                + base.getRawAuthority()
                + path
                + "/metrics/job@base64/"
                + (group.isEmpty() ? "=" : group));
    HttpRequest request =
        HttpRequest.newBuilder(target)
            .timeout(TIMEOUT)
            .header("Content-Type", RunMetrics.contentType())
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pushing to " + this, e);
    } catch (IOException e) {
      throw new IOException(
          "cannot reach the Pushgateway at "
              + this
              + ": "
              + (e.getMessage() == null ? e : e.getMessage()),
          e);
    }
    if (response.statusCode() / 100 != 2) {
      String answer = response.body().strip();
      throw new IOException(
          "the Pushgateway at "
              + this
              + " answered HTTP "
              + response.statusCode()
              + (answer.isEmpty() ? "" : ": " + answer.lines().findFirst().orElse("")));
    }
  }

  private static String shown(URI uri) {
    // Never a user's password, should one be there.
    return uri.getRawUserInfo() == null
        ? uri.toString()
        : uri.toString().replace(uri.getRawUserInfo() + "@", "");
  }
}
