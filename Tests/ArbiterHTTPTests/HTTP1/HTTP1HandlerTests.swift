import ArbiterHTTP
import ArbiterPosix
import Foundation
import Synchronization
import Testing

/// A responder that records the requests it saw and answers with the path.
final class RecordingResponder: Responder {
    let seen = LockedValue<[HTTPRequest]>([])

    func respond(to request: HTTPRequest) -> HTTPResponse {
        self.seen.withLock { $0.append(request) }
        return HTTPResponse(status: 200, headers: [(name: "x-path", value: request.path)], body: Array("ok \(request.path)".utf8))
    }

    var paths: [String] { self.seen.withLock { $0.map(\.path) } }
}

/// A responder with its own error format (as the webhook answers with Kubernetes `Status`).
struct FormattedErrorResponder: Responder {
    func respond(to request: HTTPRequest) -> HTTPResponse { HTTPResponse(status: 200) }

    func transportError(status: Int, reason: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [(name: "content-type", value: "application/x-test-error")], body: Array("error \(status): \(reason)".utf8))
    }
}

/// Feeds a handler and drains its output, as a connection would (without sockets).
struct HandlerDriver {
    let handler: HTTP1Handler
    var now: ContinuousClock.Instant

    init(
        responder: any Responder, configuration: HTTP1Configuration = HTTP1Configuration(),
        metrics: HTTPServerMetrics? = nil, maxRequestsInFlight: Int = .max, shed: Bool = false
    ) {
        self.now = .now
        self.handler = HTTP1Handler(
            responder: responder, peer: PeerIdentity(commonName: "alice"), configuration: configuration,
            metrics: metrics, maxRequestsInFlight: maxRequestsInFlight, shedAllRequests: shed, now: self.now)
    }

    /// Feeds `text` and returns the responses it produced.
    mutating func send(_ text: String) -> [ParsedResponse] {
        Array(text.utf8).withUnsafeBytes { self.handler.receive($0, now: self.now) }
        return ParsedResponse.parseAll(self.drain())
    }

    func drain() -> [UInt8] {
        var output: [UInt8] = []
        var rounds = 0
        while self.handler.hasPendingOutput && rounds < 10_000 {
            self.handler.produceOutput(into: &output, limit: 4096)
            rounds += 1
        }
        return output
    }
}

@Suite struct HTTP1HandlerTests {
    @Test func answersPipelinedRequestsInOrder() {
        let responder = RecordingResponder()
        var driver = HandlerDriver(responder: responder)
        let requests = (1...20).map { "GET /r\($0) HTTP/1.1\r\nhost: a\r\n\r\n" }.joined()
        let responses = driver.send(requests)
        #expect(responses.map { $0.header("x-path") } == (1...20).map { "/r\($0)" })
        #expect(responder.paths == (1...20).map { "/r\($0)" })
        #expect(!driver.handler.isFinished)
    }

    @Test func pausesParsingWhileOutputIsQueuedAndResumesWhenDrained() {
        let responder = RecordingResponder()
        let driver = HandlerDriver(responder: responder, configuration: HTTP1Configuration(maxQueuedOutputBytes: 200))
        let requests = (1...10).map { "GET /r\($0) HTTP/1.1\r\nhost: a\r\n\r\n" }.joined()
        Array(requests.utf8).withUnsafeBytes { driver.handler.receive($0, now: driver.now) }
        #expect(responder.paths.count < 10)
        let responses = ParsedResponse.parseAll(driver.drain())
        #expect(responses.count == 10)
        #expect(responder.paths == (1...10).map { "/r\($0)" })
    }

    @Test func sendsContinueBeforeTheBody() {
        var driver = HandlerDriver(responder: RecordingResponder())
        let interim = driver.send("POST /a HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 3\r\n\r\n")
        #expect(interim.map(\.status) == [100])
        let final = driver.send("abc")
        #expect(final.map(\.status) == [200])
    }

    @Test func rejectsAnUnknownExpectationWith417() {
        var driver = HandlerDriver(responder: RecordingResponder())
        let responses = driver.send("POST /a HTTP/1.1\r\nhost: a\r\nexpect: teapot\r\ncontent-length: 3\r\n\r\nabc")
        #expect(responses.map(\.status) == [417])
        #expect(driver.handler.isFinished)
    }

