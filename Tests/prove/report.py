#!/usr/bin/env python3
"""The `make prove` report: reads the checks every step recorded (results.jsonl), parses the
outputs of sslyze, swift test and Tests/e2e/run.sh, and writes docs/reliability.md with

  * one table of every check with its figure and verdict;
  * the map from each item of ../shared/docs/security-checklist.md to the tests and checks that
    cover it, each with the verdict of THIS run (a Swift test that did not run, or a check that
    is missing from the results, is "not run", never a pass).

Also used by run.sh for small parsing jobs: --print-test-filter, --record-unit, --record-sslyze,
--record-sslyze-nocert.
"""
import argparse
import datetime
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Evidence kinds: ("swift", "Tests/<file>", "function") a Swift test run in the `unit` step;
# ("prove", "check-name") a check of this harness; ("e2e", "substring of a PASS line") a check of
# Tests/e2e/run.sh run in the `e2e` step; ("deploy", "substring") a line of .ci/check-deploy.
CHECKLIST = [
    (1, "Mozilla intermediate TLS (sslyze exits 0), TLS 1.2+1.3 only, AEAD, X25519/P-256/P-384, no compression, no client renegotiation", [
        ("prove", "tls-scan-mozilla-intermediate"), ("prove", "tls-scan-protocols"), ("prove", "tls-scan-renegotiation-compression"),
        ("swift", "Tests/ArbiterHTTPTests/Server/TLSServerTests.swift", "tlsVersionsBelow12AreRefused")]),
    (2, "No certificate, another CA or expired: no HTTP byte; right CA but not a caller: 403, nothing evaluated", [
        ("prove", "tls-refusals"), ("prove", "tls-scan-client-auth-required"),
        ("swift", "Tests/ArbiterHTTPTests/Server/TLSServerTests.swift", "rejectedClientNeverGetsAnHTTPByte"),
        ("swift", "Tests/ArbiterWebhookTests/WebhookResponderTests.swift", "callersAreCheckedBeforeAnythingIsEvaluated"),
        ("e2e", "refused at TLS"), ("e2e", "non-caller jane gets 403")]),
    (3, "Stalled handshakes closed within the handshake timeout; other clients unaffected", [
        ("prove", "tls-stalled-handshakes"),
        ("swift", "Tests/ArbiterHTTPTests/Server/TLSServerTests.swift", "stalledHandshakeIsClosedWhileAnotherClientIsServed"),
        ("swift", "Tests/ArbiterHTTPTests/Server/TLSServerTests.swift", "stalledHandshakesBeyondTheLimitMakeRoomForNewClients")]),
    (4, "Certificate, key and client-CA rotation on disk without restart; a corrupt file keeps the old material, log + metric", [
        ("prove", "soak-cert-rotation"), ("prove", "soak-corrupt-material"),
        ("swift", "Tests/ArbiterHTTPTests/Server/TLSServerTests.swift", "swappedTLSContextIsUsedByNewConnectionsOnly"),
        ("swift", "Tests/ArbiterHTTPTests/Server/TLSServerTests.swift", "failedReloadKeepsTheOldContextServingAndIsCounted"),
        ("swift", "Tests/ArbiterHTTPTests/Server/TLSServerTests.swift", "corruptTLSMaterialIsRejectedWithAClearError")]),
    (5, "Advertised MAX_CONCURRENT_STREAMS enforced; streams beyond it refused", [
        ("prove", "h2-stream-cap"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionLimitTests.swift", "streamBeyondMaxConcurrentStreamsIsRefused"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionLimitTests.swift", "configuredLimitIsAdvertisedAndEnforced")]),
    (6, "Rapid reset, server-forced resets, CONTINUATION flood, HPACK bomb, SETTINGS/PING floods end bounded with a healthy neighbour; keep-alive PINGs answered", [
        ("prove", "h2-rapid-reset"), ("prove", "h2-server-forced-resets"), ("prove", "h2-continuation-flood"),
        ("prove", "h2-hpack-bomb"), ("prove", "h2-settings-flood"), ("prove", "h2-ping-flood"), ("prove", "h2-keepalive-and-idle"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionAbuseTests.swift", "rapidResetEndsInGoAway"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionAbuseTests.swift", "serverForcedResetFloodEndsWithEnhanceYourCalm"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionAbuseTests.swift", "continuationFloodEndsConnection"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionAbuseTests.swift", "hpackBombIsBoundedByTheHeaderListCap"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionAbuseTests.swift", "settingsFloodFinishes"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionAbuseTests.swift", "pingFloodOverTheRateLimitFinishes"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionAbuseTests.swift", "priorityFloodFinishes"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionTimerTests.swift", "keepAlivePingsAreAnsweredAndDoNotClose")]),
    (7, "Zero-window / slow readers and idle connections closed by our own timers, GOAWAY first", [
        ("prove", "h2-zero-window"), ("prove", "h2-blocked-peer-gone"), ("prove", "h2-keepalive-and-idle"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionTimerTests.swift", "zeroWindowReaderGetsGoAway"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionTimerTests.swift", "aTrickledResponseGetsGoAwayAtTheWriteTimeout"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionLimitTests.swift", "unsentResponsesAreBoundedPerConnection"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP2SessionTimerTests.swift", "idleConnectionGetsGoAwayThenFinishes"),
        ("swift", "Tests/ArbiterHTTPTests/Server/HTTP1ServerTests.swift", "aClientThatStopsReadingIsClosedAtTheWriteTimeout")]),
    (8, "HTTP/1.1 smuggling shapes get 400/501 and a close, never a 200", [
        ("prove", "h1-smuggling"), ("prove", "h1-duplicate-content-length"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP1/HTTP1RequestParserTests.swift", "rejectsMalformedAndAmbiguousRequests"),
        ("swift", "Tests/ArbiterHTTPTests/Server/HTTP1ServerTests.swift", "rejectsWithStatusAndCloses")]),
    (9, "431 / 414 / 413 before the body; slowloris heads and bodies closed at their timeouts", [
        ("prove", "h1-limits"), ("prove", "h1-slowloris-head"), ("prove", "h1-slowloris-body"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP1/HTTP1RequestParserTests.swift", "rejectsAnOversizedHeadWith431"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP1/HTTP1RequestParserTests.swift", "rejectsTooManyHeaderFieldsWith431"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP1/HTTP1RequestParserTests.swift", "rejectsAnOverlongTargetWith414"),
        ("swift", "Tests/ArbiterHTTPTests/Server/HTTP1ServerTests.swift", "answers413BeforeTheBodyIsSent"),
        ("swift", "Tests/ArbiterHTTPTests/Server/HTTP1ServerTests.swift", "slowHeadGets408AndIsClosed"),
        ("swift", "Tests/ArbiterHTTPTests/Server/HTTP1ServerTests.swift", "slowBodyGets408AndIsClosed")]),
    (10, "Pipelined requests answered in order; a trailing request is never read as a body", [
        ("prove", "h1-pipelining"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP1/HTTP1RequestParserTests.swift", "pipelinedRequestIsNeverReadAsABody"),
        ("swift", "Tests/ArbiterHTTPTests/Server/HTTP1ServerTests.swift", "answersPipelinedRequestsInOrder")]),
    (11, "Wrong method 405, unknown path 404, wrong content type 415; never allowed: true", [
        ("prove", "h1-method-path-type"),
        ("swift", "Tests/ArbiterWebhookTests/WebhookResponderTests.swift", "restPathIgnoresQueryAndChecksTheVersion")]),
    (12, "v1 (groups) and v1beta1 (group) both honoured; deny-by-group fires for both", [
        ("prove", "reviews-v1-and-v1beta1"),
        ("swift", "Tests/ArbiterWebhookTests/WebhookResponderTests.swift", "denyByGroupFiresForBothVersions"),
        ("swift", "Tests/ArbiterReviewTests/SubjectAccessReviewDecodingTests.swift", "decodesV1beta1ReviewAsKubeAPIServerSendsIt"),
        ("e2e", "v1beta1-http2 group system:authenticated allows GET /api")]),
    (13, "Malformed reviews 400/413 with a short reason, never allowed: true; every 200 echoes apiVersion/kind, has allowed, never allowed and denied", [
        ("prove", "reviews-malformed"),
        ("swift", "Tests/ArbiterReviewTests/ReviewDecodingErrorTests.swift", "rejectsMalformedBody"),
        ("swift", "Tests/ArbiterReviewTests/ReviewDecodingErrorTests.swift", "duplicateKeyMessageNamesKeyObjectAndOffset"),
        ("swift", "Tests/ArbiterReviewTests/SubjectAccessReviewValidationTests.swift", "rejectsInvalidReview"),
        ("swift", "Tests/ArbiterReviewTests/SubjectAccessReviewEncodingTests.swift", "neverWritesAllowedTogetherWithDenied"),
        ("swift", "Tests/ArbiterReviewTests/SubjectAccessReviewEncodingTests.swift", "echoesKindVersionSpecAndMetadataLikeKubeAPIServer"),
        ("prove", "codec-and-engine-differential-suites")]),
    (14, "Internal errors fail closed (no opinion or deny with evaluationError, or 5xx); the process stays up", [
        ("swift", "Tests/ArbiterReviewTests/SubjectAccessReviewEncodingTests.swift", "evaluationErrorIsWrittenWhenPresent"),
        ("swift", "Tests/ArbiterPolicyTests/SubjectMatchingTests.swift", "defaultDenyKeepsRBACErrorsAndNeverAllows"),
        ("swift", "Tests/ArbiterWebhookTests/WebhookResponderTests.swift", "withoutAPolicyNothingIsDecidedAndNotReady"),
        ("prove", "abuse-server-stop"), ("prove", "soak-server-stop")]),
    (15, "Overload sheds with fast 503s without Retry-After; no answer takes longer than the configured timeout", [
        ("prove", "connection-flood"), ("prove", "caller-priority"), ("prove", "abuse-overall"),
        ("swift", "Tests/ArbiterHTTPTests/HTTP1/HTTP1HandlerTests.swift", "shedsWith503WithoutRetryAfter"),
        ("swift", "Tests/ArbiterHTTPTests/Server/ServerLifecycleTests.swift", "connectionsOverTheLimitGetAFast503WithoutRetryAfter"),
        ("swift", "Tests/ArbiterHTTPTests/Server/ServerLifecycleTests.swift", "http2ConnectionsOverTheLimitGetA503ThenGoAway"),
        ("swift", "Tests/ArbiterHTTPTests/Server/ServerLifecycleTests.swift", "aPrioritizedClientIsServedOverTheLimitByClosingAnotherClientsConnection")]),
    (16, "100% agreement with Kubernetes RBAC semantics on the traps", [
        ("swift", "Tests/ArbiterPolicyTests/RuleMatchingTests.swift", "ruleMatches"),
        ("swift", "Tests/ArbiterPolicyTests/SubjectMatchingTests.swift", "subjectMatches"),
        ("swift", "Tests/ArbiterPolicyTests/WorkloadTests.swift", "smallWorkloadMatchesExpectedAndReference"),
        ("prove", "soak-decisions")]),
    (17, "Differential fuzzing against a reference interpreter: zero disagreements; deny/allow/order properties", [
        ("prove", "engine-vs-reference"),
        ("swift", "Tests/ArbiterPolicyTests/PropertyTests.swift", "addingADenyPolicyNeverAddsAnAllow"),
        ("swift", "Tests/ArbiterPolicyTests/PropertyTests.swift", "addingAnAllowNeverRemovesAnAllowOrADeny"),
        ("swift", "Tests/ArbiterPolicyTests/PropertyTests.swift", "objectOrderNeverChangesAnAnswer")]),
    (18, "Byte-exact identities (Kelvin sign, combining accents never match)", [
        ("swift", "Tests/ArbiterPolicyTests/ByteExactnessTests.swift", "canonicallyEquivalentNamesNeverMatch"),
        ("swift", "Tests/ArbiterReviewTests/SubjectAccessReviewDecodingTests.swift", "keepsUserNamesByteExact")]),
    (19, "Non-resource path prefixes never allow /healthz/../api, //healthz/x, %2e%2e or NUL", [
        ("swift", "Tests/ArbiterPolicyTests/NonResourcePathTests.swift", "checklist19NonCanonicalPathsAreNotAllowedByPrefixes"),
        ("swift", "Tests/ArbiterPolicyTests/NonResourcePathTests.swift", "prefixDeniesStillCoverNonCanonicalPaths")]),
    (20, "Policy-file abuse rejected with file:line in bounded time and memory; the previous policy keeps serving", [
        ("prove", "soak-corrupt-material"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "billionLaughsFailsWithAliasLimit"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "duplicateKeysAreRefusedWithTheirLine"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "oversizedSourcesAreRefused"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "sourcesWithTooManyNodesAreRefused"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "kindsOfOtherGroupsAreSkippedAndCounted"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "unknownKindsOfOurGroupsAreErrors"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "unknownFieldsAreErrorsInRoles"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "explicitTagsOtherThanTheNodesOwnAreRefused"),
        ("swift", "Tests/ArbiterPolicyTests/LoaderRobustnessTests.swift", "aDanglingSymlinkFailsTheLoad"),
        ("e2e", "invalid policy: answers stay A's")]),
    (21, "Policy A<->B flips under load: every answer A's or B's, zero errors; an invalid B keeps A and counts a failure", [
        ("e2e", "reload under load: h2load"), ("e2e", "reload under load: HTTP/2 checker saw only A's or B's answers"),
        ("e2e", "invalid policy: arbiter_policy_reloads_total"), ("prove", "soak-policy-reloads"), ("prove", "soak-decisions")]),
    (22, "A missing, empty or invalid policy never becomes ready and never allows", [
        ("prove", "startup-without-a-valid-policy"), ("prove", "soak-empty-policy-reload"),
        ("swift", "Tests/ArbiterCLITests/ServeLifecycleTests.swift", "aBrokenPolicyNeverBecomesReady"),
        ("swift", "Tests/ArbiterWebhookTests/WebhookResponderTests.swift", "withoutAPolicyNothingIsDecidedAndNotReady")]),
    (23, "SIGTERM under load: stop accepting, GOAWAY, finish in-flight, exit within the deadline", [
        ("e2e", "SIGTERM under load: exited with status 0"), ("e2e", "SIGTERM: GOAWAY (NO_ERROR)"),
        ("swift", "Tests/ArbiterHTTPTests/Server/ServerLifecycleTests.swift", "gracefulShutdownFinishesTheRequestInFlightThenCloses"),
        ("prove", "soak-server-stop")]),
    (24, "sd_notify READY=1 only after policy and certificates; WATCHDOG=1 stops when loops are stuck", [
        ("swift", "Tests/ArbiterCLITests/ServeLifecycleTests.swift", "readyOnlyAfterLoadingThenStoppingOnSIGTERM"),
        ("swift", "Tests/ArbiterHTTPTests/Server/LoopLivenessTests.swift", "aStuckLoopIsNotResponsive"),
        ("swift", "Tests/ArbiterWebhookTests/Support/SystemdNotifierTests.swift", "sendsToAnAbstractSocketWithReloadingTimestamp")]),
    (25, "Ten minutes of HTTP/2 load: zero errors; memory, descriptors, threads flat after warm-up", [
        ("prove", "soak-h2load"), ("prove", "soak-decisions"), ("prove", "soak-memory"), ("prove", "soak-descriptors"),
        ("prove", "soak-threads")]),
    (26, "10,000 fresh TLS connections: no descriptor leak, no handshake errors", [
        ("prove", "fresh-tls-connections")]),
    (27, "systemd-analyze security <= 2.0 and verify prints nothing", [
        ("deploy", "security arbiter"), ("deploy", "verify arbiter"), ("prove", "check-deploy")]),
]


def load_results(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            if line.strip():
                rows.append(json.loads(line))
    return rows


def record(results, group, check, ok, figures, detail=""):
    with open(results, "a") as f:
        f.write(json.dumps({"group": group, "check": check, "ok": ok, "figures": figures, "detail": detail}) + "\n")
    print(("PASS" if ok else "NOT RUN" if ok is None else "FAIL") + " " + check + " — " + figures
          + ("" if ok or not detail else ": " + detail), flush=True)


def swift_tests():
    return sorted({(e[1], e[2]) for _, _, ev in CHECKLIST for e in ev if e[0] == "swift"})


def parse_swift_test_log(text):
    """{function: True/False} from swift test output (Swift Testing and XCTest lines)."""
    status = {}
    # "✔ Test name() passed after ...", "✔ Test name(_:) with 35 test cases passed after ...", "✘ Test name() failed ..."
    for m in re.finditer(r"^\S+ Test (\w+)\([^)\n]*\)(?: with \d+ test cases?)? (passed|failed)", text, re.M):
        name, verdict = m.group(1), m.group(2) == "passed"
        status[name] = status.get(name, True) and verdict
    for m in re.finditer(r"Test Case '-\[\S+ (\w+)\]' (passed|failed)", text):
        status[m.group(1)] = status.get(m.group(1), True) and m.group(2) == "passed"
    return status


# --- sslyze -----------------------------------------------------------------------------------------


def sslyze_checks(path, rc, output, results):
    try:
        doc = json.load(open(path))
        scan = doc["server_scan_results"][0]
    except Exception as e:
        record(results, "tls-scan", "tls-scan-mozilla-intermediate", False, "", "no sslyze JSON (%s); exit %s: %s" % (
            e, rc, open(output).read()[-300:] if os.path.exists(output) else ""))
        return
    text = open(output).read() if os.path.exists(output) else ""
    compliant = rc == 0 and re.search(r"localhost:\d+: OK - Compliant", text) is not None
    problems = [l.strip() for l in text.splitlines() if "Not compliant" in l or l.strip().startswith("* ") and ":" in l and "FAIL" in l]
    record(results, "tls-scan", "tls-scan-mozilla-intermediate", compliant,
           "sslyze %s --mozilla_config intermediate with a client certificate: exit %d, %s" % (
               doc.get("sslyze_version", "?"), rc, "OK - Compliant" if compliant else "not compliant"),
           "" if compliant else "; ".join(problems[:5]) or text[-300:])
    r = scan.get("scan_result") or {}

    def accepted(name):
        res = (r.get(name) or {}).get("result") or {}
        return [c["cipher_suite"]["name"] for c in res.get("accepted_cipher_suites", [])]

    legacy = {p: accepted(p) for p in ("ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites", "tls_1_1_cipher_suites")}
    tls12, tls13 = accepted("tls_1_2_cipher_suites"), accepted("tls_1_3_cipher_suites")
    non_aead = [c for c in tls12 if not re.search(r"GCM|CHACHA20", c)]
    groups = ((r.get("elliptic_curves") or {}).get("result") or {}).get("supported_curves") or []
    group_names = sorted(g["name"] for g in groups)
    ok = not any(legacy.values()) and tls12 and tls13 and not non_aead and set(group_names) <= {"X25519", "prime256v1", "secp256r1", "secp384r1"}
    record(results, "tls-scan", "tls-scan-protocols", bool(ok),
           "SSL 2/3, TLS 1.0/1.1: %s; TLS 1.2: %d suites (%s); TLS 1.3: %d suites; groups %s" % (
               "none accepted" if not any(legacy.values()) else legacy, len(tls12), ", ".join(tls12), len(tls13), ", ".join(group_names)),
           "" if ok else "legacy %s, non-AEAD %s, groups %s" % (legacy, non_aead, group_names))
    reneg = (r.get("session_renegotiation") or {}).get("result") or {}
    comp = (r.get("tls_compression") or {}).get("result") or {}
    ok = reneg.get("is_vulnerable_to_client_renegotiation_dos") is False and comp.get("supports_compression") is False
    record(results, "tls-scan", "tls-scan-renegotiation-compression", ok,
           "client-initiated renegotiation accepted: %s; secure renegotiation: %s; compression: %s" % (
               reneg.get("is_vulnerable_to_client_renegotiation_dos"), reneg.get("supports_secure_renegotiation"),
               comp.get("supports_compression")), "" if ok else "renegotiation %s compression %s" % (reneg, comp))


# --- the report -------------------------------------------------------------------------------------


def md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def verdict(ok):
    return {True: "pass", False: "**FAIL**", None: "not run"}[ok]


def write_report(args):
    rows = load_results(args.results)
    info = json.load(open(args.info)) if os.path.exists(args.info) else {}
    steps = []
    if os.path.exists(args.steps):
        steps = [l.rstrip("\n").split("\t") for l in open(args.steps) if "\t" in l]
    by_check = {}
    for r in rows:
        by_check.setdefault(r["check"], []).append(r)
    prove_dir = os.path.dirname(args.results)
    unit = parse_swift_test_log(open(os.path.join(prove_dir, "unit.log")).read()) if os.path.exists(os.path.join(prove_dir, "unit.log")) else {}
    e2e_lines = open(os.path.join(prove_dir, "e2e.log")).read().splitlines() if os.path.exists(os.path.join(prove_dir, "e2e.log")) else []
    deploy_lines = open(os.path.join(prove_dir, "deploy.log")).read().splitlines() if os.path.exists(os.path.join(prove_dir, "deploy.log")) else []

    def check_ok(name):
        rs = by_check.get(name)
        if not rs:
            return None
        if any(r["ok"] is False for r in rs):
            return False
        if all(r["ok"] is True for r in rs):
            return True
        return None

    def lines_ok(lines, needle):
        hits = [l.strip() for l in lines if needle in l and l.strip().startswith(("PASS", "FAIL"))]
        if not hits:
            return None
        return all(l.startswith("PASS") for l in hits)

    def evidence(e):
        kind = e[0]
        if kind == "prove":
            return "check `%s`" % e[1], check_ok(e[1])
        if kind == "swift":
            exists = os.path.exists(os.path.join(REPO, e[1])) and re.search(r"func %s\b" % e[2], open(os.path.join(REPO, e[1])).read())
            return "`%s` %s" % (e[1][len("Tests/"):] if e[1].startswith("Tests/") else e[1], e[2]), (unit.get(e[2]) if exists else False)
        if kind == "e2e":
            return "e2e: “%s”" % e[1], lines_ok(e2e_lines, e[1])
        if kind == "deploy":
            return ".ci/check-deploy: “%s”" % e[1], lines_ok(deploy_lines, e[1])
        return str(e), None

    out = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    passed = sum(1 for r in rows if r["ok"] is True)
    failed = sum(1 for r in rows if r["ok"] is False)
    notrun = sum(1 for r in rows if r["ok"] is None)
    out.append("# Reliability and security: proof under attack\n")
    out.append("Generated by `%s` (`Tests/prove/run.sh %s`): run started %s at commit %s, load average at start %s; "
               "report written %s. Do not edit by hand: run the command again.\n" % (
                   "make prove" if args.mode == "full" else "make prove-ci", args.mode,
                   info.get("started", "?").replace("T", " ").replace("Z", " UTC"), info.get("commit", "?"),
                   info.get("load", "?"), now))
    out.append("**%d checks passed, %d failed, %d not run.** Parameters: soak %s s, %s fresh connections, %s differential cases (%s build).\n" % (
        passed, failed, notrun, info.get("soak_seconds"), info.get("fresh_connections"), info.get("diff_cases"), info.get("diff_config")))
    out.append(DESCRIPTION)
    out.append("## Every check\n")
    out.append("| group | check | verdict | figures | detail |")
    out.append("| --- | --- | --- | --- | --- |")
    for r in rows:
        out.append("| %s | `%s` | %s | %s | %s |" % (r["group"], r["check"], verdict(r["ok"]), md(r["figures"]),
                                                     md(r["detail"] if isinstance(r["detail"], str) else json.dumps(r["detail"]))))
    out.append("")
    out.append("## Security checklist coverage\n")
    out.append("Each item of `../shared/docs/security-checklist.md` with the tests and checks that cover it, and their "
               "verdicts in this run. Swift tests are run by name in the `unit` step (a name that no longer exists in its "
               "file counts as a failure); e2e and deploy lines come from `Tests/e2e/run.sh` and `.ci/check-deploy` run in "
               "this run.\n")
    if args.mode != "full":
        out.append("In `make prove-ci` the e2e suite and `.ci/check-deploy` are not repeated (CI's `make ci` runs them just "
                   "before), so their rows read \"not run\" here; `make prove` runs them.\n")
    out.append("| # | item | covered by | verdict |")
    out.append("| --- | --- | --- | --- |")
    all_items_ok = True
    for number, title, ev in CHECKLIST:
        parts, oks = [], []
        for e in ev:
            label, ok = evidence(e)
            oks.append(ok)
            parts.append("%s (%s)" % (label, verdict(ok)))
        item_ok = False if any(o is False for o in oks) else (True if all(o is True for o in oks) else None)
        all_items_ok = all_items_ok and item_ok is True
        out.append("| %d | %s | %s | %s |" % (number, md(title), "<br>".join(parts), verdict(item_ok)))
    out.append("")
    out.append("Every item covered and passing in this run: **%s**.\n" % ("yes" if all_items_ok else "no"))
    samples_path = os.path.join(prove_dir, "soak-samples.tsv")
    if os.path.exists(samples_path):
        rows_s = [l.split("\t") for l in open(samples_path).read().splitlines()[1:] if l.strip()]
        every = max(1, len(rows_s) // 12)
        out.append("## Server during the soak\n")
        out.append("Every %dth sample of `.build-prove/soak-samples.tsv` (seconds since the load started)." % every
                   if every > 1 else "Every sample of `.build-prove/soak-samples.tsv` (seconds since the load started).")
        out.append("")
        out.append("| s | RSS MiB | descriptors | threads |")
        out.append("| --- | --- | --- | --- |")
        for r in rows_s[::every] + ([rows_s[-1]] if (len(rows_s) - 1) % every else []):
            out.append("| %s | %.1f | %s | %s |" % (r[0], int(r[1]) / 1024, r[2], r[3]))
        out.append("")
    if steps:
        out.append("## Step times on this machine\n")
        out.append("| step | seconds |")
        out.append("| --- | --- |")
        for s in steps:
            out.append("| %s | %s |" % (s[0], s[1]))
        out.append("")
    out.append(FOOTER)
    os.makedirs(os.path.dirname(os.path.abspath(args.write)), exist_ok=True)
    with open(args.write, "w") as f:
        f.write("\n".join(out))
    print("wrote %s (%d checks: %d passed, %d failed, %d not run)" % (args.write, len(rows), passed, failed, notrun))


DESCRIPTION = """
## How it is run

`make prove` (full) and `make prove-ci` (the bounded variant `.ci/run` calls) run
`Tests/prove/run.sh`. Everything is on loopback; every loop is bounded in count and time; every
server it starts is stopped on exit.

| step | what it does |
| --- | --- |
| fuzz | runs the fuzzing command (`FUZZ_CMD`, default `make fuzz` when the Makefile has that target) with `FUZZ_SECONDS` and `FUZZ_SUMMARY` in its environment; it must write `FUZZ_SUMMARY` (`.build-prove/fuzz-summary.txt`), one line per target: `TARGET EXECUTIONS FINDINGS [note]`. A target passes with executions > 0 and 0 findings. No command: the row says "not run" |
| differential | `swift test --filter DifferentialTests` with `ARBITER_DIFF_CASES`: the compiled engine against the reference interpreter (cases and disagreements read from its `differential:` line) and the SAR codec against the Foundation oracle. Release build with `-enable-testing` in `make prove`; the debug build `make test` already made in `make prove-ci` |
| unit | the Swift tests the checklist map below names, run by name |
| e2e | `Tests/e2e/run.sh` with the release binary (curl, kubectl, Python client, reload under load, SIGTERM under load) |
| deploy | `.ci/check-deploy` (systemd units verified and scored, PKI, smoke test) |
| startup | `arbiter serve` with a missing, an empty and an invalid policy: never ready, exits non-zero |
| abuse | a release `arbiter serve` with small limits (64 connections, 3 s handshake/header/body timeouts, 8 s idle) and the Kubernetes bootstrap policy; `Tests/prove/abuse.py` runs each attack while the healthy neighbour (`neighbour.py`, a separate process on one HTTP/2 connection, one review every 20 ms) keeps posting. A probe passes only if its own expectation holds **and** the neighbour had no failure and a p99 within max(4 × baseline p99, baseline p99 + 200 ms) **and** the server's descriptors came back to their count before the probe **and** its peak RSS grew by less than 64 MiB and its thread count did not change |
| tls-scan | sslyze with a client certificate against the same server: Mozilla intermediate, protocols, groups, renegotiation, compression; and `openssl s_client` without a certificate (TLS 1.2 and 1.3) must get an alert and no HTTP byte |
| soak | a release `arbiter serve` with the medium generated workload (`rbacgen.py medium`, 4 MB of RBAC); h2load (4 HTTP/2 connections, 250 req/s each, client certificate through the shim) plus a checking client posting the workload's reviews in turn (decisions compared with `expected.txt`) and a review of a user whose policy flips A↔B every 5 s (alternately by file change and SIGHUP); the serving certificate rotated on disk every 20 s (a new connection must see it within 10 s); then a corrupt certificate and a billion-laughs policy (both refused, counted, old material kept); RSS, descriptors and threads sampled. "Flat after warm-up": the median RSS of the last quarter of the samples after warm-up exceeds the first quarter's by at most 16 MiB, threads constant, descriptors back to their count before the load. Then fresh TLS connections, one review each |
"""

FOOTER = """
## Reproducing

    make prove        # full: 10-minute soak, 10,000 fresh connections, 1,000,000 differential cases
    make prove-ci     # bounded: 60-second soak, 2,000 fresh connections, every probe

`STEPS=abuse,report Tests/prove/run.sh ci` runs a subset; `ABUSE_ONLY=h2-zero-window` one probe.
Logs and raw outputs stay in `.build-prove/` (results.jsonl, soak-samples.tsv, sslyze JSON, server logs).
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results")
    ap.add_argument("--print-test-filter", action="store_true")
    ap.add_argument("--record-unit")
    ap.add_argument("--record-sslyze")
    ap.add_argument("--sslyze-output", default="")
    ap.add_argument("--exit", type=int, default=0)
    ap.add_argument("--fuzz-summary-from-log")
    ap.add_argument("--fuzz-summary")
    ap.add_argument("--write")
    ap.add_argument("--info", default="")
    ap.add_argument("--steps", default="")
    ap.add_argument("--mode", default="ci")
    a = ap.parse_args()
    if a.print_test_filter:
        print("(" + "|".join(sorted({fn for _, fn in swift_tests()})) + ")\\(")
        return 0
    if a.record_unit:
        status = parse_swift_test_log(open(a.record_unit).read())
        tests = swift_tests()
        missing = [fn for _, fn in tests if fn not in status]
        failed = [fn for _, fn in tests if status.get(fn) is False]
        ok = not missing and not failed and a.exit == 0
        record(a.results, "unit", "checklist-unit-tests", ok,
               "%d Swift tests named by the checklist map: %d passed, %d failed, %d did not run (swift test exit %d)" % (
                   len(tests), len(tests) - len(missing) - len(failed), len(failed), len(missing), a.exit),
               "" if ok else "failed %s; did not run %s" % (failed, missing))
        return 0
    if a.record_sslyze:
        sslyze_checks(a.record_sslyze, a.exit, a.sslyze_output, a.results)
        return 0
    if a.fuzz_summary_from_log:
        # Tests/fuzz/run.sh prints one line per target: TARGET<TAB>execs=N<TAB>...<TAB>ok | FAIL: why
        # (as each target ends and again in its final summary: one row per target, the last wins).
        lines = {}
        for line in open(a.fuzz_summary_from_log, errors="replace"):
            f = line.rstrip("\n").split("\t")
            if len(f) >= 3 and re.fullmatch(r"\w+", f[0]) and f[1].startswith("execs="):
                execs = f[1].split("=", 1)[1]
                result = f[-1]
                extra = " ".join(x for x in f[2:-1] if x.startswith(("exec/s=", "cov=", "new_units=")))
                lines[f[0]] = "%s %s %d %s%s" % (f[0], execs, 0 if result == "ok" else 1, extra,
                                                  "" if result == "ok" else " " + result)
        if lines:
            with open(a.fuzz_summary, "w") as out:
                out.write("# target executions findings note (from the fuzz command's summary lines)\n")
                out.write("\n".join(lines.values()) + "\n")
        return 0
    if a.write:
        write_report(a)
        return 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
