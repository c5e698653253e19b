#!/usr/bin/env python3
"""Counting reverse proxy for plain HTTP/1.1 (no TLS), standard library only.

Sits between a client tool (an S3 client talking to s3proxy, an Azure Blob
client talking to Azurite, ...) and its server, forwards every request
unchanged, and counts the requests by kind.

Usage:
    countproxy.py --listen 127.0.0.1:PORT --target 127.0.0.1:TPORT \
                  --out counts.json [--kind s3|azure] [-v]

Runs until SIGTERM/SIGINT. The counts file is written once the listening
socket is bound (so its appearance means "ready"), every 2 seconds while
something changed, and on exit; always atomically (temp file + rename):

    {"total": N, "by_kind": {"PUT blob": n, ...}, "bytes_up": n, "bytes_down": n}

total / by_kind count requests as they arrive (before the upstream answers).
bytes_up counts every byte forwarded client -> upstream (request heads and
bodies), bytes_down every byte forwarded upstream -> client (response heads,
including interim 1xx ones, and bodies).

Proxying: one upstream connection per client connection (opened at the first
request, re-opened if the upstream closed it while idle), keep-alive with any
number of sequential (or pipelined) requests. The request head is forwarded
byte for byte (Host untouched, as SigV4 signs it), except that a request with
"Expect: 100-continue" is answered with "HTTP/1.1 100 Continue" by the proxy
right away and forwarded without that header. Bodies are streamed in chunks
of at most 256 KiB, never buffered whole.
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
from urllib.parse import parse_qsl, urlsplit

CHUNK = 256 * 1024           # largest single read/write of a body
STREAM_LIMIT = 1 << 20       # StreamReader buffer limit; also the max head size
WRITE_HIGH = 1 << 20         # transport write-buffer high-water mark
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CRLF = b"\r\n"
HEAD_END = b"\r\n\r\n"

VERBOSE = False


def log(msg):
    if VERBOSE:
        print("countproxy: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# statistics

class Stats:
    __slots__ = ("total", "by_kind", "bytes_up", "bytes_down")

    def __init__(self):
        self.total = 0
        self.by_kind = {}
        self.bytes_up = 0
        self.bytes_down = 0

    def count(self, kind):
        self.total += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def snapshot(self):
        return {
            "total": self.total,
            "by_kind": dict(sorted(self.by_kind.items())),
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
        }


STATS = Stats()


def add_bytes(up, n):
    if up:
        STATS.bytes_up += n
    else:
        STATS.bytes_down += n


def write_counts(path):
    data = json.dumps(STATS.snapshot(), indent=1, sort_keys=False) + "\n"
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".countproxy.", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------
# classification

# GET/PUT on an object with one of these query parameters is not a plain
# object read/write.
S3_OBJ_SUBRES = frozenset((
    "uploadid", "uploads", "tagging", "acl", "retention", "legal-hold",
    "attributes", "torrent", "restore", "select",
))
# GET on a bucket root whose parameters are all in this set is a listing.
S3_LIST_PARAMS = frozenset((
    "list-type", "prefix", "delimiter", "marker", "max-keys", "encoding-type",
    "continuation-token", "start-after", "fetch-owner", "x-id",
    "optional-object-attributes",
))


def split_target(target):
    """Return (path, {lowercased query key: value}) for a request target."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        path, query = parts.path or "/", parts.query
    else:
        path, _, query = target.partition("?")
    q = {}
    if query:
        for k, v in parse_qsl(query, keep_blank_values=True):
            q.setdefault(k.lower(), v)
    return path, q


def classify_azure(method, q, headers):
    comp = q.get("comp")
    if comp is not None:
        comp = comp.lower()
    restype = (q.get("restype") or "").lower()
    if comp == "block":
        return method + " block"
    if comp == "blocklist":
        return method + " blocklist"
    if restype == "container":
        if comp == "list":
            return method + " list"
        if comp is None:
            return method + " container"
        return method + " " + comp
    if comp is None:
        if method == "HEAD" or method == "GET":
            return method + " blob"
        if method == "PUT":
            if "x-ms-copy-source" in headers:
                return "PUT copy-from-url"
            return "PUT blob"
        return method + " other"
    return method + " " + (comp or "other")