    @Test func answers413BeforeAnyBodyByteAndStopsReading() {
        let responder = RecordingResponder()
        var driver = HandlerDriver(responder: responder, configuration: HTTP1Configuration(maxBodyBytes: 100))
        let responses = driver.send("POST /a HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 1000\r\n\r\n")
        #expect(responses.map(\.status) == [413])
        #expect(responses.first?.header("connection") == "close")
        #expect(driver.handler.isFinished)
        #expect(responder.paths.isEmpty)
    }

    /// What the transport refuses itself is answered in the responder's error format.
    @Test(arguments: [
        ("POST /a HTTP/1.1\r\nhost: a\r\ncontent-length: 1000\r\n\r\n", 413),
        ("POST /a HTTP/1.1\r\nhost: a\r\nexpect: teapot\r\ncontent-length: 3\r\n\r\nabc", 417),
        ("GET /a HTTP/1.1\r\nhost: a\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n", 400),
    ])
    func transportErrorsUseTheRespondersFormat(_ input: String, _ status: Int) {
        var driver = HandlerDriver(responder: FormattedErrorResponder(), configuration: HTTP1Configuration(maxBodyBytes: 100))
        let responses = driver.send(input)
        #expect(responses.map(\.status) == [status])
        #expect(responses.first?.header("content-type") == "application/x-test-error")
        #expect(responses.first.map { String(decoding: $0.body, as: UTF8.self).hasPrefix("error \(status): ") } == true)
    }

    /// A shed HEAD request on a kept-alive connection gets its 503 without a body, so the next
    /// answer on the connection is still framed right.
    @Test func aShedHEADRequestGetsNoBody() {
        let driver = HandlerDriver(responder: FormattedErrorResponder(), metrics: HTTPServerMetrics(), maxRequestsInFlight: 0)
        let output = Array("HEAD /a HTTP/1.1\r\nhost: a\r\n\r\n".utf8).withUnsafeBytes { bytes -> [UInt8] in
            driver.handler.receive(bytes, now: driver.now)
            return driver.drain()
        }
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 503"), "\(text)")
        #expect(text.hasSuffix("\r\n\r\n"), "a body followed the head: \(text)")
    }

