package io.copyjob.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.copyjob.pipeline.JobException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** What copyjob asks a Flink session cluster's REST endpoint before it submits a job. */
final class FlinkCluster {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private FlinkCluster() {}

  /**
   * The task slots of the cluster at {@code master} (HOST:PORT of its REST endpoint). A job
   * submitted without a parallelism would otherwise run with one: Beam takes the default from the
   * client's Flink configuration, not the cluster's.
   */
  static int totalSlots(String master) {
    URI overview = URI.create(baseUrl(master) + "/overview");
    try {
      HttpResponse<String> response =
          HttpClient.newBuilder()
              .connectTimeout(TIMEOUT)
              .build()
              .send(
                  HttpRequest.newBuilder(overview).timeout(TIMEOUT).GET().build(),
                  HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode());
      }
      JsonNode slots = new ObjectMapper().readTree(response.body()).path("slots-total");
      if (!slots.canConvertToInt() || slots.asInt() < 1) {
        throw new IOException("the cluster reports no task slots (is a TaskManager registered?)");
      }
      return slots.asInt();
    } catch (IOException e) {
      throw new JobException(
          "--flink-master: cannot reach the Flink cluster at " + overview + ": " + message(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JobException("--flink-master: interrupted while asking " + overview);
    }
  }

  private static String baseUrl(String master) {
    return master.startsWith("http://") || master.startsWith("https://")
        ? master.replaceAll("/+$", "")
        : "http://" + master;
  }

  private static String message(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