def classify_s3(method, path, q, headers):
    bucket, _, key = path.lstrip("/").partition("/")
    if q.get("list-type") == "2":
        return method + " list"
    if method == "GET":
        if bucket and not key:
            if all(k in S3_LIST_PARAMS for k in q):
                return "GET list"
            return "GET other"
        if key and not any(k in S3_OBJ_SUBRES for k in q):
            return "GET object"
        return "GET other"
    if method == "HEAD":
        if key:
            return "HEAD object"
        if bucket:
            return "HEAD bucket"
        return "HEAD other"
    if method == "PUT":
        if "partnumber" in q:
            return "PUT part"
        if key and not any(k in S3_OBJ_SUBRES for k in q):
            if "x-amz-copy-source" in headers:
                return "PUT copy"
            return "PUT object"
        return "PUT other"
    if method == "POST":
        if "uploads" in q:
            return "POST initiate multipart"
        if "uploadid" in q:
            return "POST complete multipart"
    return method + " other"


def classify(mode, method, target, headers):
    path, q = split_target(target)
    if mode is None:
        mode = "azure" if path.startswith("/devstoreaccount1") else "s3"
    if mode == "azure":
        return classify_azure(method, q, headers)
    return classify_s3(method, path, q, headers)


# --------------------------------------------------------------------------
# HTTP plumbing

class SrcGone(Exception):
    """The side we read from closed / broke / sent garbage."""


class DstGone(Exception):
    """The side we write to closed / broke."""


def parse_head(head):
    """Split a head (ending in CRLFCRLF) into (first line, lines, headers).

    headers maps lowercased names to values (repeated ones joined by ', ').
    """
    lines = head[:-4].split(CRLF)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        n = name.strip().lower().decode("latin-1")
        v = value.strip().decode("latin-1")
        if n in headers:
            headers[n] = headers[n] + ", " + v
        else:
            headers[n] = v
    return lines[0].decode("latin-1"), lines, headers


def tokens(value):
    return {t.strip().lower() for t in value.split(",")} if value else set()


def is_chunked(headers):
    te = headers.get("transfer-encoding")
    return bool(te) and te.rsplit(",", 1)[-1].strip().lower() == "chunked"


def content_length(headers):
    cl = headers.get("content-length")
    if cl is None:
        return None
    return int(cl.split(",", 1)[0].strip())


async def read_line(r, what):
    try:
        return await r.readuntil(CRLF)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ConnectionError, OSError) as e:
        raise SrcGone(what) from e


async def write_drain(w, data):
    w.write(data)
    try:
        await w.drain()
    except (ConnectionError, OSError) as e:
        raise DstGone() from e


async def pump(r, w, up, n=None):
    """Copy n bytes from r to w, or everything up to EOF when n is None."""
    while n is None or n > 0:
        try:
            data = await r.read(CHUNK if n is None or n >= CHUNK else n)
        except (ConnectionError, OSError) as e:
            raise SrcGone("body") from e
        if not data:
            if n is None:
                return
            raise SrcGone("eof in body")
        if n is not None:
            n -= len(data)
        add_bytes(up, len(data))
        w.write(data)
        try:
            await w.drain()
        except (ConnectionError, OSError) as e:
            raise DstGone() from e


async def copy_exact(r, w, n, up):
    """Copy exactly n bytes from r to w."""
    await pump(r, w, up, n)


async def copy_until_eof(r, w, up):
    await pump(r, w, up)


async def copy_chunked(r, w, up):
    """Relay a chunked body (size lines, data, trailers) byte for byte."""
    while True:
        line = await read_line(r, "chunk size")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as e:
            raise SrcGone("bad chunk size %r" % line[:40]) from e
        add_bytes(up, len(line))
        w.write(line)
        if size == 0:
            while True:  # trailer section, ends with an empty line
                t = await read_line(r, "trailer")
                add_bytes(up, len(t))
                w.write(t)
                if t == CRLF:
                    break
            try:
                await w.drain()
            except (ConnectionError, OSError) as e:
                raise DstGone() from e
            return
        await copy_exact(r, w, size + 2, up)  # data + CRLF


async def send_request_body(cr, uw, chunked, length):
    if chunked:
        await copy_chunked(cr, uw, True)
    else:
        await copy_exact(cr, uw, length, True)


def close_writer(w, abort=False):
    if w is None:
        return
    try:
        if abort:
            w.transport.abort()
        else:
            w.close()
    except Exception:
        pass


