package io.copyjob.store;

import io.copyjob.spec.Connection;
import io.copyjob.store.HttpFraming.Gate;
import io.copyjob.store.HttpFraming.Head;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * An HTTP/1.1 proxy for tests that sits on loopback between copyjob and a real server (s3proxy,
 * Azurite) and breaks some of the exchanges the way networks and services do.
 *
 * <p>Each exchange (one request and its response) draws from a seeded {@link Random}: with the
 * probability set by {@link #inject} it gets one of the chosen {@link Fault}s, else it passes
 * untouched; {@link #atLeast} plans a number of each kind besides, so that a test's floor on them
 * holds whatever the timing. {@link #stallAll()} holds every exchange, those in flight included,
 * until {@link #heal()}; {@link #stallAfter} does the same once a number of exchanges have started,
 * so a test can let a run begin and then take its server away ({@link #injectAfter}: break it). The
 * faults injected are counted per kind.
 *
 * <p>Messages are framed (Content-Length, chunked, or up to the end of the connection; a HEAD's
 * answer has no body; {@code Expect: 100-continue} waits for the server's interim answer) but
 * forwarded byte for byte: signatures, including the AWS SDK's aws-chunked payload signing (framed
 * by Content-Length), stay valid. The client's connection is kept alive as the client and server
 * ask; each exchange goes to the server on a connection of its own, so a server closing an idle
 * connection never shows as a fault. Every connection has its own thread (daemon threads from a
 * cached pool); {@link #close()} ends them all.
 */
public final class FaultProxy implements AutoCloseable {
  /** What an exchange can suffer. */
  public enum Fault {
    /** A 503 answer with the store's own throttling body; the server never sees the request. */
    BUSY,
    /**
     * The connection reset (TCP RST) half-way through the request's body, or when it has none,
     * half-way through the response's body (before the response when that has none either).
     */
    RESET,
    /**
     * Forwarding stops at the same point as {@link #RESET} and the sockets are held open, without
     * reading from either side, until {@link #heal()}, {@link #close()} or {@link #stallFor}.
     */
    STALL,
    /**
     * The response's body cut half-way by a normal close (FIN) of the client's connection, before
     * Content-Length bytes or the last chunk; a response without a body is lost whole (the server
     * did what was asked, the client never hears it).
     */
    TRUNCATE
  }

  /** Whose answers a {@link Fault#BUSY} imitates. */
  public enum Flavor {
    S3,
    AZURE
  }

  private final InetSocketAddress target;
  private final String targetPath;
  private final Flavor flavor;
  private final ServerSocket server;
  private final ExecutorService threads;
  private final Random random;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Map<Long, Fault> planned = new ConcurrentHashMap<>();
  private final Map<Long, Fault> ensured = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Fault> owed = new ConcurrentLinkedQueue<>();
  private final AtomicLong exchanges = new AtomicLong();
  private final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();
  private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
  private final Object flow = new Object();

  private volatile double rate;
  private volatile List<Fault> kinds = List.of();
  private volatile boolean stalledAll;
  private volatile long stallAfter = Long.MAX_VALUE;
  private volatile long injectAfter = Long.MAX_VALUE;
  private volatile double rateAfter;
  private volatile List<Fault> kindsAfter = List.of();
  private volatile Duration stallFor;
  private volatile Predicate<String> only = requestLine -> true;
  private volatile boolean closed;
  private volatile boolean ensuring;
  private long healings; // guarded by flow

  private FaultProxy(URI target, Flavor flavor, long seed) throws IOException {
    this.target = new InetSocketAddress(target.getHost(), target.getPort());
    this.targetPath = target.getRawPath() == null ? "" : target.getRawPath();
    this.flavor = flavor;
    this.random = new Random(seed);
    for (Fault fault : Fault.values()) {
      injected.put(fault, new AtomicLong());
    }
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fault-proxy");
              t.setDaemon(true);
              return t;
            });
    threads.execute(this::accept);
  }

  /**
   * Starts a proxy on a free loopback port in front of {@code target} (an http URI; its path, such
   * as Azurite's account, is kept in {@link #endpoint()}). It passes everything until told
   * otherwise.
   */
  public static FaultProxy start(URI target, Flavor flavor, long seed) throws IOException {
    return new FaultProxy(target, flavor, seed);
  }

  /** The proxy's address, with the target's path: what a connection's endpoint should name. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort() + targetPath);
  }

  /** The S3 or Azure connection {@code direct}, reaching its server through this proxy. */
  public <C extends Connection> C through(C direct) {
    return at(direct, endpoint());
  }

  /** The S3 or Azure connection {@code direct}, reaching its server at {@code endpoint}. */
  @SuppressWarnings("unchecked") // a connection of the same record type as direct
  public static <C extends Connection> C at(C direct, URI endpoint) {
    if (direct instanceof Connection.S3 s3) {
      return (C)
          new Connection.S3(
              s3.name(),
              s3.region(),
              endpoint,
              s3.pathStyle(),
              s3.accessKeyIdEnv(),
              s3.secretAccessKeyEnv(),
              s3.profile(),
              s3.createBucket());
    }
    if (direct instanceof Connection.Azure azure) {
      return (C)
          new Connection.Azure(
              azure.name(),
              azure.account(),
              endpoint,
              azure.accountKeyEnv(),
              azure.sasTokenEnv(),
              azure.connectionStringEnv(),
              azure.createContainer());
    }
    throw new IllegalArgumentException("not an S3 or Azure connection: " + direct.name());
  }

  /** From now on, each exchange gets one of {@code faults} (equally likely) with {@code rate}. */
  public FaultProxy inject(double rate, Fault... faults) {
    if (rate < 0 || rate > 1 || (rate > 0 && faults.length == 0)) {
      throw new IllegalArgumentException("a rate in [0, 1] and at least one fault");
    }
    this.kinds = List.of(faults);
    this.rate = rate;
    return this;
  }

  /**
   * The exchange numbered {@code exchange} (the first is 1, see {@link #exchanges()}) gets {@code
   * fault}, whatever {@link #inject} draws: a test can break exactly the request it means to.
   */
  public FaultProxy faultAt(long exchange, Fault fault) {
    planned.put(exchange, fault);
    return this;
  }

  /**
   * Besides what {@link #inject} draws, each of {@code faults} at least {@code times} times among
   * the exchanges numbered {@code after + 1} to {@code within}, at places drawn from the seeded
   * stream (a test can leave the first exchanges, a run's checks and listings, to the draws). A
   * test that needs each kind met a number of times then depends only on its run making {@code
   * within} exchanges (a count its files fix), not on how the draws fall: the exchanges a run makes
   * vary with timing (retries), and so do the kinds that a random draw gives them. A planned fault
   * that its exchange could not carry (it ended before the point where the fault breaks it, or
   * {@link #only} turned it away) goes to the next exchange, until {@link #heal()}.
   */
  public FaultProxy atLeast(int times, long after, long within, Fault... faults) {
    if (times < 1
        || faults.length == 0
        || after < 0
        || within - after < (long) times * faults.length) {
      throw new IllegalArgumentException("room within the exchanges for each fault, at least once");
    }
    List<Long> places = new ArrayList<>();
    for (long n = after + 1; n <= within; n++) {
      places.add(n);
    }
    synchronized (random) {
      Collections.shuffle(places, random);
    }
    for (int i = 0; i < times * faults.length; i++) {
      ensured.put(places.get(i), faults[i % faults.length]);
    }
    ensuring = true;
    return this;
  }

  /**
   * {@link #inject} once {@code count} exchanges have started: a test can let a run begin (its
   * checks before it starts pass) and then break its server.
   */
  public FaultProxy injectAfter(long count, double rate, Fault... faults) {
    if (rate < 0 || rate > 1 || (rate > 0 && faults.length == 0)) {
      throw new IllegalArgumentException("a rate in [0, 1] and at least one fault");
    }
    this.kindsAfter = List.of(faults);
    this.rateAfter = rate;
    this.injectAfter = count;
    return this;
  }

  /**
   * From now on, faults ({@link #inject}, {@link #injectAfter}, {@link #faultAt}) go only to the
   * exchanges whose request line (such as {@code GET /bucket/a/1.bin HTTP/1.1}) {@code chosen}
   * accepts; the others pass untouched and draw nothing. A test can break the reads of files and
   * leave the listings alone.
   */
  public FaultProxy only(Predicate<String> chosen) {
    this.only = chosen;
    return this;
  }

  /**
   * A stall drawn by {@link #inject} ends (the connections closed) after this long; null: never.
   */
  public FaultProxy stallFor(Duration duration) {
    this.stallFor = duration;
    return this;
  }

  /** Holds every exchange, those in flight at their next write, until {@link #heal()}. */
  public void stallAll() {
    stalledAll = true;
  }

  /** {@link #stallAll()} once {@code count} exchanges have started. */
  public void stallAfter(long count) {
    stallAfter = count;
  }

  /**
   * Ends {@link #stallAll()}, {@link #stallAfter} and {@link #injectAfter} (held exchanges go on),
   * ends the stalls drawn by {@link #inject} (their connections close) and draws no more faults.
   */
  public void heal() {
    rate = 0;
    planned.clear();
    ensuring = false;
    ensured.clear();
    owed.clear();
    stallAfter = Long.MAX_VALUE;
    injectAfter = Long.MAX_VALUE;
    synchronized (flow) {
      stalledAll = false;
      healings++;
      flow.notifyAll();
    }
  }

  /** The faults of {@code kind} injected so far; an exchange held by a stall counts once. */
  public long injected(Fault kind) {
    return injected.get(kind).get();
  }

  /** The exchanges started so far. */
  public long exchanges() {
    return exchanges.get();
  }

  /**
   * The request lines of the exchanges started so far, such as {@code PUT /b/k?partNumber=1&...
   * HTTP/1.1}: a test can tell what its client asked (parts, blocks, ranges).
   */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    synchronized (flow) {
      flow.notifyAll();
    }
    for (Socket socket : sockets) {
      closeQuietly(socket);
    }
    threads.shutdownNow();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        client.setTcpNoDelay(true);
        sockets.add(client);
        threads.execute(() -> serve(client));
      } catch (IOException e) {
        // closed, or one failed accept: the loop decides
      }
    }
  }

  /** One client connection: its exchanges, one after another, until either side closes. */
  private void serve(Socket client) {
    try {
      InputStream fromClient = new BufferedInputStream(client.getInputStream());
      for (Head request; !closed && (request = HttpFraming.readHead(fromClient)) != null; ) {
        long started = exchanges.incrementAndGet();
        requests.add(request.startLine());
        if (started > stallAfter) {
          stalledAll = true;
        }
        if (started > injectAfter) {
          synchronized (random) {
            if (injectAfter != Long.MAX_VALUE) {
              inject(rateAfter, kindsAfter.toArray(Fault[]::new));
              injectAfter = Long.MAX_VALUE;
            }
          }
        }
        Fault fault = null;
        Fault due = ensured.remove(started);
        if (due != null) {
          owed.add(due);
        }
        Dealt dealt;
        if (only.test(request.startLine())) {
          fault = planned.remove(started);
          Fault owing = fault == null ? owed.poll() : null;
          fault = fault != null ? fault : owing != null ? owing : draw();
          dealt = new Dealt(fault, owing != null);
        } else {
          dealt = new Dealt(null, false);
        }
        try {
          if (!exchange(request, fromClient, client, dealt)) {
            break;
          }
        } finally {
          if (dealt.owed && !dealt.took && ensuring) {
            owed.add(dealt.fault);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // A side went away, or the message was not HTTP: end this connection.
    } finally {
      closeQuietly(client);
    }
  }

  private Fault draw() {
    synchronized (random) {
      List<Fault> faults = kinds;
      if (rate > 0 && random.nextDouble() < rate) {
        return faults.get(random.nextInt(faults.size()));
      }
      return null;
    }
  }

  /** One exchange's fault (null: none), whether {@link #atLeast} owes it, and whether it took. */
  private final class Dealt {
    final Fault fault;
    final boolean owed;
    boolean took;

    Dealt(Fault fault, boolean owed) {
      this.fault = fault;
      this.owed = owed;
    }

    void took() {
      took = true;
      injected.get(fault).incrementAndGet();
    }
  }

  /**
   * Forwards one exchange, with {@code dealt}'s fault.
   *
   * @return whether the client's connection can carry another exchange
   */
  private boolean exchange(Head request, InputStream fromClient, Socket client, Dealt dealt)
      throws IOException {
    Fault fault = dealt.fault;
    OutputStream toClient = client.getOutputStream();
    Gate gate = new StallGate();
    gate.beforeWrite();
    if (fault == Fault.BUSY) {
      dealt.took();
      return busy(request, fromClient, client, gate);
    }
    long requestBody = request.requestBody();
    boolean cutRequest = (fault == Fault.RESET || fault == Fault.STALL) && requestBody != 0;
    Socket upstream = new Socket();
    sockets.add(upstream);
    try {
      upstream.connect(target, 10_000);
      upstream.setTcpNoDelay(true);
      InputStream fromServer = new BufferedInputStream(upstream.getInputStream());
      OutputStream toServer = upstream.getOutputStream();
      toServer.write(request.raw());
      toServer.flush();
      if (request.expectsContinue()) {
        Head interim = HttpFraming.readHead(fromServer);
        if (interim == null) {
          return false;
        }
        gate.beforeWrite();
        toClient.write(interim.raw());
        toClient.flush();
        if (interim.status() != 100) { // answered without wanting the body: end here
          HttpFraming.copyBody(
              fromServer, toClient, interim.responseBody(request.method()), 0, gate);
          return false;
        }
      }
      if (!HttpFraming.copyBody(fromClient, toServer, requestBody, cutRequest ? 0.5 : 0, gate)) {
        return broken(dealt, client, upstream);
      }
      Head response = HttpFraming.readHead(fromServer);
      while (response != null && response.status() / 100 == 1) {
        gate.beforeWrite();
        toClient.write(response.raw());
        toClient.flush();
        response = HttpFraming.readHead(fromServer);
      }
      if (response == null) {
        return false;
      }
      long responseBody = response.responseBody(request.method());
      boolean cutResponse = fault != null && !cutRequest;
      if (cutResponse && responseBody == 0) {
        return broken(dealt, client, upstream);
      }
      gate.beforeWrite();
      toClient.write(response.raw());
      toClient.flush();
      if (!HttpFraming.copyBody(fromServer, toClient, responseBody, cutResponse ? 0.5 : 0, gate)) {
        return broken(dealt, client, upstream);
      }
      return !request.closes() && !response.closes() && responseBody != HttpFraming.TO_EOF;
    } finally {
      closeQuietly(upstream);
    }
  }

  /** Ends an exchange cut short by {@code fault}; the client's connection is done. */
  private boolean broken(Dealt dealt, Socket client, Socket upstream) throws IOException {
    dealt.took();
    switch (dealt.fault) {
      case RESET -> {
        reset(client);
        reset(upstream);
      }
      case STALL -> hold();
      case TRUNCATE -> client.shutdownOutput(); // FIN: the client reads a clean end of stream
      default -> throw new IllegalStateException(dealt.fault.name());
    }
    return false;
  }

  /** Answers 503 as the store does when it throttles, without asking the server. */
  private boolean busy(Head request, InputStream fromClient, Socket client, Gate gate)
      throws IOException {
    OutputStream toClient = client.getOutputStream();
    boolean keepAlive = !request.expectsContinue() && !request.closes();
    if (!request.expectsContinue()) {
      HttpFraming.copyBody(
          fromClient, OutputStream.nullOutputStream(), request.requestBody(), 0, gate);
    }
    String body =
        flavor == Flavor.S3
            ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                + "<Message>Please reduce your request rate.</Message>"
                + "<RequestId>FAULTPROXY</RequestId></Error>"
            : "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code>"
                + "<Message>The server is busy.</Message></Error>";
    byte[] bytes =
        "HEAD".equals(request.method()) ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    String head =
        (flavor == Flavor.S3
                ? "HTTP/1.1 503 Slow Down\r\nx-amz-request-id: FAULTPROXY\r\n"
                : "HTTP/1.1 503 The server is busy.\r\nx-ms-error-code: ServerBusy\r\n"
                    + "x-ms-request-id: 00000000-0000-0000-0000-000000000000\r\n")
            + "Content-Type: application/xml\r\n"
            + "Content-Length: "
            + bytes.length
            + "\r\n"
            + (keepAlive ? "" : "Connection: close\r\n")
            + "\r\n";
    toClient.write(head.getBytes(StandardCharsets.ISO_8859_1));
    toClient.write(bytes);
    toClient.flush();
    if (request.expectsContinue()) {
      // The client sends no body after a final answer to Expect: let it close first, so that
      // closing here with unread bytes never turns into a reset that hides the answer.
      client.shutdownOutput();
      client.setSoTimeout(5_000);
      fromClient.transferTo(OutputStream.nullOutputStream());
    }
    return keepAlive;
  }

  /** Holds a drawn stall until healed, closed, or {@link #stallFor} has passed. */
  private void hold() {
    Duration limit = stallFor;
    long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
    synchronized (flow) {
      long healing = healings;
      try {
        while (!closed && healings == healing) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return;
          }
          flow.wait(limit == null ? 0 : Math.max(1, left / 1_000_000));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits while everything is stalled; counts one stall per exchange it holds. */
  private final class StallGate implements Gate {
    private boolean counted;

    @Override
    public void beforeWrite() throws IOException {
      if (stalledAll) {
        synchronized (flow) {
          while (stalledAll && !closed) {
            if (!counted) {
              counted = true;
              injected.get(Fault.STALL).incrementAndGet();
            }
            try {
              flow.wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("interrupted");
            }
          }
        }
      }
      if (closed) {
        throw new SocketException("proxy closed");
      }
    }
  }

  private void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0); // close() then sends RST instead of FIN
    } catch (IOException e) {
      // closed already
    }
    closeQuietly(socket);
  }

  private void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing left to do
    }
    sockets.remove(socket);
  }
}
