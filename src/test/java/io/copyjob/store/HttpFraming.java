package io.copyjob.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Just enough of HTTP/1.1 (RFC 9112) for {@link FaultProxy} to find where a message ends: the head
 * (start line and headers) and a body framed by Content-Length, chunked transfer coding, or the
 * closing of the connection. Bytes are forwarded exactly as they came; nothing is rewritten.
 */
final class HttpFraming {
  private HttpFraming() {}

  /** A body's framing: a length in bytes, or one of these. */
  static final long CHUNKED = -1;

  static final long TO_EOF = -2;

  private static final int MAX_HEAD = 64 << 10;

  /** A request's or response's start line and headers, with the raw bytes to forward. */
  record Head(byte[] raw, String startLine, Map<String, String> headers) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String method() {
      return startLine.substring(0, startLine.indexOf(' '));
    }

    int status() {
      return Integer.parseInt(startLine.split(" ", 3)[1]);
    }

    boolean expectsContinue() {
      return "100-continue".equalsIgnoreCase(header("expect"));
    }

    boolean closes() {
      return startLine.startsWith("HTTP/1.0")
          || startLine.endsWith("HTTP/1.0")
          || "close".equalsIgnoreCase(header("connection"));
    }

    /** How a request's body is framed: chunked, a length, or none (0). */
    long requestBody() {
      if (isChunked()) {
        return CHUNKED;
      }
      String length = header("content-length");
      return length == null ? 0 : Long.parseLong(length.trim());
    }

    /** How this response's body is framed, given the method of the request it answers. */
    long responseBody(String requestMethod) {
      int status = status();
      if ("HEAD".equals(requestMethod) || status / 100 == 1 || status == 204 || status == 304) {
        return 0;
      }
      if (isChunked()) {
        return CHUNKED;
      }
      String length = header("content-length");
      return length == null ? TO_EOF : Long.parseLong(length.trim());
    }

    private boolean isChunked() {
      String coding = header("transfer-encoding");
      return coding != null && coding.toLowerCase(Locale.ROOT).contains("chunked");
    }
  }

  /** Reads one head, or returns null when the stream ends before its first byte. */
  static Head readHead(InputStream in) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream(512);
    int matched = 0; // of "\r\n\r\n"
    while (matched < 4) {
      int b = in.read();
      if (b == -1) {
        if (raw.size() == 0) {
          return null;
        }
        throw new IOException("connection closed inside a message head");
      }
      raw.write(b);
      if ((b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1)) {
        matched++;
      } else {
        matched = b == '\r' ? 1 : 0;
      }
      if (raw.size() > MAX_HEAD) {
        throw new IOException("message head over " + MAX_HEAD + " bytes");
      }
    }
    byte[] bytes = raw.toByteArray();
    String[] lines = new String(bytes, StandardCharsets.ISO_8859_1).split("\r\n");
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    return new Head(bytes, lines[0], headers);
  }

  /**
   * Where the forwarding of a body stops early, and what is called before each write so that the
   * proxy can hold it.
   */
  interface Gate {
    /** Called before each write; may block (a stall) or throw (the proxy closed). */
    void beforeWrite() throws IOException;
  }

  /**
   * Copies one body framed by {@code framing} from {@code in} to {@code out} and flushes it.
   *
   * @param cut a fraction in (0, 1] of the body after which to stop (for a chunked body, of its
   *     first chunk; for a body to EOF, of the first read), or 0 to copy all of it
   * @return true when the whole body was copied, false when it stopped at the cut
   */
  static boolean copyBody(InputStream in, OutputStream out, long framing, double cut, Gate gate)
      throws IOException {
    Pump pump = new Pump(in, out, gate);
    boolean whole;
    if (framing == CHUNKED) {
      whole = pump.chunked(cut);
    } else if (framing == TO_EOF) {
      whole = pump.toEof(cut);
    } else {
      whole = pump.fixed(framing, cut == 0 ? Long.MAX_VALUE : (long) Math.ceil(framing * cut));
    }
    out.flush();
    return whole;
  }

  private static final class Pump {
    private final InputStream in;
    private final OutputStream out;
    private final Gate gate;
    private final byte[] buffer = new byte[16 << 10];

    Pump(InputStream in, OutputStream out, Gate gate) {
      this.in = in;
      this.out = out;
      this.gate = gate;
    }

    /** Copies {@code length} bytes, stopping after {@code stopAt} of them; true when all went. */
    boolean fixed(long length, long stopAt) throws IOException {
      long left = Math.min(length, stopAt);
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n == -1) {
          throw new IOException("connection closed inside a body");
        }
        write(buffer, n);
        left -= n;
      }
      return stopAt >= length;
    }

    boolean toEof(double cut) throws IOException {
      for (int n; (n = in.read(buffer)) != -1; ) {
        if (cut > 0) {
          write(buffer, Math.max(1, (int) (n * cut)));
          return false;
        }
        write(buffer, n);
      }
      return true;
    }

    boolean chunked(double cut) throws IOException {
      boolean first = true;
      while (true) {
        String line = line();
        write(line);
        long size = Long.parseLong(line.split(";", 2)[0].trim(), 16);
        if (size == 0) {
          for (String trailer; !(trailer = line()).isEmpty(); ) {
            write(trailer);
          }
          write("");
          return true;
        }
        if (first && cut > 0) {
          fixed(size, Math.max(1, (long) (size * cut)));
          return false;
        }
        first = false;
        fixed(size, Long.MAX_VALUE);
        String end = line();
        if (!end.isEmpty()) {
          throw new IOException("a chunk not followed by CRLF");
        }
        write("");
      }
    }

    /** A line without its CRLF. */
    private String line() throws IOException {
      StringBuilder line = new StringBuilder();
      for (int b; (b = in.read()) != '\n'; ) {
        if (b == -1) {
          throw new IOException("connection closed inside a chunked body");
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
    }

    private void write(String line) throws IOException {
      byte[] bytes = (line + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
      write(bytes, bytes.length);
    }

    private void write(byte[] bytes, int length) throws IOException {
      gate.beforeWrite();
      out.write(bytes, 0, length);
      out.flush();
    }
  }
}