SIMPLE_REASONS = {400: "Bad Request", 431: "Request Header Fields Too Large",
                  502: "Bad Gateway"}


def simple_response(w, status):
    body = ("countproxy: %d %s\n" % (status, SIMPLE_REASONS[status])).encode()
    w.write(("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
             "Content-Length: %d\r\nConnection: close\r\n\r\n"
             % (status, SIMPLE_REASONS[status], len(body))).encode() + body)


class Proxy:
    def __init__(self, target_host, target_port, mode):
        self.thost = target_host
        self.tport = target_port
        self.mode = mode

    async def connect(self):
        r, w = await asyncio.open_connection(self.thost, self.tport,
                                             limit=STREAM_LIMIT)
        w.transport.set_write_buffer_limits(high=WRITE_HIGH)
        return r, w

    async def handle(self, cr, cw):
        cw.transport.set_write_buffer_limits(high=WRITE_HIGH)
        ur = uw = None
        body_task = None
        abort = False
        try:
            while True:
                # ---- request head
                try:
                    head = await cr.readuntil(HEAD_END)
                except asyncio.IncompleteReadError:
                    break  # client closed (between requests or mid-head)
                except asyncio.LimitOverrunError:
                    simple_response(cw, 431)
                    break
                except (ConnectionError, OSError):
                    break
                if head[:2] == CRLF:  # stray CRLFs before a request line
                    head = head.lstrip(CRLF)
                    if not head:
                        continue
                reqline, lines, headers = parse_head(head)
                try:
                    method, target, version = reqline.split(" ", 2)
                    chunked = is_chunked(headers)
                    length = 0 if chunked else (content_length(headers) or 0)
                except ValueError:
                    simple_response(cw, 400)
                    break

                STATS.count(classify(self.mode, method, target, headers))

                req_close = False
                ctok = tokens(headers.get("connection"))
                if "close" in ctok or (version == "HTTP/1.0"
                                       and "keep-alive" not in ctok):
                    req_close = True

                sent_continue = False
                if headers.get("expect", "").strip().lower() == "100-continue":
                    keep = [ln for ln in lines
                            if ln.partition(b":")[0].strip().lower() != b"expect"]
                    head = CRLF.join(keep) + HEAD_END
                    cw.write(CONTINUE)
                    add_bytes(False, len(CONTINUE))
                    sent_continue = True

                # ---- upstream connection (re-open if it was closed while idle)
                if uw is None or uw.is_closing() or ur.at_eof():
                    close_writer(uw)
                    try:
                        ur, uw = await self.connect()
                    except OSError as e:
                        log("cannot connect to upstream: %s" % e)
                        ur = uw = None
                        simple_response(cw, 502)
                        break

                uw.write(head)
                add_bytes(True, len(head))

                # ---- request body, streamed concurrently with the response
                body_task = None
                if chunked or length > 0:
                    body_task = asyncio.ensure_future(
                        send_request_body(cr, uw, chunked, length))
                    utransport = uw.transport

                    def on_body_done(t, utransport=utransport):
                        if not t.cancelled() and isinstance(t.exception(), SrcGone):
                            # client vanished mid-body: the upstream would
                            # wait forever for the rest, so cut it off.
                            utransport.abort()
                    body_task.add_done_callback(on_body_done)

                try:
                    resp_close = await self.relay_response(
                        ur, uw, cr, cw, method, sent_continue)
                except (SrcGone, DstGone) as e:
                    log("%s %s: response relay failed: %r" % (method, target, e))
                    if body_task is not None and not body_task.done():
                        body_task.cancel()
                    abort = True
                    break

                if body_task is not None:
                    if not body_task.done():
                        if resp_close:
                            body_task.cancel()
                        else:
                            try:
                                await body_task
                            except (SrcGone, DstGone):
                                pass
                    if body_task.cancelled() or body_task.exception() is not None:
                        # body not completely forwarded: connection state
                        # unknown, end it (the response went out already)
                        if not body_task.cancelled():
                            log("%s %s: request body failed: %r"
                                % (method, target, body_task.exception()))
                        break
                if req_close or resp_close:
                    break
        except asyncio.CancelledError:
            # shutdown: end quietly (re-raising makes asyncio's stream
            # callback print a traceback per open connection on 3.11)
            abort = True
        except Exception as e:  # keep the server alive whatever happens
            log("connection error: %r" % (e,))
            abort = True
        finally:
            if body_task is not None and not body_task.done():
                body_task.cancel()
            close_writer(uw, abort)
            close_writer(cw, abort)

    async def relay_response(self, ur, uw, cr, cw, method, sent_continue):
        """Forward one response. Returns True if the connection must close."""
        while True:
            try:
                rhead = await ur.readuntil(HEAD_END)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ConnectionError, OSError) as e:
                raise SrcGone("no response head") from e
            statline, _, rheaders = parse_head(rhead)
            parts = statline.split(" ", 2)
            try:
                rversion, status = parts[0], int(parts[1])
            except (IndexError, ValueError) as e:
                raise SrcGone("bad status line %r" % statline[:80]) from e
            if 100 <= status < 200:
                if status == 101:  # protocol switch: plain tunnel from now on
                    add_bytes(False, len(rhead))
                    await write_drain(cw, rhead)
                    await self.tunnel(ur, uw, cr, cw)
                    return True
                if status == 100 and sent_continue:
                    continue  # the client already got ours
                add_bytes(False, len(rhead))
                cw.write(rhead)
                continue
            break

        add_bytes(False, len(rhead))
        cw.write(rhead)

        rtok = tokens(rheaders.get("connection"))
        close = "close" in rtok or (rversion == "HTTP/1.0"
                                    and "keep-alive" not in rtok)
        if method == "HEAD" or status == 204 or status == 304:
            await write_drain(cw, b"")
        elif is_chunked(rheaders):
            await copy_chunked(ur, cw, False)
        else:
            try:
                length = content_length(rheaders)
            except ValueError:
                length = None
            if length is None:
                await copy_until_eof(ur, cw, False)
                close = True
            else:
                await copy_exact(ur, cw, length, False)
                await write_drain(cw, b"")
        return close

    async def tunnel(self, ur, uw, cr, cw):
        async def pipe(r, w, up):
            try:
                await copy_until_eof(r, w, up)
            except (SrcGone, DstGone):
                pass
            try:
                w.write_eof()
            except Exception:
                pass
        await asyncio.gather(pipe(cr, uw, True), pipe(ur, cw, False))


