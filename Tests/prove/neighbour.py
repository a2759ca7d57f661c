#!/usr/bin/env python3
"""The healthy neighbour: a well-behaved HTTP/2 client (like kube-apiserver) on one long-lived
mutual-TLS connection, posting one SubjectAccessReview every --interval seconds while the abuse
probes run, and logging each request as a line `wallclock latency_ms outcome`.

outcome is `ok` (200 with the expected decision) or a short error. A lost connection is logged
as an error and reopened (at most --max-reconnects times). Bounded: stops at --max-seconds, when
--stop-file appears, or on SIGTERM.
"""
import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import PKI, H2Client, require_loopback  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--body", required=True)
    ap.add_argument("--expect-allowed", choices=["true", "false"], default="true")
    ap.add_argument("--log", required=True)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--max-reconnects", type=int, default=50)
    ap.add_argument("--stop-file", default="")
    args = ap.parse_args()
    require_loopback(args.host)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    body = open(args.body, "rb").read()
    want = args.expect_allowed == "true"
    ctx = PKI(args.pki).context(alpn=("h2",))
    log = open(args.log, "a", buffering=1)
    client = None
    reconnects = 0
    end = time.monotonic() + args.max_seconds
    while not stop["now"] and time.monotonic() < end:
        if args.stop_file and os.path.exists(args.stop_file):
            break
        t0 = time.monotonic()
        wall = time.time()
        outcome = "ok"
        try:
            if client is None:
                if reconnects > args.max_reconnects:
                    break
                client = H2Client(ctx, args.host, args.port)
            (status, data, reset), = client.request_many([body])
            if status != 200:
                outcome = "status-%s%s" % (status, "-reset-%s" % reset if reset is not None else "")
            else:
                decision = json.loads(data)["status"]
                if decision.get("allowed", False) != want:
                    outcome = "wrong-decision"
        except Exception as e:  # any failure is the neighbour's failure: logged, never hidden
            outcome = "error-" + type(e).__name__
            if client is not None:
                client.close()
            client = None
            reconnects += 1
        latency = (time.monotonic() - t0) * 1000.0
        log.write("%.6f %.3f %s\n" % (wall, latency, outcome))
        sleep = args.interval - (time.monotonic() - t0)
        if sleep > 0:
            time.sleep(sleep)
    if client is not None:
        client.close()


if __name__ == "__main__":
    main()
