#!/usr/bin/env python3
"""Soak and churn against a running `arbiter serve` (loopback, bounded), then fresh connections.

For --seconds:
  * h2load (client certificate through the shim) posts a real review of the medium generated
    workload on 4 long-lived HTTP/2 connections at a fixed rate;
  * a checking client posts the workload's reviews in turn (8 streams at a time, one HTTP/2
    connection) and compares each decision with the workload's expected.txt, plus a review of
    the flipped user whose answer must be policy A's or B's;
  * every --reload-every seconds the policy flips A<->B, alternately by rewriting the file (the
    watcher) and by SIGHUP; every --rotate-every seconds the serving certificate and key are
    rotated on disk, and a new connection must then see the new certificate;
  * the server's RSS, descriptors and threads are sampled every --sample seconds.
Then --fresh new TLS connections, one HTTP/1.1 request each (4 client threads).

Checks (one JSON line each): h2load, decisions, reloads, rotation, RSS, descriptors, threads,
fresh connections.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import PKI, H2Client, Results, metric_sum, metrics, percentile, proc_status, require_loopback, tls_connect  # noqa: E402

FLIP_REVIEW = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"resourceAttributes": {"namespace": "soak", "verb": "get", "version": "v1", "resource": "configmaps",
                                               "name": "settings"}, "user": "prove-flip", "groups": ["system:authenticated"]}}


def median(values):
    return percentile(values, 50)


class Soak:
    def __init__(self, a):
        self.a = a
        self.pki = PKI(a.pki)
        self.results = Results(a.out, "soak")
        self.stop = threading.Event()
        self.samples = []  # (t, rss_kib, fds, threads)
        self.lock = threading.Lock()
        self.reviews = [l.encode() for l in open(a.requests) if l.strip()]
        self.expected = [l.strip() == "allow" for l in open(a.expected) if l.strip()]
        self.flip = json.dumps(FLIP_REVIEW).encode()
        self.stats = {"answers": 0, "wrong": [], "errors": [], "flip_A": 0, "flip_B": 0, "flip_other": [], "latency": []}
        self.churn = {"flips_file": 0, "flips_sighup": 0, "rotations": 0, "rotations_seen": 0, "rotation_misses": []}

    # --- sampler ---------------------------------------------------------------------------------

    def sampler(self, t0):
        while not self.stop.is_set():
            try:
                rss, fds, thr = proc_status(self.a.pid)
            except OSError:
                return
            with self.lock:
                self.samples.append((time.monotonic() - t0, rss, fds, thr))
            self.stop.wait(self.a.sample)

    # --- the checking client ---------------------------------------------------------------------

    def reviewer(self):
        ctx = self.pki.context(alpn=("h2",))
        client = None
        i = 0
        reconnects = 0
        while not self.stop.is_set():
            batch = [(i + k) % len(self.reviews) for k in range(8)]
            i += 8
            t0 = time.monotonic()
            try:
                if client is None:
                    if reconnects > 20:
                        self.stats["errors"].append("gave up after 20 reconnects")
                        return
                    client = H2Client(ctx, "127.0.0.1", self.a.port)
                    reconnects += 1
                answers = client.request_many([self.reviews[j] for j in batch] + [self.flip], timeout=10)
            except Exception as e:  # every failure counts; the client reconnects
                self.stats["errors"].append(type(e).__name__ + ": " + str(e)[:80])
                if client is not None:
                    client.close()
                client = None
                self.stop.wait(0.2)
                continue
            self.stats["latency"].append((time.monotonic() - t0) * 1000)
            for j, (status, data, reset) in zip(batch, answers[:-1]):
                self.stats["answers"] += 1
                if status != 200:
                    self.stats["errors"].append("status %s reset %s" % (status, reset))
                    continue
                allowed = json.loads(data)["status"].get("allowed", False)
                if allowed != self.expected[j]:
                    self.stats["wrong"].append(j)
            status, data, reset = answers[-1]
            st = json.loads(data)["status"] if status == 200 else None
            if st == {"allowed": True, "reason": 'RBAC: allowed by ClusterRoleBinding "prove-flip" of ClusterRole "prove-flip" to User "prove-flip"'}:
                self.stats["flip_A"] += 1
            elif st == {"allowed": False, "denied": True, "reason": 'AccessPolicy: denied by AccessPolicy "prove-flip-deny" rule 0'}:
                self.stats["flip_B"] += 1
            else:
                self.stats["flip_other"].append((status, (data or b"")[:200].decode("utf-8", "replace")))
            self.stop.wait(self.a.review_pause)
        if client is not None:
            client.close()

    # --- churn: policy flips and certificate rotation ---------------------------------------------

    def peer_cert(self):
        ctx = self.pki.context(alpn=("http/1.1",))
        s = tls_connect(ctx, "127.0.0.1", self.a.port)
        try:
            return s.getpeercert(binary_form=True)
        finally:
            s.close()

    def churner(self, t0):
        w = self.a.work
        pairs = [("server.crt", "server.key"), ("server2.crt", "server2.key")]
        ders = [ssl.PEM_cert_to_DER_cert(open(os.path.join(self.a.pki, c)).read()) for c, _ in pairs]
        current_cert = 0
        flip = 0
        next_reload = self.a.reload_every
        next_rotate = self.a.rotate_every
        while not self.stop.is_set():
            now = time.monotonic() - t0
            if now >= next_reload:
                next_reload += self.a.reload_every
                flip += 1
                src = os.path.join(w, "flip-%s.yaml" % ("B" if flip % 2 else "A"))
                tmp = os.path.join(w, "policy", ".flip.tmp")
                shutil.copyfile(src, tmp)
                os.replace(tmp, os.path.join(w, "policy", "flip.yaml"))
                if flip % 4 in (1, 2):
                    self.churn["flips_file"] += 1  # the file watcher reloads
                else:
                    self.churn["flips_sighup"] += 1
                    os.kill(self.a.pid, signal.SIGHUP)
            if now >= next_rotate and now <= self.a.seconds - 12:  # leaves time to see it take effect
                next_rotate += self.a.rotate_every
                current_cert = 1 - current_cert
                crt, key = pairs[current_cert]
                for name, target in ((key, "server.key"), (crt, "server.crt")):
                    tmp = os.path.join(w, "tls", "." + target + ".tmp")
                    shutil.copyfile(os.path.join(self.a.pki, name), tmp)
                    os.replace(tmp, os.path.join(w, "tls", target))
                self.churn["rotations"] += 1
                seen = False
                for _ in range(40):  # up to 10 s for the watcher (debounce 500 ms) and the reload
                    if self.stop.wait(0.25):
                        break
                    try:
                        if self.peer_cert() == ders[current_cert]:
                            seen = True
                            break
                    except (OSError, ssl.SSLError):
                        pass
                if seen:
                    self.churn["rotations_seen"] += 1
                else:
                    self.churn["rotation_misses"].append(round(now))
            self.stop.wait(0.1)

    # --- load ------------------------------------------------------------------------------------

    def h2load(self, body_file):
        env = dict(os.environ, SHIM_CERT=self.pki.path("client.crt"), SHIM_KEY=self.pki.path("client.key"),
                   LD_PRELOAD=self.a.shim)
        cmd = ["h2load", "-t1", "-c%d" % self.a.h2load_clients, "-m8", "--rps=%d" % self.a.h2load_rps,
               "-D", str(self.a.seconds), "-d", body_file, "-H", "content-type: application/json",
               "https://127.0.0.1:%d/authorize" % self.a.port]
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(self):
        a = self.a
        body_file = os.path.join(a.work, "h2load-review.json")
        with open(body_file, "wb") as f:
            f.write(self.reviews[0])
        m0 = metrics(self.pki, "127.0.0.1", a.port)
        time.sleep(0.5)
        rss0, fds0, thr0 = proc_status(a.pid)
        t0 = time.monotonic()
        threads = [threading.Thread(target=self.sampler, args=(t0,), daemon=True),
                   threading.Thread(target=self.reviewer, daemon=True),
                   threading.Thread(target=self.churner, args=(t0,), daemon=True)]
        load = self.h2load(body_file)
        for t in threads:
            t.start()
        try:
            out, _ = load.communicate(timeout=a.seconds + 120)
        except subprocess.TimeoutExpired:
            load.kill()
            out, _ = load.communicate()
            out += "\n(h2load killed: did not finish within its duration + 120 s)"
        self.stop.set()
        for t in threads:
            t.join(timeout=15)
        elapsed = time.monotonic() - t0
        # Let the connections close, then the final sample.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc_status(a.pid)[1] > fds0:
            time.sleep(0.25)
        rss1, fds1, thr1 = proc_status(a.pid)
        m1 = metrics(self.pki, "127.0.0.1", a.port)
        with open(a.samples, "w") as f:
            f.write("seconds\trss_kib\tfds\tthreads\n")
            for s in self.samples:
                f.write("%.1f\t%d\t%d\t%d\n" % s)
        self.judge(out, elapsed, m0, m1, (rss0, fds0, thr0), (rss1, fds1, thr1))

    def judge(self, out, elapsed, m0, m1, before, after):
        a = self.a
        r = self.results
        load = os.getloadavg()[0]
        # h2load
        req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
        codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
        if req and codes:
            total, started, done, ok2, failed, errored, tmo = map(int, req.groups())
            c2, c3, c4, c5 = map(int, codes.groups())
            ok = done > 0 and failed == 0 and errored == 0 and tmo == 0 and c2 == done and c3 + c4 + c5 == 0
            r.record("soak-h2load", ok, "%d requests in %.0f s over %d HTTP/2 connections (%d req/s each): %d 2xx, %d failed, %d errored, %d timeout; load average %.1f" % (
                done, a.seconds, a.h2load_clients, a.h2load_rps, c2, failed, errored, tmo, load),
                "" if ok else out.strip().splitlines()[-12:])
        else:
            r.record("soak-h2load", False, "", "no h2load summary: %s" % out.strip()[-400:])
        # decisions
        st = self.stats
        lat = st["latency"]
        ok = st["answers"] > 0 and not st["wrong"] and not st["errors"] and not st["flip_other"] and st["flip_A"] > 0 and st["flip_B"] > 0
        r.record("soak-decisions", ok, "%d medium-workload reviews checked against expected.txt: %d wrong, %d errors; flipped user answered A %d, B %d, other %d; round of 9 streams p50 %.1f ms, p99 %.1f ms" % (
            st["answers"], len(st["wrong"]), len(st["errors"]), st["flip_A"], st["flip_B"], len(st["flip_other"]),
            median(lat) or 0, percentile(lat, 99) or 0),
            "" if ok else "wrong lines %s; errors %s; other flip answers %s" % (st["wrong"][:5], st["errors"][:3], st["flip_other"][:2]))
        # reloads
        succ = metric_sum(m1, 'arbiter_policy_reloads_total{result="success"}') - metric_sum(m0, 'arbiter_policy_reloads_total{result="success"}')
        fail = metric_sum(m1, 'arbiter_policy_reloads_total{result="failure"}') - metric_sum(m0, 'arbiter_policy_reloads_total{result="failure"}')
        tls_ok = metric_sum(m1, 'arbiter_tls_reloads_total{result="success"}') - metric_sum(m0, 'arbiter_tls_reloads_total{result="success"}')
        tls_fail = metric_sum(m1, 'arbiter_tls_reloads_total{result="failure"}') - metric_sum(m0, 'arbiter_tls_reloads_total{result="failure"}')
        ch = self.churn
        flips = ch["flips_file"] + ch["flips_sighup"]
        ok = flips > 0 and fail == 0 and succ >= flips
        r.record("soak-policy-reloads", ok, "%d policy flips (%d by file change, %d by SIGHUP) of the 4 MB medium policy: %d successful reloads, %d failed" % (
            flips, ch["flips_file"], ch["flips_sighup"], succ, fail), "" if ok else "reloads %d < flips %d or failures %d" % (succ, flips, fail))
        ok = ch["rotations"] > 0 and ch["rotations_seen"] == ch["rotations"] and tls_fail == 0
        r.record("soak-cert-rotation", ok, "%d serving-certificate rotations on disk, %d seen by a new connection within 10 s; TLS reloads %d ok, %d failed" % (
            ch["rotations"], ch["rotations_seen"], tls_ok, tls_fail), "" if ok else "missed at %s s, TLS reload failures %d" % (ch["rotation_misses"], tls_fail))
        # resources after warm-up
        after_warm = [s for s in self.samples if s[0] >= a.warmup]
        if len(after_warm) < 4:
            r.record("soak-memory", False, "", "too few samples after warm-up (%d)" % len(after_warm))
        else:
            q = max(1, len(after_warm) // 4)
            first = median([s[1] for s in after_warm[:q]])
            last = median([s[1] for s in after_warm[-q:]])
            peak = max(s[1] for s in self.samples)
            growth = last - first
            # For the reader: growth over the second half alone (a leak keeps growing; a one-off
            # step, e.g. the allocator taking another arena, does not). Not part of the verdict.
            half = after_warm[len(after_warm) // 2:]
            q2 = max(1, len(half) // 4)
            second_half = median([s[1] for s in half[-q2:]]) - median([s[1] for s in half[:q2]])
            ok = growth <= a.rss_growth_mib * 1024
            r.record("soak-memory", ok, "RSS after warm-up (%.0f s): first-quarter median %.1f MiB, last-quarter median %.1f MiB, growth %+.1f MiB (bound %.0f MiB); over the second half alone %+.1f MiB; peak %.1f MiB; start %.1f MiB; %d samples every %.0f s (%s)" % (
                a.warmup, first / 1024, last / 1024, growth / 1024, a.rss_growth_mib, second_half / 1024, peak / 1024,
                before[0] / 1024, len(self.samples), a.sample, os.path.basename(a.samples)),
                "" if ok else "RSS grew %.1f MiB after warm-up" % (growth / 1024))
            fds = [s[2] for s in after_warm]
            ok = after[1] <= before[1] and max(fds) - min(fds) <= a.fd_spread
            r.record("soak-descriptors", ok, "descriptors before %d, after warm-up %d–%d, after the load %d" % (
                before[1], min(fds), max(fds), after[1]), "" if ok else "descriptors did not come back or spread %d > %d" % (
                max(fds) - min(fds), a.fd_spread))
            thr = [s[3] for s in after_warm]
            ok = max(thr) == min(thr) == after[2]
            r.record("soak-threads", ok, "threads before %d, after warm-up %d–%d, after %d" % (before[2], min(thr), max(thr), after[2]),
                     "" if ok else "thread count changed")

    # --- corrupt material: refused, counted, the old one keeps serving ------------------------------

    def flip_answer(self):
        c = H2Client(self.pki.context(alpn=("h2",)), "127.0.0.1", self.a.port)
        try:
            (status, data, _), = c.request_many([self.flip], timeout=10)
            return status, json.loads(data)["status"] if status == 200 else None
        finally:
            c.close()

    def wait_metric(self, name, above, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if metric_sum(metrics(self.pki, "127.0.0.1", self.a.port), name) > above:
                return True
            time.sleep(0.25)
        return False

    def corrupt_material(self):
        a, w = self.a, self.a.work
        problems, figs = [], []
        tls_fail = 'arbiter_tls_reloads_total{result="failure"}'
        pol_fail = 'arbiter_policy_reloads_total{result="failure"}'
        time.sleep(1.5)  # the churner's last change is reloaded (the watcher debounces 500 ms)
        m0 = metrics(self.pki, "127.0.0.1", a.port)
        served = self.peer_cert()
        # 1. A corrupt serving certificate on disk.
        crt = os.path.join(w, "tls", "server.crt")
        good = open(crt, "rb").read()
        tmp = crt + ".tmp"
        with open(tmp, "wb") as f:
            f.write(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
        os.replace(tmp, crt)
        counted = self.wait_metric(tls_fail, metric_sum(m0, tls_fail), 10)
        still = self.peer_cert() == served
        with open(tmp, "wb") as f:
            f.write(good)
        os.replace(tmp, crt)
        figs.append("corrupt certificate: failure counted %s, old certificate still served %s" % (counted, still))
        if not (counted and still):
            problems.append("corrupt certificate: counted %s, old served %s" % (counted, still))
        # 2. A billion-laughs policy file next to the live policy (after the reloads above settled).
        time.sleep(1.5)
        answer0 = self.flip_answer()
        laughs = ['lol: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for i in range(1, 9):
            laughs.append("l%d: &l%d [%s]" % (i, i, ",".join(["*l%d" % (i - 1)] * 9)))
        evil = os.path.join(w, "policy", "laughs.yaml")
        rss0 = proc_status(a.pid)[0]
        t0 = time.monotonic()
        with open(evil + ".tmp", "w") as f:
            f.write("\n".join(laughs) + "\n")
        os.replace(evil + ".tmp", evil)
        counted = self.wait_metric(pol_fail, metric_sum(m0, pol_fail), 30)
        dt = time.monotonic() - t0
        rss1 = proc_status(a.pid)[0]
        answer1 = self.flip_answer()
        os.remove(evil)
        figs.append("billion-laughs policy (%d bytes): refused and counted %s within %.1f s, RSS %+.1f MiB, answers unchanged %s" % (
            len("\n".join(laughs)), counted, dt, (rss1 - rss0) / 1024, answer1 == answer0))
        if not counted or answer1 != answer0 or (rss1 - rss0) > 64 * 1024:
            problems.append("billion laughs: counted %s, answer %s -> %s, RSS +%d KiB" % (counted, answer0, answer1, rss1 - rss0))
        # Both good again: the next reload succeeds.
        time.sleep(1.5)
        log = open(a.server_log).read() if a.server_log and os.path.exists(a.server_log) else ""
        logged = ("TLS material not reloaded" in log) and ("policy not loaded" in log)
        figs.append("both logged %s" % logged)
        if a.server_log and not logged:
            problems.append("no error log line for the refused material")
        self.results.record("soak-corrupt-material", not problems, "; ".join(figs), "; ".join(problems))

    def empty_policy_reload(self):
        """Every policy file truncated to 0 bytes on a running server (a botched deploy, a
        non-atomic copy caught by the watcher): the empty policy must be refused like an invalid
        one, and the previous policy must keep answering."""
        a = self.a
        pol_fail = 'arbiter_policy_reloads_total{result="failure"}'
        pol_ok = 'arbiter_policy_reloads_total{result="success"}'
        m0 = metrics(self.pki, "127.0.0.1", a.port)
        answer0 = self.flip_answer()
        directory = os.path.join(a.work, "policy")
        saved = {}
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if name.endswith(".yaml") and os.path.isfile(path):
                saved[path] = open(path, "rb").read()
                open(path, "wb").close()
        refused = emptied = False
        deadline = time.monotonic() + 10
        answer1 = answer0
        while time.monotonic() < deadline and not refused and not emptied:
            time.sleep(0.5)
            m = metrics(self.pki, "127.0.0.1", a.port)
            refused = metric_sum(m, pol_fail) > metric_sum(m0, pol_fail)
            accepted = metric_sum(m, pol_ok) > metric_sum(m0, pol_ok)
            answer1 = self.flip_answer()
            emptied = accepted and answer1 != answer0
        for path, data in saved.items():
            tmp = path + ".restore"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        restored = False
        for _ in range(40):
            time.sleep(0.5)
            if self.flip_answer() in ((200, answer0[1]), answer0):
                restored = True
                break
        ok = refused and not emptied and restored

        def name(answer):
            st = answer[1] or {}
            return "denied" if st.get("denied") else "allowed" if st.get("allowed") else "no opinion" if answer[0] == 200 else "HTTP %s" % answer[0]
        self.results.record(
            "soak-empty-policy-reload", ok,
            "every policy file truncated to 0 bytes: reload refused %s; the flipped user's review answered %s before, %s after; old policy back after restoring the files %s" % (
                refused, name(answer0), name(answer1), restored),
            "" if ok else ("the empty policy was loaded and served (the answer became %s)" % answer1[1] if emptied
                           else "no reload failure counted within 10 s" if not refused else "old answers not back after restoring"))

    # --- fresh connections -----------------------------------------------------------------------

    def fresh(self):
        a = self.a
        if a.fresh <= 0:
            return
        ctx = self.pki.context(alpn=("http/1.1",))
        body = self.reviews[1]
        req = (b"POST /authorize HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body

        def one(_):
            t0 = time.monotonic()
            try:
                s = tls_connect(ctx, "127.0.0.1", a.port)
            except ssl.SSLError as e:
                return ("handshake-error", str(e)[:80], 0)
            except OSError as e:
                return ("connect-error", type(e).__name__, 0)
            try:
                s.sendall(req)
                data = b""
                s.settimeout(10)
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    data += c
            except (OSError, ssl.SSLError) as e:
                return ("io-error", type(e).__name__, 0)
            finally:
                s.close()
            ok = data.startswith(b"HTTP/1.1 200") and b"SubjectAccessReview" in data
            return ("ok" if ok else "bad-answer", data[:40], (time.monotonic() - t0) * 1000)

        m0 = metrics(self.pki, "127.0.0.1", a.port)
        time.sleep(0.5)
        rss0, fds0, thr0 = proc_status(a.pid)
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = list(pool.map(one, range(a.fresh)))
        elapsed = time.monotonic() - t0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc_status(a.pid)[1] > fds0:
            time.sleep(0.25)
        rss1, fds1, thr1 = proc_status(a.pid)
        m1 = metrics(self.pki, "127.0.0.1", a.port)
        hs = metric_sum(m1, "arbiter_tls_handshakes_total") - metric_sum(m0, "arbiter_tls_handshakes_total")
        hsf = metric_sum(m1, "arbiter_tls_handshake_failures_total") - metric_sum(m0, "arbiter_tls_handshake_failures_total")
        kinds = {}
        for o in outcomes:
            kinds[o[0]] = kinds.get(o[0], 0) + 1
        lat = [o[2] for o in outcomes if o[0] == "ok"]
        good = kinds.get("ok", 0)
        # The metrics reads themselves are two more handshakes.
        ok = good == a.fresh and hsf == 0 and hs >= a.fresh and fds1 <= fds0 and thr1 == thr0
        self.results.record("fresh-tls-connections", ok, "%d new mutual-TLS connections, one review each, in %.0f s (%.0f/s, 4 client threads): %d answered 200; server handshakes +%d, handshake failures +%d; descriptors %d → %d; RSS %.1f → %.1f MiB; p99 %.0f ms" % (
            a.fresh, elapsed, a.fresh / elapsed, good, hs, hsf, fds0, fds1, rss0 / 1024, rss1 / 1024, percentile(lat, 99) or 0),
            "" if ok else "outcomes %s, e.g. %s" % (kinds, [o for o in outcomes if o[0] != "ok"][:2]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--work", required=True, help="holds policy/, tls/, flip-A.yaml, flip-B.yaml")
    ap.add_argument("--requests", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--warmup", type=float, default=15)
    ap.add_argument("--sample", type=float, default=2)
    ap.add_argument("--reload-every", type=float, default=5)
    ap.add_argument("--rotate-every", type=float, default=20)
    ap.add_argument("--h2load-clients", type=int, default=4)
    ap.add_argument("--h2load-rps", type=int, default=250)
    ap.add_argument("--review-pause", type=float, default=0.02)
    ap.add_argument("--rss-growth-mib", type=float, default=16)
    ap.add_argument("--fd-spread", type=int, default=8)
    ap.add_argument("--fresh", type=int, default=2000)
    ap.add_argument("--server-log", default="")
    ap.add_argument("--out", required=True)
    ap.add_argument("--samples", required=True)
    a = ap.parse_args()
    require_loopback("127.0.0.1")
    s = Soak(a)
    s.run()
    s.corrupt_material()
    s.empty_policy_reload()
    s.fresh()
    print("%d passed, %d failed" % (s.results.passed, s.results.failed))
    return 0 if s.results.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
