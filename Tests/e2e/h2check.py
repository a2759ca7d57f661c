#!/usr/bin/env python3
"""HTTP/2 consistency checker for the reload-under-load test.

Posts one SubjectAccessReview again and again over a single HTTP/2 connection (the `h2`
package, mutual TLS, ALPN h2) and checks that every single answer is exactly policy A's or
policy B's: HTTP 200, `status` equal to one of the two expected objects, and the
`arbiter-policy-revision` header naming the revision that produced that status.

Bounded: stops when --stop-file appears, after --max-seconds or after --max-requests,
whichever comes first. Prints one JSON summary line; exit 0 when there were no mismatches.
"""
import argparse
import json
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/authorize")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--body", required=True, help="request body file")
    ap.add_argument("--expect", required=True,
                    help='JSON: {"A": {"status": {...}, "revision": "..."}, "B": {...}}')
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--max-requests", type=int, default=200000)
    ap.add_argument("--streams", type=int, default=4, help="concurrent streams per round")
    args = ap.parse_args()

    body = open(args.body, "rb").read()
    expect = json.loads(open(args.expect).read()) if not args.expect.lstrip().startswith("{") else json.loads(args.expect)

    ctx = ssl.create_default_context(cafile=args.ca)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection((args.host, args.port), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname=args.host)
    if sock.selected_alpn_protocol() != "h2":
        print(json.dumps({"error": "ALPN did not select h2: %r" % sock.selected_alpn_protocol()}))
        return 2
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    counts = {"A": 0, "B": 0}
    mismatches = []
    total = 0
    deadline = time.monotonic() + args.max_seconds
    import os

    def one_round(n):
        streams = {}
        for _ in range(n):
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, [
                (":method", "POST"), (":scheme", "https"), (":authority", "%s:%d" % (args.host, args.port)),
                (":path", args.path), ("content-type", "application/json"), ("content-length", str(len(body))),
            ])
            conn.send_data(sid, body, end_stream=True)
            streams[sid] = {"headers": {}, "data": b"", "done": False}
        sock.sendall(conn.data_to_send())
        pending = n
        while pending:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed by server")
            for ev in conn.receive_data(chunk):
                if isinstance(ev, h2.events.ResponseReceived):
                    streams[ev.stream_id]["headers"] = dict(ev.headers)
                elif isinstance(ev, h2.events.DataReceived):
                    streams[ev.stream_id]["data"] += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    streams[ev.stream_id]["done"] = True
                    pending -= 1
                elif isinstance(ev, h2.events.StreamReset):
                    streams[ev.stream_id]["done"] = True
                    streams[ev.stream_id]["reset"] = ev.error_code
                    pending -= 1
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    raise RuntimeError("GOAWAY from server: %r" % ev)
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
        return streams.values()

    error = None
    try:
        while time.monotonic() < deadline and total < args.max_requests and not os.path.exists(args.stop_file):
            for r in one_round(args.streams):
                total += 1
                hdrs = r["headers"]
                which = None
                detail = None
                try:
                    status = hdrs.get(":status")
                    doc = json.loads(r["data"]) if r["data"] else None
                    if status != "200" or doc is None:
                        detail = "http %s body %r" % (status, r["data"][:200])
                    else:
                        for name in ("A", "B"):
                            if doc.get("status") == expect[name]["status"]:
                                which = name
                        if which is None:
                            detail = "status %r is neither A's nor B's" % (doc.get("status"),)
                        elif hdrs.get("arbiter-policy-revision") != expect[which]["revision"]:
                            detail = "status of %s but revision header %r" % (which, hdrs.get("arbiter-policy-revision"))
                            which = None
                except Exception as e:  # noqa: BLE001 - report anything odd as a mismatch
                    detail = "undecodable answer: %s" % e
                if which:
                    counts[which] += 1
                else:
                    mismatches.append(detail)
    except Exception as e:  # noqa: BLE001
        error = str(e)
    try:
        conn.close_connection()
        sock.sendall(conn.data_to_send())
        sock.close()
    except Exception:  # noqa: BLE001
        pass
    print(json.dumps({"total": total, "A": counts["A"], "B": counts["B"], "mismatches": len(mismatches),
                      "first_mismatches": mismatches[:5], "error": error}))
    return 0 if not mismatches and error is None else 1


if __name__ == "__main__":
    sys.exit(main())