    @Test func closesAfterConnectionClose() {
        var driver = HandlerDriver(responder: RecordingResponder())
        let responses = driver.send("GET /a HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\nGET /b HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(responses.map { $0.header("x-path") } == ["/a"])
        #expect(responses.first?.header("connection") == "close")
        #expect(driver.handler.isFinished)
    }

    @Test func badRequestIsAnsweredAndClosesAfterEarlierPipelinedAnswers() {
        let metrics = HTTPServerMetrics()
        var driver = HandlerDriver(responder: RecordingResponder(), metrics: metrics)
        let responses = driver.send("GET /a HTTP/1.1\r\nhost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
        #expect(responses.map(\.status) == [200, 400])
        #expect(driver.handler.isFinished)
        #expect(metrics.errors(.badRequest) == 1)
    }

    @Test func headerTimeoutAnswers408AndIdleTimeoutClosesSilently() {
        let configuration = HTTP1Configuration(idleTimeout: .seconds(60), headerTimeout: .seconds(5))
        var slow = HandlerDriver(responder: RecordingResponder(), configuration: configuration)
        _ = slow.send("GET / HTTP/1.1\r\nhost:")
        let headerDeadline = slow.handler.nextDeadline
        #expect(headerDeadline == slow.now + .seconds(5))
        slow.handler.deadlineReached(now: slow.now + .seconds(6))
        #expect(ParsedResponse.parseAll(slow.drain()).map(\.status) == [408])
        #expect(slow.handler.isFinished)

        let idle = HandlerDriver(responder: RecordingResponder(), configuration: configuration)
        #expect(idle.handler.nextDeadline == idle.now + .seconds(60))
        idle.handler.deadlineReached(now: idle.now + .seconds(30))
        #expect(!idle.handler.isFinished)
        idle.handler.deadlineReached(now: idle.now + .seconds(61))
        #expect(idle.handler.isFinished)
        #expect(!idle.handler.hasPendingOutput)
    }

    @Test func bodyTimeoutAnswers408() {
        var driver = HandlerDriver(responder: RecordingResponder(), configuration: HTTP1Configuration(bodyTimeout: .seconds(3)))
        _ = driver.send("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\nabc")
        #expect(driver.handler.nextDeadline == driver.now + .seconds(3))
        driver.handler.deadlineReached(now: driver.now + .seconds(4))
        #expect(ParsedResponse.parseAll(driver.drain()).map(\.status) == [408])
    }

    /// The whole request (head and body) must arrive within the request timeout of its first
    /// byte, even when each part stays within its own timeout.
    @Test func requestTimeoutBoundsHeadAndBodyTogether() {
        let configuration = HTTP1Configuration(headerTimeout: .seconds(5), bodyTimeout: .seconds(5), requestTimeout: .seconds(2))
        var driver = HandlerDriver(responder: RecordingResponder(), configuration: configuration)
        let start = driver.now
        _ = driver.send("POST / HTTP/1.1\r\nhost: a\r\n")
        #expect(driver.handler.nextDeadline == start + .seconds(2))
        driver.now = start + .seconds(1)
        _ = driver.send("content-length: 10\r\n\r\nabc")
        // The body began at 1 s: its own timeout would allow until 6 s, the request's until 2 s.
        #expect(driver.handler.nextDeadline == start + .seconds(2))
        driver.handler.deadlineReached(now: start + .seconds(2) + .milliseconds(1))
        #expect(ParsedResponse.parseAll(driver.drain()).map(\.status) == [408])
        #expect(driver.handler.isFinished)

        // A request that arrives within it is answered, and the next one gets its own.
        var quick = HandlerDriver(responder: RecordingResponder(), configuration: configuration)
        #expect(quick.send("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\nok").map(\.status) == [200])
        quick.now = quick.now + .seconds(10)
        _ = quick.send("GET / HTTP/1.1\r\n")
        #expect(quick.handler.nextDeadline == quick.now + .seconds(2))
    }

    @Test func gracefulShutdownClosesIdleAtOnceAndBusyAfterTheAnswer() {
        let idle = HandlerDriver(responder: RecordingResponder())
        idle.handler.beginGracefulShutdown()
        #expect(idle.handler.isFinished)

        var busy = HandlerDriver(responder: RecordingResponder())
        _ = busy.send("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\n")
        busy.handler.beginGracefulShutdown()
        #expect(!busy.handler.isFinished)
        let responses = busy.send("ok")
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.header("connection") == "close")
        #expect(busy.handler.isFinished)
    }

    /// The connection prepares the handler, reads what had already arrived, then begins the
    /// shutdown: a request read in between is answered with `Connection: close` (a server that
    /// answered it as keep-alive and then closed would invite the client to reuse a dead
    /// connection), and only an idle handler finishes.
    @Test func preparedShutdownAnswersWhatArrivesWithCloseAndKeepsAnIdleHandlerOpen() {
        var idle = HandlerDriver(responder: RecordingResponder())
        idle.handler.prepareGracefulShutdown()
        #expect(!idle.handler.isFinished)
        let responses = idle.send("GET /late HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.header("connection") == "close")
        #expect(idle.handler.isFinished)

        let quiet = HandlerDriver(responder: RecordingResponder())
        quiet.handler.prepareGracefulShutdown()
        quiet.handler.beginGracefulShutdown()
        #expect(quiet.handler.isFinished)
        #expect(quiet.drain().isEmpty)
    }

    @Test func shedsWith503WithoutRetryAfter() {
        let metrics = HTTPServerMetrics()
        var shedding = HandlerDriver(responder: RecordingResponder(), metrics: metrics, shed: true)
        let responses = shedding.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(responses.map(\.status) == [503])
        #expect(responses.first?.header("retry-after") == nil)
        #expect(shedding.handler.isFinished)

        var limited = HandlerDriver(responder: RecordingResponder(), metrics: metrics, maxRequestsInFlight: 0)
        let limitedResponses = limited.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(limitedResponses.map(\.status) == [503])
        #expect(metrics.shed.load(ordering: .relaxed) == 2)
    }

    @Test func inFlightGaugeReturnsToZeroWhenAnswersLeave() {
        let metrics = HTTPServerMetrics()
        var driver = HandlerDriver(responder: RecordingResponder(), metrics: metrics)
        Array("GET /a HTTP/1.1\r\nhost: a\r\n\r\nGET /b HTTP/1.1\r\nhost: a\r\n\r\n".utf8).withUnsafeBytes {
            driver.handler.receive($0, now: driver.now)
        }
        #expect(metrics.requestsInFlight.load(ordering: .relaxed) == 2)
        _ = driver.drain()
        #expect(metrics.requestsInFlight.load(ordering: .relaxed) == 0)
        _ = driver.send("GET /c HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(metrics.requests.load(ordering: .relaxed) == 3)
    }

    @Test func responderCannotInjectFramingHeaders() {
        struct Injecting: Responder {
            func respond(to request: HTTPRequest) -> HTTPResponse {
                HTTPResponse(status: 200, headers: [
                    (name: "content-length", value: "999"), (name: "x-evil", value: "a\r\nset-cookie: b"),
                    (name: "x-fine", value: "yes"),
                ], body: Array("body".utf8))
            }
        }
        var driver = HandlerDriver(responder: Injecting())
        let responses = driver.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(responses.count == 1)
        #expect(responses.first?.header("content-length") == "4")
        #expect(responses.first?.header("x-evil") == nil)
        #expect(responses.first?.header("set-cookie") == nil)
        #expect(responses.first?.header("x-fine") == "yes")
    }

    @Test func headRequestGetsLengthWithoutBody() {
        let driver = HandlerDriver(responder: RecordingResponder())
        let bytes = Array("HEAD /a HTTP/1.1\r\nhost: a\r\n\r\n".utf8)
        bytes.withUnsafeBytes { driver.handler.receive($0, now: driver.now) }
        let text = String(decoding: driver.drain(), as: UTF8.self)
        #expect(text.hasSuffix("\r\n\r\n"))
        #expect(text.contains("content-length: 5\r\n"))
    }
}

@Suite struct HTTP1HandlerRobustnessTests {
    /// A small deterministic PRNG (SplitMix64), so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let fragments: [String] = [
        "GET / HTTP/1.1\r\n", "POST /a HTTP/1.1\r\n", "host: a\r\n", "content-length: 3\r\n", "content-length: 999999\r\n",
        "transfer-encoding: chunked\r\n", "expect: 100-continue\r\n", "connection: close\r\n", "\r\n", "abc",
        "3\r\nabc\r\n", "0\r\n\r\n", "ffffffffffffffff\r\n", "\n", "\r", "\u{0}", " ", ":", "x: y\r\n", "HTTP/1.0",
    ]

    /// 2000 sessions by default; `ARBITER_RANDOM_SESSIONS` and `ARBITER_RANDOM_SEED` run a longer
    /// or different campaign locally (a libFuzzer target is not wired: see the transport report).
    @Test func randomInputNeverCrashesAndStaysBounded() {
        let environment = ProcessInfo.processInfo.environment
        var random = SplitMix(state: environment["ARBITER_RANDOM_SEED"].flatMap { UInt64($0) } ?? 0xA5B1_7E12)
        let sessions = environment["ARBITER_RANDOM_SESSIONS"].flatMap { Int($0) } ?? 2000
        let configuration = HTTP1Configuration(maxHeaderBytes: 1024, maxHeaderCount: 8, maxURIBytes: 128, maxBodyBytes: 256)
        for _ in 0..<sessions {
            var driver = HandlerDriver(responder: RecordingResponder(), configuration: configuration)
            var totalOutput = 0
            for _ in 0..<Int.random(in: 1...12, using: &random) {
                var piece: [UInt8]
                if Bool.random(using: &random) {
                    piece = Array(Self.fragments.randomElement(using: &random)!.utf8)
                } else {
                    piece = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                }
                piece.withUnsafeBytes { driver.handler.receive($0, now: driver.now) }
                totalOutput += driver.drain().count
                if Bool.random(using: &random) {
                    driver.now = driver.now + .seconds(Int.random(in: 0...20, using: &random))
                    driver.handler.deadlineReached(now: driver.now)
                    totalOutput += driver.drain().count
                }
            }
            #expect(totalOutput < 64 * 1024)
            #expect(!driver.handler.hasPendingOutput)
        }
    }
}
