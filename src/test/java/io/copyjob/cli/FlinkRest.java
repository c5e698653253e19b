package io.copyjob.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Reads a Flink cluster's REST API in tests. */
final class FlinkRest {
  private FlinkRest() {}

  /** Metaspace used by the cluster's (only) TaskManager JVM, in bytes. */
  static long taskManagerMetaspaceUsed(String master) throws Exception {
    JsonNode taskManagers = get(master, "/taskmanagers").path("taskmanagers");
    if (taskManagers.size() != 1) {
      throw new AssertionError("expected one TaskManager, the cluster has " + taskManagers);
    }
    String id = taskManagers.get(0).path("id").asText();
    // The JobManager fetches TaskManager metrics lazily (metrics.fetcher.update-interval, 10 s):
    // the first request after a while may answer nothing yet.
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      JsonNode metrics =
          get(master, "/taskmanagers/" + id + "/metrics?get=Status.JVM.Memory.Metaspace.Used");
      if (metrics.size() == 1) {
        return Long.parseLong(metrics.get(0).path("value").asText());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no metaspace metric for TaskManager " + id + ": " + metrics);
      }
      Thread.sleep(500);
    }
  }

  /** The state of each job the cluster knows, by job name (the last one of a name wins). */
  static java.util.Map<String, String> jobStates(String master) throws Exception {
    java.util.Map<String, String> states = new java.util.HashMap<>();
    for (JsonNode job : get(master, "/jobs/overview").path("jobs")) {
      states.put(job.path("name").asText(), job.path("state").asText());
    }
    return states;
  }

  /** The names of the cluster's running jobs. */
  static java.util.Set<String> runningJobs(String master) throws Exception {
    java.util.Set<String> running = new java.util.TreeSet<>();
    for (JsonNode job : get(master, "/jobs/overview").path("jobs")) {
      if (job.path("state").asText().equals("RUNNING")) {
        running.add(job.path("name").asText());
      }
    }
    return running;
  }

  /** The cluster's slots: {free, in all}. */
  static int[] slots(String master) throws Exception {
    JsonNode overview = get(master, "/overview");
    return new int[] {
      overview.path("slots-available").asInt(), overview.path("slots-total").asInt()
    };
  }

  /**
   * The job of this name's checkpoints: how many completed, and the id of the checkpoint it was
   * last restored from (-1 when never restored).
   */
  static long[] checkpoints(String master, String name) throws Exception {
    for (JsonNode job : get(master, "/jobs/overview").path("jobs")) {
      if (job.path("name").asText().equals(name)
          && !job.path("state").asText().equals("CANCELED")) {
        JsonNode checkpoints = get(master, "/jobs/" + job.path("jid").asText() + "/checkpoints");
        JsonNode restored = checkpoints.path("latest").path("restored");
        return new long[] {
          checkpoints.path("counts").path("completed").asLong(),
          restored.isMissingNode() || restored.isNull() ? -1 : restored.path("id").asLong()
        };
      }
    }
    throw new AssertionError("no job " + name);
  }

  /** Cancels the cluster's running job of this name, as {@code flink cancel} does. */
  static void cancel(String master, String name) throws Exception {
    for (JsonNode job : get(master, "/jobs/overview").path("jobs")) {
      if (job.path("name").asText().equals(name) && job.path("state").asText().equals("RUNNING")) {
        HttpResponse<String> response =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://"
                                    + master
                                    + "/jobs/"
                                    + job.path("jid").asText()
                                    + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
          throw new AssertionError("cancel " + name + ": HTTP " + response.statusCode());
        }
        return;
      }
    }
    throw new AssertionError("no running job " + name);
  }

  private static JsonNode get(String master, String path) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + master + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new AssertionError("GET " + path + ": HTTP " + response.statusCode());
    }
    return new ObjectMapper().readTree(response.body());
  }
}