# --------------------------------------------------------------------------
# main

def parse_hostport(s, default_host="127.0.0.1"):
    if s.startswith("["):  # [v6]:port
        host, _, port = s[1:].partition("]:")
    elif ":" in s:
        host, _, port = s.rpartition(":")
    else:
        host, port = default_host, s
    return (host or default_host), int(port)


async def amain(args):
    lhost, lport = parse_hostport(args.listen)
    thost, tport = parse_hostport(args.target)
    proxy = Proxy(thost, tport, args.kind)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    server = await asyncio.start_server(proxy.handle, lhost, lport,
                                        limit=STREAM_LIMIT, backlog=1024)
    write_counts(args.out)
    port = server.sockets[0].getsockname()[1]
    print("countproxy: listening on %s:%d -> %s:%d (kind %s), counts in %s"
          % (lhost, port, thost, tport, args.kind or "auto", args.out),
          file=sys.stderr, flush=True)

    async def periodic():
        last = None
        while True:
            await asyncio.sleep(2)
            snap = (STATS.total, STATS.bytes_up, STATS.bytes_down)
            if snap != last:
                try:
                    write_counts(args.out)
                    last = snap
                except OSError as e:
                    print("countproxy: cannot write %s: %s" % (args.out, e),
                          file=sys.stderr, flush=True)

    ptask = asyncio.ensure_future(periodic())
    try:
        await stop.wait()
    finally:
        server.close()
        ptask.cancel()
        write_counts(args.out)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(
        description="Counting HTTP/1.1 reverse proxy (plain http).")
    ap.add_argument("--listen", required=True, help="HOST:PORT to listen on")
    ap.add_argument("--target", required=True, help="upstream HOST:PORT")
    ap.add_argument("--out", required=True, help="counts JSON file")
    ap.add_argument("--kind", choices=("s3", "azure"), default=None,
                    help="request classification (default: guess per request:"
                         " path under /devstoreaccount1 -> azure, else s3)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="log connection errors to stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose
    try:
        asyncio.run(amain(args))
    except KeyboardInterrupt:
        pass
    finally:
        try:
            write_counts(args.out)  # final bytes of connections cut at exit
        except OSError:
            pass


if __name__ == "__main__":
    main()
