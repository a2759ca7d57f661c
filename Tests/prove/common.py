"""Shared pieces of the `make prove` harness: TLS contexts, a small HTTP/2 request client,
raw HTTP/2 frames, /proc sampling of the server and the result file format.

Loopback only: every helper refuses a host that is not 127.0.0.1, ::1 or localhost.
"""
import json
import os
import select
import socket
import ssl
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import hpack

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def require_loopback(host):
    if host not in LOOPBACK:
        raise SystemExit("refusing non-loopback target %r" % host)


# --- TLS ----------------------------------------------------------------------------------------


class PKI:
    """Files written by Benchmarks/make-test-pki.sh plus Tests/prove/run.sh's extras."""

    def __init__(self, directory):
        self.dir = directory

    def path(self, name):
        return os.path.join(self.dir, name)

    def context(self, alpn=("h2",), client="client", ca="ca.crt", verify=True):
        """A client context; client=None presents no certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if verify:
            ctx.load_verify_locations(self.path(ca))
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if client:
            ctx.load_cert_chain(self.path(client + ".crt"), self.path(client + ".key"))
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        return ctx


def tls_connect(ctx, host, port, timeout=5.0):
    require_loopback(host)
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


# --- HTTP/2 requests (well-behaved client) -------------------------------------------------------


class H2Client:
    """One HTTP/2 connection that sends well-formed requests and waits for their answers."""

    def __init__(self, ctx, host, port, timeout=5.0):
        self.sock = tls_connect(ctx, host, port, timeout)
        if self.sock.selected_alpn_protocol() != "h2":
            self.sock.close()
            raise RuntimeError("ALPN did not select h2")
        self.host, self.port = host, port
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.remote_settings = {}
        self.goaway = None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def request_many(self, bodies, path="/authorize", timeout=5.0):
        """Posts each body on its own stream at once (within the peer's flow-control windows);
        returns [(status, body_bytes, reset_code)] in order."""
        streams = {}
        order = []
        unsent = {}
        for body in bodies:
            sid = self.conn.get_next_available_stream_id()
            self.conn.send_headers(sid, [
                (":method", "POST"), (":scheme", "https"), (":authority", "localhost:%d" % self.port),
                (":path", path), ("content-type", "application/json"), ("content-length", str(len(body))),
            ], end_stream=not body)
            streams[sid] = {"status": None, "data": bytearray(), "done": False, "reset": None}
            order.append(sid)
            if body:
                unsent[sid] = memoryview(body)
        deadline = time.monotonic() + timeout
        pending = len(order)
        while True:
            for sid in list(unsent):
                if streams[sid]["done"]:
                    del unsent[sid]
                    continue
                while unsent[sid].nbytes:
                    room = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
                    if room <= 0:
                        break
                    chunk = unsent[sid][:room]
                    unsent[sid] = unsent[sid][room:]
                    self.conn.send_data(sid, chunk.tobytes(), end_stream=unsent[sid].nbytes == 0)
                if not unsent[sid].nbytes:
                    del unsent[sid]
            out = self.conn.data_to_send()
            if out:
                self.sock.sendall(out)
            if not pending:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer within %.1f s" % timeout)
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            for ev in self.conn.receive_data(chunk):
                if isinstance(ev, h2.events.ResponseReceived):
                    streams[ev.stream_id]["status"] = int(dict(ev.headers)[":status"])
                elif isinstance(ev, h2.events.DataReceived):
                    streams[ev.stream_id]["data"] += ev.data
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    if not streams[ev.stream_id]["done"]:
                        streams[ev.stream_id]["done"] = True
                        pending -= 1
                elif isinstance(ev, h2.events.StreamReset):
                    if ev.stream_id in streams and not streams[ev.stream_id]["done"]:
                        streams[ev.stream_id]["done"] = True
                        streams[ev.stream_id]["reset"] = int(ev.error_code)
                        pending -= 1
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    self.goaway = int(ev.error_code)
                    raise ConnectionError("GOAWAY %s" % ev.error_code)
                elif isinstance(ev, h2.events.RemoteSettingsChanged):
                    for k, v in ev.changed_settings.items():
                        self.remote_settings[int(k)] = v.new_value
        return [(streams[s]["status"], bytes(streams[s]["data"]), streams[s]["reset"]) for s in order]


# --- raw HTTP/2 frames (for attacks the h2 state machine would refuse to send) -------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
ERROR_NAMES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 4: "SETTINGS_TIMEOUT",
               5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR",
               10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}


def frame(kind, flags, stream_id, payload=b""):
    n = len(payload)
    return bytes([(n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF, kind, flags]) + (stream_id & 0x7FFFFFFF).to_bytes(4, "big") + payload


def settings_frame(pairs=(), ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(k.to_bytes(2, "big") + v.to_bytes(4, "big") for k, v in pairs))


class RawH2:
    """A TLS connection speaking hand-made frames.

    One I/O thread owns the socket (OpenSSL objects must not be read and written from two
    threads at once): it writes what send() queued, reads the server's frames, decodes response
    headers with the server's HPACK state and acknowledges the server's SETTINGS.
    """

    MAX_QUEUED = 256 * 1024

    def __init__(self, ctx, host, port, settings=(), timeout=5.0, window=None):
        self.sock = tls_connect(ctx, host, port, timeout)
        if self.sock.selected_alpn_protocol() != "h2":
            self.sock.close()
            raise RuntimeError("ALPN did not select h2")
        self.frames = []  # (time, kind, flags, stream, payload)
        self.headers = {}  # stream -> decoded response header list (the server's HPACK state is followed)
        self._decoder = hpack.Decoder()
        self._decoder.max_header_list_size = 1 << 20
        self._block = None
        self.closed_at = None
        self.error = None
        self.lock = threading.Condition()
        self._out = bytearray(PREFACE + settings_frame(settings))
        if window:
            self._out += frame(WINDOW_UPDATE, 0, 0, window.to_bytes(4, "big"))
        self._stop = False
        self.start = time.monotonic()
        self.sock.setblocking(False)
        self.reader = threading.Thread(target=self._io, daemon=True)
        self.reader.start()

    def _io(self):
        buf = bytearray()
        try:
            while not self._stop:
                with self.lock:
                    want_write = bool(self._out)
                r, w, _ = select.select([self.sock], [self.sock] if want_write else [], [], 0.05)
                if w:
                    with self.lock:
                        chunk = bytes(self._out[:16384])
                    try:
                        n = self.sock.send(chunk)
                    except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                        n = 0
                    with self.lock:
                        del self._out[:n]
                        self.lock.notify_all()
                if r or self.sock.pending():
                    while True:
                        try:
                            chunk = self.sock.recv(65536)
                        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                            break
                        if not chunk:
                            raise EOFError()
                        buf += chunk
                        if not self.sock.pending():
                            break
                    while len(buf) >= 9:
                        n = int.from_bytes(buf[0:3], "big")
                        if len(buf) < 9 + n:
                            break
                        f = (time.monotonic(), buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, bytes(buf[9:9 + n]))
                        del buf[:9 + n]
                        self._decode(f)
                        with self.lock:
                            self.frames.append(f)
                            if f[1] == SETTINGS and not f[2] & ACK:
                                self._out += settings_frame(ack=True)
        except EOFError:
            pass
        except (OSError, ValueError) as e:
            self.error = type(e).__name__
        with self.lock:
            self.closed_at = time.monotonic()
            self.lock.notify_all()

    def _decode(self, f):
        _, kind, flags, stream, payload = f
        if kind == HEADERS:
            if flags & 0x8:  # PADDED
                payload = payload[1:len(payload) - payload[0]]
            if flags & 0x20:  # PRIORITY
                payload = payload[5:]
            self._block = (stream, bytearray(payload))
        elif kind == CONTINUATION and self._block:
            self._block[1].extend(payload)
        else:
            return
        if flags & END_HEADERS and self._block:
            stream, block = self._block
            self._block = None
            try:
                decoded = self._decoder.decode(bytes(block))
            except Exception as e:  # the server's HPACK must always decode: keep the reason
                decoded = [("decode-error", repr(e))]
            with self.lock:
                self.headers[stream] = decoded

    def status(self, stream):
        with self.lock:
            for k, v in self.headers.get(stream, []):
                if k in (":status", b":status"):
                    return int(v)
        return None

    def send(self, data, timeout=5.0):
        """Queues bytes for the I/O thread and waits while more than MAX_QUEUED are queued.
        Returns False once the connection is closed."""
        with self.lock:
            if self.closed_at is not None:
                return False
            self._out += data
            deadline = time.monotonic() + timeout
            while len(self._out) > self.MAX_QUEUED and self.closed_at is None and time.monotonic() < deadline:
                self.lock.wait(0.05)
            return self.closed_at is None

    def snapshot(self):
        with self.lock:
            return list(self.frames), self.closed_at

    def goaway(self):
        for t, kind, _, _, payload in self.snapshot()[0]:
            if kind == GOAWAY:
                last = int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF
                code = int.from_bytes(payload[4:8], "big")
                return t, last, ERROR_NAMES.get(code, str(code))
        return None

    def wait(self, predicate, timeout):
        """Waits until predicate(frames, closed_at) holds or timeout; returns whether it held."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frames, closed = self.snapshot()
            if predicate(frames, closed):
                return True
            time.sleep(0.02)
        frames, closed = self.snapshot()
        return predicate(frames, closed)

    def wait_closed(self, timeout):
        return self.wait(lambda f, c: c is not None, timeout)

    def close(self):
        self._stop = True
        self.reader.join(timeout=2)
        try:
            self.sock.close()
        except OSError:
            pass


def server_settings(frames):
    for _, kind, flags, _, payload in frames:
        if kind == SETTINGS and not flags & ACK:
            return {int.from_bytes(payload[i:i + 2], "big"): int.from_bytes(payload[i + 2:i + 6], "big")
                    for i in range(0, len(payload) - 5, 6)}
    return None


# --- the server process -------------------------------------------------------------------------


def proc_status(pid):
    """(rss_kib, fds, threads) of a process, from /proc."""
    rss = threads = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return rss, fds, threads


class PeakSampler:
    """Samples the server's RSS and descriptors every `interval` seconds in a thread."""

    def __init__(self, pid, interval=0.1):
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_fds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                rss, fds, _ = proc_status(self.pid)
            except (OSError, ValueError):
                return
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_fds = max(self.peak_fds, fds)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=2)


def metrics(pki, host, port, reader="metrics-reader"):
    """The server's /metrics as {"name{labels}": value} (HTTP/1.1, one fresh connection)."""
    ctx = pki.context(alpn=("http/1.1",), client=reader)
    s = tls_connect(ctx, host, port)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = bytearray()
        s.settimeout(5)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("/metrics: %r" % head[:80])
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            try:
                out[key] = float(value)
            except ValueError:
                pass
    return out


def metric_sum(m, prefix):
    return sum(v for k, v in m.items() if k == prefix or k.startswith(prefix + "{"))


# --- results ------------------------------------------------------------------------------------


class Results:
    """Appends one JSON object per check to a file and prints `PASS name` / `FAIL name: why`."""

    def __init__(self, path, group):
        self.path, self.group = path, group
        self.passed = self.failed = 0

    def record(self, name, ok, figures, detail=""):
        entry = {"group": self.group, "check": name, "ok": ok, "figures": figures, "detail": detail}
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        if ok:
            self.passed += 1
            print("PASS %s — %s" % (name, figures), flush=True)
        else:
            self.failed += 1
            print("FAIL %s: %s — %s" % (name, detail, figures), flush=True)


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]
