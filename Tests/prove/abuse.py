#!/usr/bin/env python3
"""Abuse probes against a running `arbiter serve` (release build, loopback only).

Each probe is one named check. Around each probe the harness records the server's RSS,
descriptor count and threads (/proc/PID), samples the peak RSS during the probe, waits for the
descriptors to settle afterwards, and reads the healthy neighbour's log (neighbour.py, a separate
process on one long-lived HTTP/2 connection) for the probe's time window. A probe passes only when
its own expectation holds AND the neighbour had no failure and kept its latency within the stated
bound AND the descriptors came back AND the RSS stayed bounded.

Every loop is bounded in count and time. Results: one JSON line per check (common.Results).
"""
import argparse
import json
import os
import re
import select
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, ERROR_NAMES, GOAWAY, HEADERS, PING, PKI, RST_STREAM, SETTINGS,
    WINDOW_UPDATE, H2Client, PeakSampler, RawH2, Results, frame, metric_sum, metrics, percentile, proc_status,
    require_loopback, server_settings, settings_frame, tls_connect)


# --- HPACK without the dynamic table (stateless blocks that can be repeated) ------------------------


def hpack_int(value, prefix_bits, flags=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([flags | value])
    out = [flags | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_literal(name, value, index=False):
    """Literal field with a literal name: without indexing (0x00) or with incremental indexing (0x40)."""
    n, v = name.encode(), value.encode() if isinstance(value, str) else value
    return (b"\x40" if index else b"\x00") + hpack_int(len(n), 7) + n + hpack_int(len(v), 7) + v


def request_block(port, method="POST", path="/authorize", extra=(), body_len=None):
    fields = [(":method", method), (":scheme", "https"), (":authority", "localhost:%d" % port), (":path", path),
              ("content-type", "application/json")]
    if body_len is not None:
        fields.append(("content-length", str(body_len)))
    fields += list(extra)
    return b"".join(hpack_literal(k, v) for k, v in fields)


# --- HTTP/1.1 over TLS ----------------------------------------------------------------------------


def send_and_read_head(s, request, timeout=3):
    """Sends `request` on socket `s` and reads until the end of a response head (or close)."""
    s.sendall(request)
    s.settimeout(timeout)
    got = b""
    while b"\r\n\r\n" not in got:
        c = s.recv(65536)
        if not c:
            break
        got += c
    return got


def status_of(head):
    """The status code of an HTTP/1.1 response head, or None when there is none."""
    return int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else None


def parse_h1_responses(data):
    """[(status, headers dict (lower-case), body)] from a byte stream of responses."""
    out = []
    rest = data
    while rest.startswith(b"HTTP/"):
        head, sep, after = rest.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.split(b"\r\n")
        try:
            status = int(lines[0].split(b" ")[1])
        except (IndexError, ValueError):
            break
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        length = int(headers.get("content-length", "0") or 0)
        out.append((status, headers, after[:length]))
        rest = after[length:]
    return out


class Probes:
    def __init__(self, args):
        self.a = args
        self.host, self.port, self.pid = args.host, args.port, args.pid
        self.pki = PKI(args.pki)
        self.h1ctx = self.pki.context(alpn=("http/1.1",))
        self.h2ctx = self.pki.context(alpn=("h2",))
        self.body = open(args.body, "rb").read()
        self.results = Results(args.out, "abuse")
        self.baseline_p99 = None
        self.rss_start = proc_status(self.pid)[0]

    # --- the neighbour ---------------------------------------------------------------------------

    def neighbour(self, t0, t1):
        lat, bad = [], []
        try:
            with open(self.a.neighbour_log) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) != 3:
                        continue
                    wall, ms, outcome = float(parts[0]), float(parts[1]), parts[2]
                    if t0 <= wall <= t1:
                        lat.append(ms)
                        if outcome != "ok":
                            bad.append(outcome)
        except OSError:
            pass
        return lat, bad

    def latency_bound(self):
        return max(4 * self.baseline_p99, self.baseline_p99 + self.a.latency_slack_ms)

    def measure_baseline(self, seconds):
        t0 = time.time()
        time.sleep(seconds)
        lat, bad = self.neighbour(t0, time.time())
        p99 = percentile(lat, 99)
        ok = bool(lat) and not bad
        self.baseline_p99 = p99 if p99 is not None else 50.0
        self.results.record(
            "neighbour-baseline", ok,
            "%d requests in %.0f s, p50 %.1f ms, p99 %.1f ms, load average %s"
            % (len(lat), seconds, percentile(lat, 50) or 0, self.baseline_p99, os.getloadavg()[0]),
            "" if ok else "neighbour failing before any probe: %s" % bad[:3])
        return ok

    # --- the frame around every probe ------------------------------------------------------------

    def settle(self, fds_before, timeout):
        deadline = time.monotonic() + timeout
        fds = proc_status(self.pid)[1]
        while fds > fds_before and time.monotonic() < deadline:
            time.sleep(0.2)
            fds = proc_status(self.pid)[1]
        return fds

    def run(self, name, fn, rss_bound_kib=None, settle=12.0):
        if not os.path.exists("/proc/%d" % self.pid):
            self.results.record(name, False, "", "server process is gone")
            return
        rss0, fds0, thr0 = proc_status(self.pid)
        t0 = time.time()
        start = time.monotonic()
        with PeakSampler(self.pid) as peak:
            try:
                ok, figures, detail = fn()
            except Exception as e:  # a probe that crashes is a failed check with the reason
                ok, figures, detail = False, "", "probe raised %s: %s" % (type(e).__name__, e)
        elapsed = time.monotonic() - start
        if elapsed < self.a.min_window:  # a fast probe: judge the neighbour over its aftermath too
            time.sleep(self.a.min_window - elapsed)
        t1 = time.time()
        if not os.path.exists("/proc/%d" % self.pid):
            self.results.record(name, False, figures, "server process died during the probe " + detail)
            return
        fds1 = self.settle(fds0, settle)
        rss1, _, thr1 = proc_status(self.pid)
        lat, bad = self.neighbour(t0, t1)
        p99 = percentile(lat, 99)
        bound = self.latency_bound()
        problems = [detail] if not ok and detail else ([] if ok else ["probe expectation failed"])
        if not lat:
            problems.append("no neighbour request completed during the probe")
        if bad:
            problems.append("neighbour failures %d (%s)" % (len(bad), ",".join(sorted(set(bad)))))
        if p99 is not None and p99 > bound:
            problems.append("neighbour p99 %.1f ms over the bound %.1f ms" % (p99, bound))
        if fds1 > fds0:
            problems.append("descriptors %d -> %d after %.0f s" % (fds0, fds1, settle))
        growth = peak.peak_rss - rss0
        limit = rss_bound_kib if rss_bound_kib is not None else self.a.rss_bound_mib * 1024
        if growth > limit:
            problems.append("peak RSS grew by %d KiB (bound %d KiB)" % (growth, limit))
        if thr1 != thr0:
            problems.append("threads %d -> %d" % (thr0, thr1))
        figs = "%s; %.1f s; neighbour %d req, p99 %.1f ms (bound %.0f), failures %d; RSS %.1f->%.1f MiB (peak +%.1f); fds %d->%d" % (
            figures, elapsed, len(lat), p99 or 0, bound, len(bad), rss0 / 1024, rss1 / 1024, max(0, growth) / 1024,
            fds0, fds1)
        self.results.record(name, not problems, figs, "; ".join(problems))

    # --- HTTP/1.1 helpers ------------------------------------------------------------------------

    def h1(self, payload, wait=3.0, ctx=None, pieces=None):
        """Sends payload; reads until the server closes or `wait` s pass. Returns (data, closed)."""
        s = tls_connect(ctx or self.h1ctx, self.host, self.port)
        data = bytearray()
        closed = False
        try:
            try:
                for piece in (pieces or [payload]):
                    s.sendall(piece)
            except OSError:
                pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except (ssl.SSLError, OSError):
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                data += chunk
        finally:
            s.close()
        return bytes(data), closed

    def review_request(self, extra_headers=b"", path=b"/authorize", body=None, content_type=b"application/json"):
        body = self.body if body is None else body
        return (b"POST " + path + b" HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + content_type + b"\r\n"
                + b"Content-Length: %d\r\n" % len(body) + extra_headers + b"\r\n" + body)

    SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    def smuggling(self):
        b = self.body
        n = len(b)
        chunked = b"%x\r\n" % n + b + b"\r\n0\r\n\r\n"
        head = b"POST /authorize HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        shapes = [
            ("cl-and-te", head + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % n + chunked),
            ("te-and-cl", head + b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n" % n + chunked),
            ("duplicate-cl-differing", head + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (n, n + 1) + b),
            ("cl-plus-sign", head + b"Content-Length: +%d\r\n\r\n" % n + b),
            ("cl-negative", head + b"Content-Length: -1\r\n\r\n" + b),
            ("cl-hex", head + b"Content-Length: 0x%x\r\n\r\n" % n + b),
            ("cl-inner-space", head + b"Content-Length: %d %d\r\n\r\n" % (n // 10, n % 10) + b),
            ("te-xchunked", head + b"Transfer-Encoding: xchunked\r\n\r\n" + chunked),
            ("te-space-before-colon", head + b"Transfer-Encoding : chunked\r\n\r\n" + chunked),
            ("te-vertical-tab", head + b"Transfer-Encoding:\x0bchunked\r\n\r\n" + chunked),
            ("te-chunked-then-identity", head + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + chunked),
            ("te-gzip-chunked", head + b"Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked),
            ("te-chunked-twice", head + b"Transfer-Encoding: chunked, chunked\r\n\r\n" + chunked),
            ("te-http10", head.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Transfer-Encoding: chunked\r\n\r\n" + chunked),
            ("chunk-size-invalid", head + b"Transfer-Encoding: chunked\r\n\r\n" + b"z%x\r\n" % n + b + b"\r\n0\r\n\r\n"),
            ("chunk-size-overflow", head + b"Transfer-Encoding: chunked\r\n\r\n" + b"1" + b"0" * 20 + b"\r\n" + b + b"\r\n0\r\n\r\n"),
            ("obs-fold", head + b"X-Folded: a\r\n b\r\nContent-Length: %d\r\n\r\n" % n + b),
            ("nul-in-header", head + b"X-Nul: a\x00b\r\nContent-Length: %d\r\n\r\n" % n + b),
            ("nul-in-target", b"POST /authorize\x00x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % n + b),
            ("bare-lf", (head + b"Content-Length: %d\r\n\r\n" % n).replace(b"\r\n", b"\n") + b),
            ("bare-cr-in-header", head + b"X-Cr: a\rb\r\nContent-Length: %d\r\n\r\n" % n + b),
            ("missing-host", head.replace(b"Host: localhost\r\n", b"") + b"Content-Length: %d\r\n\r\n" % n + b),
            ("duplicate-host", head + b"Host: other\r\nContent-Length: %d\r\n\r\n" % n + b),
            ("space-in-field-name", head + b"Content Length: %d\r\n\r\n" % n + b),
            ("header-no-colon", head + b"Content-Length %d\r\nContent-Length: %d\r\n\r\n" % (n, n) + b),
        ]
        bad = []
        statuses = {}
        for name, payload in shapes:
            data, closed = self.h1(payload + self.SMUGGLED, wait=3.0)
            responses = parse_h1_responses(data)
            codes = [r[0] for r in responses]
            statuses[name] = codes[0] if codes else None
            allowed_true = b'"allowed":true' in data
            if len(codes) != 1 or codes[0] not in (400, 501, 505) or not closed or allowed_true:
                bad.append("%s: statuses %s, closed %s%s" % (name, codes, closed, ", allowed:true" if allowed_true else ""))
        by_code = {}
        for name, code in statuses.items():
            by_code.setdefault(code, []).append(name)
        summary = ", ".join("%s×%d" % (c, len(v)) for c, v in sorted(by_code.items(), key=lambda x: str(x[0])))
        return not bad, "%d shapes: %s; the smuggled trailing request was never answered" % (len(shapes), summary) if not bad else \
            "%d shapes: %s" % (len(shapes), summary), "; ".join(bad)

    def identical_content_lengths(self):
        """Checklist item 8 asks for 400 on a duplicate Content-Length, even with identical values
        (RFC 9112 section 6.3 would allow merging them)."""
        b, n = self.body, len(self.body)
        head = b"POST /authorize HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        shapes = [("two-identical-fields", head + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (n, n) + b),
                  ("identical-list", head + b"Content-Length: %d, %d\r\n\r\n" % (n, n) + b)]
        bad, figs = [], []
        for name, payload in shapes:
            data, closed = self.h1(payload + self.SMUGGLED, wait=3.0)
            codes = [r[0] for r in parse_h1_responses(data)]
            figs.append("%s→%s" % (name, codes))
            if len(codes) != 1 or codes[0] != 400 or not closed:
                bad.append("%s answered %s (want [400] and close)" % (name, codes))
        return not bad, ", ".join(figs), "; ".join(bad)

    def pipelining(self):
        b = self.body
        payload = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" + self.review_request()
                   + b"GET /livez HTTP/1.1\r\nHost: localhost\r\n\r\n"
                   + self.review_request() + b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data, closed = self.h1(payload, wait=5.0)
        rs = parse_h1_responses(data)
        kinds = []
        for status, _, body in rs:
            kinds.append("%d:%s" % (status, "review" if b"SubjectAccessReview" in body else "probe"))
        want = ["200:probe", "200:review", "200:probe", "200:review", "200:probe"]
        ok = kinds == want and closed
        detail = "" if ok else "5 pipelined requests answered %s (want %s), closed %s" % (kinds, want, closed)
        return ok, "5 pipelined requests (probe, review, probe, review, probe) answered in order: %s; the requests after a body were never read as body" % " ".join(kinds), detail

    def limits(self):
        n = len(self.body)
        checks = []
        big = b"X-Big: " + b"a" * 20000 + b"\r\n"
        checks.append(("header-too-large", self.review_request(extra_headers=big), 431))
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(100))
        checks.append(("too-many-headers", self.review_request(extra_headers=many), 431))
        checks.append(("uri-too-long", self.review_request(path=b"/authorize?" + b"a" * 5000), 414))
        bad = []
        figs = []
        for name, payload, want in checks:
            data, closed = self.h1(payload, wait=3.0)
            codes = [r[0] for r in parse_h1_responses(data)]
            figs.append("%s→%s" % (name, codes[0] if codes else "none"))
            if codes != [want] or not closed:
                bad.append("%s: %s closed %s (want %d)" % (name, codes, closed, want))
        # 413 before the body is read: only the head is sent, the answer must come at once.
        head = (b"POST /authorize HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: 10000000\r\n\r\n")
        t0 = time.monotonic()
        data, closed = self.h1(head, wait=3.0)
        dt = time.monotonic() - t0
        codes = [r[0] for r in parse_h1_responses(data)]
        figs.append("content-length-10MB→%s in %.0f ms" % (codes[0] if codes else "none", dt * 1000))
        if codes != [413] or dt > 2.0:
            bad.append("CL 10 MB head only: %s after %.1f s (want 413 at once)" % (codes, dt))
        # A chunked body past the cap: 413 and close before the whole body is sent.
        s = tls_connect(self.h1ctx, self.host, self.port)
        sent = 0
        got = b""
        try:
            s.sendall(b"POST /authorize HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"2000\r\n" + b"a" * 0x2000 + b"\r\n"
            for _ in range(256):  # at most 2 MiB
                try:
                    s.sendall(chunk)
                except OSError:
                    break
                sent += 0x2000
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    break
            s.settimeout(3)
            try:
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    got += c
            except (OSError, ssl.SSLError):
                pass
        finally:
            s.close()
        codes = [r[0] for r in parse_h1_responses(got)]
        figs.append("chunked-over-cap→%s after %d KiB sent" % (codes[0] if codes else "none", sent // 1024))
        if codes != [413]:
            bad.append("chunked body over the cap: %s" % codes)
        return not bad, ", ".join(figs), "; ".join(bad)

    def routing(self):
        checks = [
            ("wrong-method", b"GET /authorize HTTP/1.1\r\nHost: localhost\r\n\r\n", 405),
            ("unknown-path", self.review_request(path=b"/nope"), 404),
            ("wrong-content-type", self.review_request(content_type=b"text/plain"), 415),
        ]
        bad, figs = [], []
        for name, payload, want in checks:
            data, _ = self.h1(payload, wait=1.5)
            rs = parse_h1_responses(data)
            code = rs[0][0] if rs else None
            figs.append("%s→%s" % (name, code))
            if code != want or b'"allowed":true' in data:
                bad.append("%s: %s (want %d)" % (name, code, want))
        return not bad, ", ".join(figs), "; ".join(bad)

    def tls_refusals(self):
        """No certificate, another CA, an expired one: no HTTP byte. Right CA, not a caller: 403."""
        bad, figs = [], []
        for label, client in (("no-certificate", None), ("other-ca", "other-client"), ("expired", "expired")):
            ctx = self.pki.context(alpn=("http/1.1",), client=client)
            got = b""
            try:
                s = tls_connect(ctx, self.host, self.port)
                try:
                    s.sendall(self.review_request())
                    s.settimeout(3)
                    while True:
                        c = s.recv(65536)
                        if not c:
                            break
                        got += c
                finally:
                    s.close()
                outcome = "closed"
            except (ssl.SSLError, OSError) as e:
                outcome = type(e).__name__
            figs.append("%s→%s%s" % (label, outcome, ", %d HTTP bytes" % len(got) if got else ""))
            if got:
                bad.append("%s received %r" % (label, got[:60]))
        data, _ = self.h1(self.review_request(), wait=2.0, ctx=self.pki.context(alpn=("http/1.1",), client="jane"))
        rs = parse_h1_responses(data)
        code = rs[0][0] if rs else None
        figs.append("right-CA-non-caller→%s" % code)
        if code != 403 or b'"allowed":true' in data:
            bad.append("non-caller got %s" % code)
        return not bad, ", ".join(figs), "; ".join(bad)

    def _trickle(self, first, trickle, conns, timeout):
        """Opens `conns` connections, sends `first`, then one byte of `trickle` every 0.5 s per
        connection; returns the seconds each took to be closed by the server (None: not closed)."""
        socks = []
        for _ in range(conns):
            s = tls_connect(self.h1ctx, self.host, self.port)
            s.sendall(first)
            socks.append([s, time.monotonic(), None, b""])
        deadline = time.monotonic() + timeout
        pos = 0
        while time.monotonic() < deadline and any(e[2] is None for e in socks):
            for e in socks:
                if e[2] is not None:
                    continue
                try:
                    e[0].sendall(trickle[pos % len(trickle):pos % len(trickle) + 1])
                except OSError:
                    pass
            end = time.monotonic() + 0.5
            while time.monotonic() < end:
                live = [e[0] for e in socks if e[2] is None]
                if not live:
                    break
                r, _, _ = select.select(live, [], [], max(0, end - time.monotonic()))
                for s in r:
                    e = next(x for x in socks if x[0] is s)
                    try:
                        s.settimeout(0.05)
                        c = s.recv(65536)
                    except socket.timeout:
                        continue
                    except (OSError, ssl.SSLError):
                        c = b""
                    if c:
                        e[3] += c
                    else:
                        e[2] = time.monotonic() - e[1]
            pos += 1
        for e in socks:
            e[0].close()
        return [e[2] for e in socks], [e[3] for e in socks]

    def slowloris_head(self):
        t = self.a.header_timeout
        times, data = self._trickle(b"POST /authorize HTTP/1.1\r\nHost: localhost\r\n", b"X-Slow: aaaaaaaaaaaaaaaaaaaa\r\n" * 100,
                                    self.a.slow_conns, t + 6)
        return self._judge_slow(times, data, t, "head")

    def slowloris_body(self):
        t = self.a.body_timeout
        head = (b"POST /authorize HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(self.body))
        times, data = self._trickle(head, self.body, self.a.slow_conns, t + 6)
        return self._judge_slow(times, data, t, "body")

    def _judge_slow(self, times, data, timeout, what):
        closed = [x for x in times if x is not None]
        codes = sorted({r[0] for d in data for r in parse_h1_responses(d)})
        ok = len(closed) == len(times) and max(closed) <= timeout + 2.0 and 200 not in codes
        figs = "%d slow %s connections closed after %.1f–%.1f s (timeout %.0f s), answers %s" % (
            len(times), what, min(closed) if closed else 0, max(closed) if closed else 0, timeout, codes or "none")
        return ok, figs, "" if ok else "%d of %d closed, max %.1f s" % (len(closed), len(times), max(closed) if closed else -1)

    # --- reviews over HTTP/2 (the kube-apiserver's transport) -------------------------------------

    def _post_h2(self, bodies, path="/authorize"):
        c = H2Client(self.h2ctx, self.host, self.port)
        try:
            return c.request_many(bodies, path=path, timeout=10)
        finally:
            c.close()

    def reviews_malformed(self):
        good = json.loads(self.body)
        spec = json.dumps(good["spec"])
        deep = "[" * 200 + "]" * 200
        cases = [
            ("bad-json", b'{"apiVersion": "authorization.k8s.io/v1", "kind": '),
            ("not-an-object", b'["SubjectAccessReview"]'),
            ("duplicate-key-user", ('{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":'
                                    '{"user":"nobody","user":"system:kube-scheduler","resourceAttributes":%s}}'
                                    % json.dumps(good["spec"]["resourceAttributes"])).encode()),
            ("duplicate-key-top", ('{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview",'
                                   '"kind":"SubjectAccessReview","spec":%s}' % spec).encode()),
            ("wrong-kind", ('{"apiVersion":"authorization.k8s.io/v1","kind":"Pod","spec":%s}' % spec).encode()),
            ("wrong-apiVersion", ('{"apiVersion":"authorization.k8s.io/v2","kind":"SubjectAccessReview","spec":%s}' % spec).encode()),
            ("both-attribute-blocks", json.dumps(dict(good, spec=dict(good["spec"], nonResourceAttributes={"path": "/api", "verb": "get"}))).encode()),
            ("neither-attribute-block", json.dumps(dict(good, spec={k: v for k, v in good["spec"].items() if k != "resourceAttributes"})).encode()),
            # A string over the decoder's 64 KiB string limit makes the body pass the 64 KiB body cap.
            ("huge-user-string", json.dumps(dict(good, spec=dict(good["spec"], user="u" * 70000))).encode()),
            ("huge-group-list", json.dumps(dict(good, spec=dict(good["spec"], groups=["g%d" % i for i in range(20000)]))).encode()),
            ("deep-nesting", ('{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":%s,"x":%s}' % (spec, deep)).encode()),
        ]
        answers = self._post_h2([b for _, b in cases])
        bad, figs = [], []
        for (name, _), (status, data, reset) in zip(cases, answers):
            figs.append("%s→%s" % (name, status if status is not None else "reset %s" % reset))
            if status not in (400, 413) or b'"allowed":true' in data or len(data) > 2048:
                bad.append("%s: %s %r" % (name, status, data[:120]))
        # Well-formed reviews: every 200 echoes apiVersion and kind, always has allowed, never allowed and denied.
        v1beta1 = dict(good, apiVersion="authorization.k8s.io/v1beta1", spec={k: v for k, v in good["spec"].items() if k != "groups"})
        v1beta1["spec"]["group"] = good["spec"].get("groups", [])
        nonres = dict(good, spec={"nonResourceAttributes": {"path": "/api", "verb": "get"}, "user": "jane", "groups": ["system:authenticated"]})
        noop = dict(good, spec=dict(good["spec"], user="nobody", groups=[]))
        oks = [json.dumps(x).encode() for x in (good, v1beta1, nonres, noop)]
        for body, (status, data, _) in zip(oks, self._post_h2(oks)):
            req = json.loads(body)
            try:
                doc = json.loads(data)
            except ValueError:
                doc = {}
            st = doc.get("status", {})
            if (status != 200 or doc.get("apiVersion") != req["apiVersion"] or doc.get("kind") != "SubjectAccessReview"
                    or "allowed" not in st or (st.get("allowed") and st.get("denied"))):
                bad.append("well-formed %s answered %s %r" % (req["apiVersion"], status, data[:160]))
        figs.append("4 well-formed reviews (v1, v1beta1, non-resource, no opinion) echo apiVersion/kind with `allowed`")
        return not bad, ", ".join(figs), "; ".join(bad)

    def reviews_versions(self):
        """v1 `groups` and v1beta1 `group` are both read: a deny by group fires for both, an allow by group too."""
        def review(version, groups, attrs):
            spec = {"user": "prove-user", ("groups" if version == "v1" else "group"): groups}
            spec.update(attrs)
            return json.dumps({"apiVersion": "authorization.k8s.io/" + version, "kind": "SubjectAccessReview", "spec": spec}).encode()
        secrets = {"resourceAttributes": {"namespace": "default", "verb": "get", "version": "v1", "resource": "secrets"}}
        api = {"nonResourceAttributes": {"path": "/api", "verb": "get"}}
        cases = [("v1 deny by group", review("v1", ["prove-denied-group", "system:authenticated"], secrets), "denied"),
                 ("v1beta1 deny by group", review("v1beta1", ["prove-denied-group", "system:authenticated"], secrets), "denied"),
                 ("v1 allow by group", review("v1", ["system:authenticated"], api), "allowed"),
                 ("v1beta1 allow by group", review("v1beta1", ["system:authenticated"], api), "allowed"),
                 ("v1beta1 without the group", review("v1beta1", ["dev"], api), "no-opinion")]
        bad, figs = [], []
        for (name, body, want), (status, data, _) in zip(cases, self._post_h2([c[1] for c in cases])):
            st = json.loads(data).get("status", {}) if status == 200 else {}
            got = "denied" if st.get("denied") else "allowed" if st.get("allowed") else "no-opinion" if status == 200 else "HTTP %s" % status
            figs.append("%s→%s" % (name, got))
            if got != want:
                bad.append("%s: %s (want %s)" % (name, got, want))
        return not bad, ", ".join(figs), "; ".join(bad)

    # --- HTTP/2 ----------------------------------------------------------------------------------

    def raw(self, **kw):
        return RawH2(self.h2ctx, self.host, self.port, **kw)

    def _ended(self, c, bound):
        """Whether the connection ended (closed) within `bound` s; returns (closed, goaway)."""
        closed = c.wait_closed(bound)
        return closed, c.goaway()

    @staticmethod
    def _end(c, ga):
        """How the connection ended: the GOAWAY code, or how it was closed without one."""
        if ga:
            return "GOAWAY %s (last stream %d)" % (ga[2], ga[1])
        return "closed without a readable GOAWAY (%s)" % (c.error or "FIN")

    def rapid_reset(self):
        c = self.raw()
        block = request_block(self.port, body_len=len(self.body))
        sent = 0
        t0 = time.monotonic()
        for batch in range(40):  # at most 2000 streams
            out = b"".join(frame(HEADERS, END_HEADERS, 2 * (batch * 50 + i) + 1, block)
                           + frame(RST_STREAM, 0, 2 * (batch * 50 + i) + 1, (8).to_bytes(4, "big")) for i in range(50))
            if not c.send(out):
                break
            sent += 50
            if c.goaway():
                break
        closed, ga = self._ended(c, 5.0)
        dt = time.monotonic() - t0
        c.close()
        ok = closed
        return ok, "%d HEADERS+RST_STREAM pairs sent; %s; closed after %.2f s" % (
            sent, self._end(c, ga), dt), "" if ok else "not closed within 5 s (goaway %s)" % (ga,)

    def server_forced_resets(self):
        c = self.raw()
        long_body = request_block(self.port, body_len=1)
        upper = request_block(self.port, extra=[("X-Upper", "1")], body_len=0)
        sent = 0
        t0 = time.monotonic()
        for batch in range(20):  # at most 1000 streams
            out = b""
            for i in range(50):
                sid = 2 * (batch * 50 + i) + 1
                if i % 2 == 0:
                    out += frame(HEADERS, END_HEADERS, sid, long_body) + frame(DATA, END_STREAM, sid, b"abc")
                else:
                    out += frame(HEADERS, END_HEADERS | END_STREAM, sid, upper)
            if not c.send(out):
                break
            sent += 50
            if c.goaway():
                break
            time.sleep(0.01)
        closed, ga = self._ended(c, 5.0)
        frames, _ = c.snapshot()
        resets = sum(1 for f in frames if f[1] == RST_STREAM)
        answered = sum(1 for f in frames if f[1] == HEADERS)
        dt = time.monotonic() - t0
        c.close()
        ok = closed and ga is not None and ga[2] == "ENHANCE_YOUR_CALM"
        return ok, "%d invalid streams sent, %d RST_STREAM and %d HEADERS back; %s; closed after %.2f s" % (
            sent, resets, answered, self._end(c, ga), dt), "" if ok else "closed %s goaway %s" % (closed, ga)

    def continuation_flood(self):
        c = self.raw()
        block = request_block(self.port, body_len=len(self.body))
        # A literal whose value claims 64 MiB, then CONTINUATION frames that never end the block.
        start = block + b"\x00" + hpack_int(6, 7) + b"x-long" + hpack_int(64 << 20, 7)
        t0 = time.monotonic()
        sent = 0
        if c.send(frame(HEADERS, 0, 1, start)):
            filler = frame(CONTINUATION, 0, 1, b"a" * 16384)
            for _ in range(4096):  # at most 64 MiB
                if not c.send(filler * 4):
                    break
                sent += 4
                if c.snapshot()[1] is not None or c.goaway():
                    break
        closed, ga = self._ended(c, 5.0)
        dt = time.monotonic() - t0
        c.close()
        ok = closed and sent < 4096
        return ok, "%d CONTINUATION frames of 16 KiB sent before the end; %s; closed after %.2f s" % (
            sent, self._end(c, ga), dt), "" if ok else "closed %s after %d frames" % (closed, sent)

    def hpack_bomb(self):
        c = self.raw()
        # One 4000-byte header inserted into the dynamic table, then referenced by one byte each.
        insert = hpack_literal("x-bomb", "b" * 4000, index=True)
        prefix = request_block(self.port, body_len=len(self.body))
        first = prefix + insert + b"\xbe" * 12000        # index 62 = newest dynamic entry
        again = prefix + b"\xbe" * 15000
        decoded_mib = (12000 + 15000 * 4) * 4038 / (1 << 20)
        t0 = time.monotonic()
        outcomes = []
        for i in range(5):
            sid = 2 * i + 1
            c.send(frame(HEADERS, END_HEADERS, sid, first if i == 0 else again) + frame(DATA, END_STREAM, sid, self.body))
            if not c.wait(lambda f, cl: cl is not None or any(x[3] == sid and x[1] in (HEADERS, RST_STREAM) for x in f)
                          or any(x[1] == GOAWAY for x in f), 5.0):
                outcomes.append("no answer")
                break
            frames, cl = c.snapshot()
            mine = [x for x in frames if x[3] == sid and x[1] in (HEADERS, RST_STREAM)]
            if mine and mine[0][1] == HEADERS:
                outcomes.append(str(c.status(sid)))
            elif mine:
                outcomes.append("RST_STREAM(%s)" % ERROR_NAMES.get(int.from_bytes(mine[0][4][:4], "big"), "?"))
            else:
                outcomes.append("GOAWAY" if c.goaway() else "closed")
                break
        ended = c.wait_closed(1.0)
        ga = c.goaway()
        dt = time.monotonic() - t0
        # The connection must still serve a well-formed request after the refused bombs.
        c.send(frame(HEADERS, END_HEADERS, 11, prefix) + frame(DATA, END_STREAM, 11, self.body))
        c.wait(lambda f, cl: cl is not None or any(x[3] == 11 and x[1] in (HEADERS, RST_STREAM) for x in f), 5.0)
        after = c.status(11)
        c.close()
        ok = all(o in ("431", "GOAWAY", "closed") or o.startswith("RST_STREAM") for o in outcomes) and (
            ga is not None or ended or after == 200)
        return ok, "5 header blocks of ≤16 KiB decoding to %.0f MiB in all: %s; %s" % (
            decoded_mib, ", ".join(outcomes), self._end(c, ga) if ga or ended else
            "connection kept: a normal request after them → %s" % after), \
            "" if ok else "outcomes %s" % outcomes

    def control_flood(self, kind):
        c = self.raw()
        if kind == "settings":
            f = settings_frame([(4, 65535)])
        else:
            f = frame(PING, 0, 0, b"12345678")
        t0 = time.monotonic()
        sent = 0
        for _ in range(50):  # at most 10,000 frames
            if not c.send(f * 200):
                break
            sent += 200
            if c.goaway() or c.snapshot()[1] is not None:
                break
        closed, ga = self._ended(c, 5.0)
        dt = time.monotonic() - t0
        frames, _ = c.snapshot()
        acks = sum(1 for x in frames if x[1] == (SETTINGS if kind == "settings" else PING) and x[2] & ACK)
        c.close()
        ok = closed
        return ok, "%d %s frames sent, %d acknowledged; %s after %.2f s" % (
            sent, kind.upper(), acks, self._end(c, ga), dt), "" if ok else "not closed within 5 s (goaway %s)" % (ga,)

    def keepalive_then_idle(self):
        """client-go's keep-alive PINGs are answered and do not close the connection; with no
        stream the connection gets GOAWAY at the idle timeout and is closed."""
        c = self.raw()
        block = request_block(self.port, body_len=len(self.body))
        c.send(frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, END_STREAM, 1, self.body))
        answered = c.wait(lambda f, cl: any(x[3] == 1 and x[1] == DATA and x[2] & END_STREAM for x in f), 5.0)
        t_idle = time.monotonic()
        acks = 0
        pings = 0
        interval = min(1.0, self.a.idle_timeout / 4)
        for i in range(3):
            payload = b"ka%06d" % i
            c.send(frame(PING, 0, 0, payload))
            pings += 1
            time.sleep(interval)
            acks = sum(1 for x in c.snapshot()[0] if x[1] == PING and x[2] & ACK)
        alive_after_pings = c.snapshot()[1] is None and c.goaway() is None
        closed = c.wait_closed(self.a.idle_timeout + 5)
        ga = c.goaway()
        t_goaway = (ga[0] - t_idle) if ga else None
        c.close()
        ok = answered and acks == pings and alive_after_pings and closed and ga is not None and ga[2] == "NO_ERROR" \
            and t_goaway >= self.a.idle_timeout - 1.5
        return ok, "request answered %s; %d/%d keep-alive PINGs acknowledged, connection open after them; GOAWAY %s %.1f s after the last stream (idle timeout %.0f s), then closed" % (
            answered, acks, pings, ga[2] if ga else "none", t_goaway or -1, self.a.idle_timeout), \
            "" if ok else "answered %s acks %d/%d alive %s closed %s goaway %s" % (answered, acks, pings, alive_after_pings, closed, ga)

    def zero_window(self):
        """A reader that never opens its window: the server's write timeout (GOAWAY) ends it."""
        c = self.raw(settings=[(4, 0)])
        block = request_block(self.port, body_len=len(self.body))
        t0 = time.monotonic()
        c.send(frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, END_STREAM, 1, self.body))
        # Waits past the configured timeout (up to twice it) so that the figure shows when it ends.
        closed = c.wait_closed(2 * self.a.write_timeout + 10)
        dt = time.monotonic() - t0
        frames, _ = c.snapshot()
        ga = c.goaway()
        headers = any(x[1] == HEADERS and x[3] == 1 for x in frames)
        data = sum(len(x[4]) for x in frames if x[1] == DATA)
        c.close()
        ok = closed and ga is not None and data == 0 and ga[0] - t0 <= self.a.write_timeout + 5
        return ok, "response HEADERS %s, %d DATA bytes (window 0); GOAWAY %s at %.1f s; closed after %.1f s (write timeout %.0f s)" % (
            headers, data, ga[2] if ga else "none", (ga[0] - c.start) if ga else -1, dt, self.a.write_timeout), \
            "" if ok else "closed %s, GOAWAY %s at %.1f s (write timeout %.0f s + 5 s slack)" % (
                closed, ga[2] if ga else None, (ga[0] - t0) if ga else -1, self.a.write_timeout)

    def blocked_peer_gone(self):
        """A zero-window reader that then goes away (FIN): the server's descriptor is released
        promptly, not held until a timer."""
        fds0 = proc_status(self.pid)[1]
        c = self.raw(settings=[(4, 0)])
        block = request_block(self.port, body_len=len(self.body))
        c.send(frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, END_STREAM, 1, self.body))
        c.wait(lambda f, cl: any(x[1] == HEADERS and x[3] == 1 for x in f), 3.0)
        held = proc_status(self.pid)[1]
        c.close()
        t0 = time.monotonic()
        fds = held
        while time.monotonic() - t0 < self.a.peer_gone_wait and fds > fds0:
            time.sleep(0.2)
            fds = proc_status(self.pid)[1]
        dt = time.monotonic() - t0
        ok = fds <= fds0
        return ok, "descriptors %d → %d with the blocked stream → %d %.1f s after the client closed" % (
            fds0, held, fds, dt), "" if ok else "the server still holds the connection %.0f s after the peer closed it" % dt

    def stream_cap(self):
        c = self.raw()
        c.wait(lambda f, cl: server_settings(f) is not None, 3.0)
        cap = (server_settings(c.snapshot()[0]) or {}).get(3)
        if not cap:
            c.close()
            return False, "", "server advertised no SETTINGS_MAX_CONCURRENT_STREAMS"
        extra = 20
        block = request_block(self.port, body_len=len(self.body))
        ids = [2 * i + 1 for i in range(cap + extra)]
        c.send(b"".join(frame(HEADERS, END_HEADERS, sid, block) for sid in ids))
        c.wait(lambda f, cl: sum(1 for x in f if x[1] == RST_STREAM) >= extra, 3.0)
        frames, _ = c.snapshot()
        refused = {x[3] for x in frames if x[1] == RST_STREAM and int.from_bytes(x[4][:4], "big") == 7}
        # The open streams still work: finish the first five.
        c.send(b"".join(frame(DATA, END_STREAM, sid, self.body) for sid in ids[:5]))
        c.wait(lambda f, cl: sum(1 for x in f if x[1] == DATA and x[2] & END_STREAM and x[3] in ids[:5]) >= 5, 5.0)
        done = {x[3] for x in c.snapshot()[0] if x[1] == DATA and x[2] & END_STREAM}
        # The others never get their body: each is cancelled at the request receive timeout, or the
        # connection ends once those resets reach the server-forced reset limit (GOAWAY).
        t0 = time.monotonic()
        rest = set(ids[5:cap])
        c.wait(lambda f, cl: cl is not None or rest <= {x[3] for x in f if x[1] == RST_STREAM}, self.a.body_timeout + 5)
        frames, closed = c.snapshot()
        cancelled = {x[3] for x in frames if x[1] == RST_STREAM and int.from_bytes(x[4][:4], "big") == 8}
        ga = c.goaway()
        dt = time.monotonic() - t0
        c.close()
        ended = rest <= cancelled or (ga is not None and closed is not None)
        ok = (len(refused) == extra and refused == set(ids[cap:]) and set(ids[:5]) <= done and ended
              and dt <= self.a.body_timeout + 3)
        return ok, "advertised %d; %d streams opened: %d refused (REFUSED_STREAM, exactly those past the cap), 5 completed with 200; of the %d left without a body %d were cancelled (CANCEL) after %.1f s%s" % (
            cap, len(ids), len(refused), len(rest), len(rest & cancelled), dt,
            ", then %s" % self._end(c, ga) if ga else ""), \
            "" if ok else "refused %d (want %d, right ones %s), done %s, cancelled %d of %d, goaway %s" % (
                len(refused), extra, refused == set(ids[cap:]), sorted(done)[:5], len(rest & cancelled), len(rest), ga)

    # --- TLS and connections ---------------------------------------------------------------------

    def _client_hello(self):
        ctx = self.pki.context(alpn=("h2",))
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return outgoing.read()

    def _fresh_requests(self, stop, out):
        """A second neighbour that opens a fresh TLS connection for each request."""
        for _ in range(400):
            if stop.is_set():
                return
            t0 = time.monotonic()
            try:
                data, _ = self.h1(self.review_request(extra_headers=b"Connection: close\r\n"), wait=5.0)
                rs = parse_h1_responses(data)
                out.append(((time.monotonic() - t0) * 1000, rs[0][0] if rs else None))
            except Exception as e:
                out.append(((time.monotonic() - t0) * 1000, type(e).__name__))
            stop.wait(0.2)

    def stalled_handshakes(self):
        hello = self._client_hello()
        n = self.a.stall_conns
        socks = []
        for i in range(n):
            s = socket.create_connection((self.host, self.port), timeout=5)
            if i % 2:
                s.sendall(hello[: max(10, len(hello) // 3)])  # a partial ClientHello
            socks.append([s, time.monotonic(), None])
        stop = threading.Event()
        fresh = []
        th = threading.Thread(target=self._fresh_requests, args=(stop, fresh), daemon=True)
        th.start()
        deadline = time.monotonic() + self.a.handshake_timeout + 6
        while time.monotonic() < deadline and any(e[2] is None for e in socks):
            live = [e[0] for e in socks if e[2] is None]
            r, _, _ = select.select(live, [], [], 0.2)
            for s in r:
                e = next(x for x in socks if x[0] is s)
                try:
                    c = s.recv(4096)
                except OSError:
                    c = b""
                if not c:
                    e[2] = time.monotonic() - e[1]
        stop.set()
        th.join(timeout=10)
        for e in socks:
            e[0].close()
        closed = [e[2] for e in socks if e[2] is not None]
        fresh_ok = [x for x in fresh if x[1] == 200]
        fresh_lat = [x[0] for x in fresh_ok]
        ok = (len(closed) == n and max(closed) <= self.a.handshake_timeout + 2 and fresh and len(fresh_ok) == len(fresh)
              and percentile(fresh_lat, 99) < 1000)
        return ok, "%d stalled handshakes (half silent, half a partial ClientHello) closed after %.1f–%.1f s (timeout %.0f s); meanwhile %d/%d fresh-connection requests 200, p99 %.0f ms" % (
            n, min(closed) if closed else -1, max(closed) if closed else -1, self.a.handshake_timeout, len(fresh_ok),
            len(fresh), percentile(fresh_lat, 99) or -1), \
            "" if ok else "closed %d/%d, fresh %s" % (len(closed), n, sorted({str(x[1]) for x in fresh}))

    def connection_flood(self):
        m0 = metrics(self.pki, self.host, self.port)
        time.sleep(0.5)
        limit = self.a.max_connections
        total = limit + self.a.overload_allowance + 40
        conns, refused = [], 0
        t0 = time.monotonic()
        for _ in range(total):
            try:
                conns.append(tls_connect(self.h1ctx, self.host, self.port, timeout=3))
            except (ssl.SSLError, OSError):
                refused += 1
        t_open = time.monotonic() - t0
        statuses = []
        retry_after = 0
        shed_latency = []
        for s in conns:
            t1 = time.monotonic()
            try:
                got = send_and_read_head(s, self.review_request())
                rs = parse_h1_responses(got + b"\r\n" * 0)
                code = status_of(got)
                if code == 503:
                    shed_latency.append((time.monotonic() - t1) * 1000)
                    if b"\nretry-after:" in got.lower():
                        retry_after += 1
                statuses.append(code)
                del rs
            except (ssl.SSLError, OSError) as e:
                statuses.append(type(e).__name__)
        served = statuses.count(200)
        shed = statuses.count(503)
        # Over limit + allowance, a new connection displaces the oldest shed one (which the
        # server closes: its request then fails) instead of being refused at accept.
        displaced = sum(1 for x in statuses if x is None or isinstance(x, str))
        others = [x for x in statuses if isinstance(x, int) and x not in (200, 503)]
        for s in conns:
            s.close()
        # Recovery: once the flood is gone, new connections are served again.
        fd_base = self.settle(0, 0)  # current count, no wait
        del fd_base
        time.sleep(3)
        recovered = None
        for _ in range(20):
            try:
                data, _ = self.h1(self.review_request(extra_headers=b"Connection: close\r\n"), wait=3.0)
                rs = parse_h1_responses(data)
                if rs and rs[0][0] == 200:
                    recovered = True
                    break
                recovered = rs[0][0] if rs else None
            except (ssl.SSLError, OSError) as e:
                recovered = type(e).__name__
            time.sleep(0.5)
        m1 = metrics(self.pki, self.host, self.port)
        rejected = metric_sum(m1, "arbiter_connections_rejected_total") - metric_sum(m0, "arbiter_connections_rejected_total")
        shed_metric = metric_sum(m1, "arbiter_requests_shed_total") - metric_sum(m0, "arbiter_requests_shed_total")
        ok = (limit - 4 <= served <= limit - 1 and shed >= self.a.overload_allowance - 4 and retry_after == 0
              and refused + displaced >= 1 and rejected >= refused + displaced and not others and recovered is True
              and (percentile(shed_latency, 99) or 0) < 1000)
        return ok, "limit %d (+%d shed allowance): %d connections tried in %.1f s → %d served 200, %d fast 503 without Retry-After (p99 %.0f ms), %d refused at accept and %d shed ones displaced by newer ones (server counted %d rejected, %d shed); served again afterwards: %s" % (
            limit, self.a.overload_allowance, total, t_open, served, shed, percentile(shed_latency, 99) or -1, refused,
            displaced, rejected, shed_metric, recovered), \
            "" if ok else "served %d shed %d (Retry-After on %d) refused %d displaced %d rejected %d others %s recovered %s" % (
                served, shed, retry_after, refused, displaced, rejected, sorted({str(x) for x in others}), recovered)

    def caller_priority(self):
        """A client that is not a caller holds every connection slot (and some shed ones); the
        configured caller's new connections are still served, each closing one of its."""
        m0 = metrics(self.pki, self.host, self.port)
        limit = self.a.max_connections
        squat_ctx = self.pki.context(alpn=("http/1.1",), client="metrics-reader")  # CN=prove-metrics: not a caller
        squatters = []
        for _ in range(limit + 8):
            try:
                squatters.append(tls_connect(squat_ctx, self.host, self.port, timeout=3))
            except (ssl.SSLError, OSError):
                pass
        time.sleep(0.3)
        callers, codes = [], []
        for _ in range(5):
            try:
                s = tls_connect(self.h1ctx, self.host, self.port, timeout=3)
                codes.append(status_of(send_and_read_head(s, self.review_request())))
                callers.append(s)  # kept open: each needs a slot of its own
            except (ssl.SSLError, OSError) as e:
                codes.append(type(e).__name__)
        # Another connection of the non-caller is shed.
        try:
            data, _ = self.h1(self.review_request(extra_headers=b"Connection: close\r\n"), wait=3.0, ctx=squat_ctx)
            rs = parse_h1_responses(data)
            squat_code = rs[0][0] if rs else None
        except (ssl.SSLError, OSError) as e:
            squat_code = type(e).__name__
        for s in squatters + callers:
            s.close()
        time.sleep(1.0)
        m1 = metrics(self.pki, self.host, self.port)
        evicted = metric_sum(m1, "arbiter_connections_evicted_total") - metric_sum(m0, "arbiter_connections_evicted_total")
        ok = codes == [200] * 5 and squat_code == 503 and evicted >= 5
        return ok, "a non-caller held %d connections (limit %d): the caller's 5 new connections answered %s, %d of the non-caller's closed to make room; its own new connection: %s" % (
            len(squatters), limit, codes, evicted, squat_code), \
            "" if ok else "caller codes %s, non-caller %s, evicted %d" % (codes, squat_code, evicted)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--body", required=True, help="an allowed SubjectAccessReview")
    ap.add_argument("--neighbour-log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="comma-separated probe names")
    ap.add_argument("--max-connections", type=int, required=True)
    ap.add_argument("--overload-allowance", type=int, default=256)
    ap.add_argument("--handshake-timeout", type=float, required=True)
    ap.add_argument("--header-timeout", type=float, required=True)
    ap.add_argument("--body-timeout", type=float, required=True)
    ap.add_argument("--idle-timeout", type=float, required=True)
    ap.add_argument("--write-timeout", type=float, default=30)
    ap.add_argument("--request-timeout", type=float, default=2)
    ap.add_argument("--peer-gone-wait", type=float, default=8)
    ap.add_argument("--slow-conns", type=int, default=16)
    ap.add_argument("--stall-conns", type=int, default=20)
    ap.add_argument("--baseline-seconds", type=float, default=5)
    ap.add_argument("--latency-slack-ms", type=float, default=200)
    ap.add_argument("--rss-bound-mib", type=float, default=64)
    ap.add_argument("--min-window", type=float, default=1.5, help="shortest neighbour window per probe (s)")
    args = ap.parse_args()
    require_loopback(args.host)
    p = Probes(args)
    probes = [
        ("h1-smuggling", p.smuggling), ("h1-duplicate-content-length", p.identical_content_lengths),
        ("h1-pipelining", p.pipelining), ("h1-limits", p.limits),
        ("h1-method-path-type", p.routing), ("tls-refusals", p.tls_refusals),
        ("reviews-malformed", p.reviews_malformed), ("reviews-v1-and-v1beta1", p.reviews_versions),
        ("h1-slowloris-head", p.slowloris_head), ("h1-slowloris-body", p.slowloris_body),
        ("h2-rapid-reset", p.rapid_reset), ("h2-server-forced-resets", p.server_forced_resets),
        ("h2-continuation-flood", p.continuation_flood), ("h2-hpack-bomb", p.hpack_bomb),
        ("h2-settings-flood", lambda: p.control_flood("settings")), ("h2-ping-flood", lambda: p.control_flood("ping")),
        ("h2-stream-cap", p.stream_cap), ("h2-keepalive-and-idle", p.keepalive_then_idle),
        ("h2-zero-window", p.zero_window),
        ("h2-blocked-peer-gone", p.blocked_peer_gone), ("tls-stalled-handshakes", p.stalled_handshakes),
        ("connection-flood", p.connection_flood), ("caller-priority", p.caller_priority),
    ]
    only = {x for x in args.only.split(",") if x}
    if not p.measure_baseline(args.baseline_seconds):
        print("%d passed, %d failed" % (p.results.passed, p.results.failed))
        return 1
    for name, fn in probes:
        if only and name not in only:
            continue
        p.run(name, fn)
    rss_end = proc_status(p.pid)[0]
    lat, bad = p.neighbour(0, time.time())
    worst = max(lat) if lat else 0
    p.results.record(
        "abuse-overall", not bad and rss_end - p.rss_start <= args.rss_bound_mib * 1024 and worst <= args.request_timeout * 1000,
        "server RSS %.1f -> %.1f MiB over all probes; neighbour %d requests in all, %d failures, p99 %.1f ms, slowest %.0f ms "
        "(configured request timeout %.0f s)"
        % (p.rss_start / 1024, rss_end / 1024, len(lat), len(bad), percentile(lat, 99) or 0, worst, args.request_timeout),
        "" if not bad and worst <= args.request_timeout * 1000 else "neighbour failures: %s; slowest %.0f ms" % (sorted(set(bad)), worst))
    print("%d passed, %d failed" % (p.results.passed, p.results.failed))
    return 0 if p.results.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
