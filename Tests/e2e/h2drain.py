#!/usr/bin/env python3
"""Deterministic drain check: requests that are in flight when SIGTERM arrives must complete.

Opens an HTTP/2 connection (mutual TLS), starts --streams reviews by sending their HEADERS but
holding back the body, sends SIGTERM to --pid, waits --hold seconds (GOAWAY should arrive, with
a last-stream-id covering the open streams), then sends the bodies and reads the answers. Also
tries a new TCP connection while draining (it should be refused or closed without an answer).

Prints one JSON line; exit 0 when every in-flight stream was answered 200 with the expected
status (--expect-allowed).
"""
import argparse
import json
import os
import signal
import socket
import ssl
import sys
import time

import hpack
from hyperframe.frame import (DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame, RstStreamFrame,
                              SettingsFrame)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/authorize")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--body", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--streams", type=int, default=3)
    ap.add_argument("--hold", type=float, default=0.5)
    ap.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args()
    body = open(args.body, "rb").read()

    def tls_socket():
        ctx = ssl.create_default_context(cafile=args.ca)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection((args.host, args.port), timeout=args.timeout)
        return ctx.wrap_socket(raw, server_hostname=args.host)

    result = {"streams": args.streams, "answered": 0, "ok": 0, "goaway_last_stream_id": None,
              "goaway_error_code": None, "new_connection_while_draining": None, "errors": []}
    # Raw frames (hyperframe + hpack): python-h2 refuses to send or receive anything once it has
    # seen a GOAWAY, but a draining server legitimately finishes streams below last-stream-id.
    sock = tls_socket()
    encoder, decoder = hpack.Encoder(), hpack.Decoder()
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SettingsFrame(0).serialize())
    streams = {}
    out = b""
    for i in range(args.streams):
        sid = 1 + 2 * i
        block = encoder.encode([
            (":method", "POST"), (":scheme", "https"), (":authority", "%s:%d" % (args.host, args.port)),
            (":path", args.path), ("content-type", "application/json"), ("content-length", str(len(body))),
        ])
        out += HeadersFrame(sid, data=block, flags=["END_HEADERS"]).serialize()
        streams[sid] = {"status": None, "data": b"", "ended": False}
    sock.sendall(out)
    buf = b""

    def pump(deadline, until):
        nonlocal buf
        while time.monotonic() < deadline and not until():
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            if not chunk:
                result["errors"].append("connection closed by server")
                return
            buf += chunk
            while len(buf) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(buf[:9]))
                if len(buf) < 9 + length:
                    break
                frame.parse_body(memoryview(buf[9:9 + length]))
                buf = buf[9 + length:]
                if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                    sock.sendall(SettingsFrame(0, flags=["ACK"]).serialize())
                elif isinstance(frame, PingFrame) and "ACK" not in frame.flags:
                    sock.sendall(PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]).serialize())
                elif isinstance(frame, GoAwayFrame):
                    result["goaway_last_stream_id"] = frame.last_stream_id
                    result["goaway_error_code"] = frame.error_code
                elif isinstance(frame, HeadersFrame) and frame.stream_id in streams:
                    headers = dict(decoder.decode(frame.data))
                    streams[frame.stream_id]["status"] = headers.get(":status")
                    if "END_STREAM" in frame.flags:
                        streams[frame.stream_id]["ended"] = True
                elif isinstance(frame, DataFrame) and frame.stream_id in streams:
                    streams[frame.stream_id]["data"] += frame.data
                    if "END_STREAM" in frame.flags:
                        streams[frame.stream_id]["ended"] = True
                elif isinstance(frame, RstStreamFrame) and frame.stream_id in streams:
                    streams[frame.stream_id]["ended"] = True
                    streams[frame.stream_id]["status"] = "RST_STREAM %d" % frame.error_code

    pump(time.monotonic() + 0.2, lambda: False)  # the server has read the HEADERS: in flight
    result["sigterm_at_ns"] = time.time_ns()
    os.kill(args.pid, signal.SIGTERM)

    # While holding the bodies back: GOAWAY should come, and no new connection should be served.
    pump(time.monotonic() + args.hold, lambda: False)
    try:
        s2 = tls_socket()
        s2.settimeout(2)
        try:
            s2.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            data = s2.recv(1)
            result["new_connection_while_draining"] = "accepted and read %d bytes" % len(data) if data else "closed"
        except (OSError, ssl.SSLError) as e:
            result["new_connection_while_draining"] = "closed: %s" % e.__class__.__name__
        s2.close()
    except (OSError, ssl.SSLError) as e:
        result["new_connection_while_draining"] = "refused: %s" % e.__class__.__name__

    try:
        sock.sendall(b"".join(DataFrame(sid, data=body, flags=["END_STREAM"]).serialize() for sid in streams))
    except OSError as e:
        result["errors"].append("sending the bodies: %s" % e)
    pump(time.monotonic() + args.timeout, lambda: all(s["ended"] for s in streams.values()))
    for sid, s in streams.items():
        if s["ended"]:
            result["answered"] += 1
        try:
            if s["status"] == "200" and json.loads(s["data"])["status"]["allowed"] is True:
                result["ok"] += 1
            else:
                result["errors"].append("stream %d: %s %r" % (sid, s["status"], s["data"][:200]))
        except Exception as e:  # noqa: BLE001
            result["errors"].append("stream %d: %s %r (%s)" % (sid, s["status"], s["data"][:200], e))
    try:
        sock.close()
    except OSError:
        pass
    print(json.dumps(result))
    return 0 if result["ok"] == args.streams else 1


if __name__ == "__main__":
    sys.exit(main())
