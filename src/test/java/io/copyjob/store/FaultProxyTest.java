package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.copyjob.store.FaultProxy.Fault;
import io.copyjob.store.FaultProxy.Flavor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * The fault proxy against the JDK's own HTTP server: bodies of every framing pass byte for byte on
 * kept-alive connections, and each fault does what it says and is counted.
 */
public class FaultProxyTest {
  @Rule public Timeout timeout = Timeout.seconds(60);

  private final AtomicInteger served = new AtomicInteger();
  private HttpServer server;
  private FaultProxy proxy;
  private HttpClient client;

  @Before
  public void setUp() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/fixed", e -> answer(e, data(e), data(e).length));
    server.createContext("/chunked", e -> answer(e, data(e), 0)); // 0: chunked
    server.createContext("/echo", e -> answer(e, e.getRequestBody().readAllBytes(), -2));
    server.start();
    proxy =
        FaultProxy.start(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort()), Flavor.S3, 7);
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @After
  public void tearDown() {
    proxy.close();
    server.stop(0);
  }

  /** The bytes /fixed/N and /chunked/N answer: N bytes from a seed. */
  private static byte[] data(HttpExchange e) {
    String path = e.getRequestURI().getPath();
    return bytes(Integer.parseInt(path.substring(path.lastIndexOf('/') + 1)));
  }

  private static byte[] bytes(int size) {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return data;
  }

  /** Answers {@code body}: with its length, chunked (0), or as long as the request's (-2). */
  private void answer(HttpExchange e, byte[] body, long framing) throws IOException {
    served.incrementAndGet();
    boolean head = e.getRequestMethod().equals("HEAD");
    e.sendResponseHeaders(200, head ? -1 : framing == -2 ? body.length : framing);
    try (OutputStream out = e.getResponseBody()) {
      for (int at = 0; !head && at < body.length; at += 10_000) { // several writes: several chunks
        out.write(body, at, Math.min(10_000, body.length - at));
        out.flush();
      }
    }
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(proxy.endpoint().resolve(path))
            .timeout(Duration.ofSeconds(2))
            .build(),
        BodyHandlers.ofByteArray());
  }

  @Test
  public void bodiesOfEveryFramingPassByteForByteOnKeptAliveConnections() throws Exception {
    assertThat(get("/fixed/1000000").body()).isEqualTo(bytes(1_000_000));
    assertThat(get("/chunked/250000").body()).isEqualTo(bytes(250_000));
    assertThat(get("/fixed/0").body()).isEmpty();
    HttpResponse<byte[]> head =
        client.send(
            HttpRequest.newBuilder(proxy.endpoint().resolve("/fixed/5000"))
                .method("HEAD", BodyPublishers.noBody())
                .build(),
            BodyHandlers.ofByteArray());
    assertThat(head.statusCode()).isEqualTo(200);
    byte[] upload = bytes(300_000);
    HttpResponse<byte[]> fixed =
        client.send(
            HttpRequest.newBuilder(proxy.endpoint().resolve("/echo"))
                .POST(BodyPublishers.ofByteArray(upload))
                .build(),
            BodyHandlers.ofByteArray());
    assertThat(fixed.body()).isEqualTo(upload);
    HttpResponse<byte[]> chunked = // a stream of unknown length goes chunked
        client.send(
            HttpRequest.newBuilder(proxy.endpoint().resolve("/echo"))
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(upload)))
                .build(),
            BodyHandlers.ofByteArray());
    assertThat(chunked.body()).isEqualTo(upload);
    assertThat(get("/fixed/10").body()).isEqualTo(bytes(10));

    assertThat(proxy.exchanges()).isEqualTo(7);
    assertThat(served.get()).isEqualTo(7);
    for (Fault fault : Fault.values()) {
      assertThat(proxy.injected(fault)).as(fault.name()).isZero();
    }
  }

  @Test
  public void busyAnswersAsTheStoreThrottlesWithoutAskingTheServer() throws Exception {
    proxy.inject(1, Fault.BUSY);

    HttpResponse<byte[]> response = get("/fixed/100");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(new String(response.body())).contains("<Code>SlowDown</Code>");
    assertThat(served.get()).isZero();
    assertThat(proxy.injected(Fault.BUSY)).isEqualTo(1);
    try (FaultProxy azure =
        FaultProxy.start(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()), Flavor.AZURE, 1)
            .inject(1, Fault.BUSY)) {
      HttpResponse<String> busy =
          client.send(
              HttpRequest.newBuilder(azure.endpoint().resolve("/echo"))
                  .POST(BodyPublishers.ofByteArray(bytes(70_000)))
                  .build(),
              BodyHandlers.ofString());
      assertThat(busy.statusCode()).isEqualTo(503);
      assertThat(busy.headers().firstValue("x-ms-error-code")).hasValue("ServerBusy");
      assertThat(busy.body()).contains("<Code>ServerBusy</Code>");
    }
  }

  @Test
  public void aResetCutsADownloadOrAnUploadHalfWay() throws Exception {
    proxy.inject(1, Fault.RESET);

    assertThatThrownBy(() -> get("/fixed/1000000")).isInstanceOf(IOException.class);
    assertThatThrownBy(
            () ->
                client.send(
                    HttpRequest.newBuilder(proxy.endpoint().resolve("/echo"))
                        .POST(BodyPublishers.ofByteArray(bytes(1_000_000)))
                        .build(),
                    BodyHandlers.ofByteArray()))
        .isInstanceOf(IOException.class);

    assertThat(proxy.injected(Fault.RESET)).isEqualTo(2);
    assertThat(served.get()).isEqualTo(1); // the download's request reached the server
  }

  @Test
  public void aTruncatedBodyEndsBeforeItsLength() throws Exception {
    proxy.inject(1, Fault.TRUNCATE);

    assertThatThrownBy(() -> get("/fixed/100000")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> get("/chunked/100000")).isInstanceOf(IOException.class);

    assertThat(proxy.injected(Fault.TRUNCATE)).isEqualTo(2);
  }

  @Test
  public void aStallHoldsHalfWayThroughTheBodyUntilHealed() throws Exception {
    proxy.inject(1, Fault.STALL);

    CompletableFuture<HttpResponse<byte[]>> held =
        client.sendAsync(
            HttpRequest.newBuilder(proxy.endpoint().resolve("/fixed/100000")).build(),
            BodyHandlers.ofByteArray());
    assertThatThrownBy(() -> held.get(2, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);
    assertThat(proxy.injected(Fault.STALL)).isEqualTo(1);

    proxy.heal(); // the held exchange's connection closes; new ones pass
    assertThatThrownBy(() -> held.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
    assertThat(get("/fixed/100000").body()).isEqualTo(bytes(100_000));
  }

  @Test
  public void stallAfterLetsARunStartThenHoldsEverythingUntilHealed() throws Exception {
    proxy.stallAfter(2);

    assertThat(get("/fixed/10").statusCode()).isEqualTo(200);
    assertThat(get("/fixed/10").statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> get("/fixed/10")).isInstanceOf(HttpTimeoutException.class);
    assertThatThrownBy(() -> get("/chunked/10")).isInstanceOf(HttpTimeoutException.class);
    assertThat(proxy.injected(Fault.STALL)).isEqualTo(2);

    proxy.heal();
    assertThat(get("/chunked/30000").body()).isEqualTo(bytes(30_000));
  }

  @Test
  public void faultsComeAtTheirRateAndEachIsCounted() throws Exception {
    proxy.inject(0.25, Fault.BUSY);
    int busy = 0;
    for (int i = 0; i < 200; i++) {
      if (get("/fixed/100").statusCode() == 503) {
        busy++;
      }
    }
    assertThat(proxy.injected(Fault.BUSY)).isEqualTo(busy);
    assertThat(busy).isBetween(25, 75);
    assertThat(served.get()).isEqualTo(200 - busy);
  }

  @Test
  public void faultAtBreaksExactlyTheExchangeItNames() throws Exception {
    proxy.faultAt(2, Fault.BUSY);

    assertThat(get("/fixed/10").statusCode()).isEqualTo(200);
    assertThat(get("/fixed/10").statusCode()).isEqualTo(503);
    assertThat(get("/fixed/10").statusCode()).isEqualTo(200);
    assertThat(proxy.injected(Fault.BUSY)).isEqualTo(1);
  }

  @Test
  public void atLeastGivesEachKindItsNumberWithinTheExchangesNamed() throws Exception {
    proxy.atLeast(2, 2, 12, Fault.BUSY, Fault.TRUNCATE);
    int busy = 0;
    int cut = 0;
    for (int i = 0; i < 14; i++) {
      try {
        HttpResponse<byte[]> answer = get("/fixed/100000");
        if (i < 2) {
          assertThat(answer.statusCode())
              .as("the first two exchanges are left alone")
              .isEqualTo(200);
        }
        if (answer.statusCode() == 503) {
          busy++;
        } else {
          assertThat(answer.body()).isEqualTo(bytes(100_000));
        }
      } catch (IOException e) {
        cut++;
      }
    }

    assertThat(busy).isEqualTo(2);
    assertThat(cut).isEqualTo(2);
    assertThat(proxy.injected(Fault.BUSY)).isEqualTo(2);
    assertThat(proxy.injected(Fault.TRUNCATE)).isEqualTo(2);
  }

  @Test
  public void aPlannedFaultItsExchangeCannotCarryGoesToTheNext() throws Exception {
    proxy.atLeast(1, 0, 1, Fault.RESET);
    // A one-byte body cannot be cut half-way: the exchange passes whole.
    HttpResponse<byte[]> echo =
        client.send(
            HttpRequest.newBuilder(proxy.endpoint().resolve("/echo"))
                .POST(BodyPublishers.ofByteArray(new byte[] {42}))
                .build(),
            BodyHandlers.ofByteArray());
    assertThat(echo.body()).containsExactly(42);
    assertThat(proxy.injected(Fault.RESET)).isZero();

    assertThatThrownBy(() -> get("/fixed/100000")).isInstanceOf(IOException.class);
    assertThat(get("/fixed/10").body()).isEqualTo(bytes(10));
    assertThat(proxy.injected(Fault.RESET)).isEqualTo(1);
  }

  @Test
  public void injectAfterLetsARunStartThenBreaksWhatFollows() throws Exception {
    proxy.injectAfter(2, 1, Fault.BUSY);

    assertThat(get("/fixed/10").statusCode()).isEqualTo(200);
    assertThat(get("/fixed/10").statusCode()).isEqualTo(200);
    assertThat(get("/fixed/10").statusCode()).isEqualTo(503);
    assertThat(get("/fixed/10").statusCode()).isEqualTo(503);

    proxy.heal();
    assertThat(get("/fixed/10").statusCode()).isEqualTo(200);
    assertThat(proxy.injected(Fault.BUSY)).isEqualTo(2);
  }

  @Test
  public void onlyTheRequestsChosenAreBroken() throws Exception {
    proxy.inject(1, Fault.TRUNCATE).only(line -> line.startsWith("GET /chunked/"));

    assertThat(get("/fixed/100000").body()).isEqualTo(bytes(100_000));
    assertThatThrownBy(() -> get("/chunked/100000")).isInstanceOf(IOException.class);
    assertThat(get("/fixed/10").body()).isEqualTo(bytes(10));

    assertThat(proxy.injected(Fault.TRUNCATE)).isEqualTo(1);
    assertThat(proxy.requests())
        .containsExactly(
            "GET /fixed/100000 HTTP/1.1", "GET /chunked/100000 HTTP/1.1", "GET /fixed/10 HTTP/1.1");
  }
}
