import ArbiterHTTP
import Foundation
import Synchronization
import Testing

/// HTTP/1.1 over real TLS connections: limits, smuggling shapes, pipelining, 100-continue, chunked.
@Suite struct HTTP1ServerTests {
    static func smallLimits(_ configuration: inout HTTPServer.Configuration) {
        configuration.http1 = HTTP1Configuration(
            maxHeaderBytes: 2048, maxHeaderCount: 16, maxURIBytes: 256, maxBodyBytes: 1024,
            idleTimeout: .seconds(30), headerTimeout: .milliseconds(500), bodyTimeout: .milliseconds(500))
    }

    static let rejected: [(String, String, Int)] = [
        ("header too large", "GET / HTTP/1.1\r\nhost: a\r\nx: \(String(repeating: "a", count: 3000))\r\n\r\n", 431),
        ("too many headers", "GET / HTTP/1.1\r\nhost: a\r\n" + (0..<20).map { "x-\($0): y\r\n" }.joined() + "\r\n", 431),
        ("uri too long", "GET /\(String(repeating: "a", count: 400)) HTTP/1.1\r\nhost: a\r\n\r\n", 414),
        ("body too large", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5000\r\n\r\n", 413),
        ("CL and TE", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("differing CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab", 400),
        ("malformed CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 1_0\r\n\r\n", 400),
        ("obfuscated TE", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked, identity\r\n\r\n", 400),
        ("unknown TE", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\n\r\n", 501),
        ("obs-fold", "GET / HTTP/1.1\r\nhost: a\r\nx: a\r\n\tb\r\n\r\n", 400),
        ("NUL", "GET / HTTP/1.1\r\nhost: a\u{0}\r\n\r\n", 400),
        ("bare LF", "GET / HTTP/1.1\nhost: a\n\n", 400),
        ("missing host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("duplicate host", "GET / HTTP/1.1\r\nhost: a\r\nhost: a\r\n\r\n", 400),
    ]

    @Test(arguments: rejected)
    func rejectsWithStatusAndCloses(name: String, request: String, status: Int) throws {
        let server = try TestServer(threads: 1, configure: Self.smallLimits)
        let client = try server.client()
        client.send(request)
        // Whatever follows must never be answered: the connection closes after the error.
        client.send("GET /after HTTP/1.1\r\nhost: a\r\n\r\n")
        let responses = ParsedResponse.parseAll(client.readUntilClose())
        #expect(responses.map(\.status) == [status], "\(name)")
        #expect(responses.first?.header("connection") == "close", "\(name)")
        #expect(server.metrics.requests.load(ordering: .relaxed) == 0, "\(name)")
    }

    @Test func answers413BeforeTheBodyIsSent() throws {
        let server = try TestServer(threads: 1, configure: Self.smallLimits)
        let client = try server.client()
        client.send("POST / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 100000\r\n\r\n")
        let responses = ParsedResponse.parseAll(client.readUntilClose())
        #expect(responses.map(\.status) == [413])
    }

    @Test func answersPipelinedRequestsInOrder() throws {
        let server = try TestServer(threads: 1)
        let client = try server.client()
        client.send(
            "GET /one HTTP/1.1\r\nhost: a\r\n\r\n"
                + "POST /two HTTP/1.1\r\nhost: a\r\ncontent-length: 15\r\n\r\nGET /x HTTP/1.1"
                + "POST /three HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                + "GET /four HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n")
        let responses = ParsedResponse.parseAll(client.readUntilClose())
        #expect(responses.count == 4)
        #expect(responses.map { $0.bodyText.split(separator: "\n")[2] } == ["GET /one ", "POST /two ", "POST /three ", "GET /four "])
        #expect(responses[1].bodyText.hasSuffix("body=GET /x HTTP/1.1"))
        #expect(responses[2].bodyText.hasSuffix("body=abc"))
    }

    @Test func manyPipelinedRequestsWithLargeAnswersArriveCompleteAndInOrder() throws {
        struct Big: Responder {
            func respond(to request: HTTPRequest) -> HTTPResponse {
                HTTPResponse(status: 200, body: Array(repeating: UInt8(ascii: "x"), count: 60_000) + Array(request.path.utf8))
            }
        }
        let server = try TestServer(threads: 1, responder: Big()) { $0.maxOutputBufferBytes = 64 * 1024 }
        let client = try server.client()
        let count = 40
        client.send((0..<count).map { "GET /\($0) HTTP/1.1\r\nhost: a\r\n\r\n" }.joined())
        let responses = client.readResponses(count)
        #expect(responses.count == count)
        #expect(responses.map { String(decoding: $0.body.suffix(3).filter { $0 != UInt8(ascii: "x") }, as: UTF8.self) }
            == (0..<count).map { "/\($0)".suffix(3).description })
    }

    @Test func expectContinueGetsAnInterimResponseThenTheAnswer() throws {
        let server = try TestServer(threads: 1)
        let client = try server.client()
        client.send("POST /c HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n")
        let interim = client.readResponses(1)
        #expect(interim.map(\.status) == [100])
        client.send("hello")
        let final = client.readResponses(1)
        #expect(final.first?.status == 200)
        #expect(final.first?.bodyText.hasSuffix("body=hello") == true)
    }

    @Test func slowHeadGets408AndIsClosed() throws {
        let server = try TestServer(threads: 1, configure: Self.smallLimits)
        let client = try server.client()
        client.send("GET / HTTP/1.1\r\nhost: a\r\n")
        let responses = ParsedResponse.parseAll(client.readUntilClose())
        #expect(responses.map(\.status) == [408])
        #expect(server.metrics.errors(.timeout) == 1)
    }

    @Test func slowBodyGets408AndIsClosed() throws {
        let server = try TestServer(threads: 1, configure: Self.smallLimits)
        let client = try server.client()
        client.send("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\nabc")
        let responses = ParsedResponse.parseAll(client.readUntilClose())
        #expect(responses.map(\.status) == [408])
    }

    @Test func idleConnectionIsClosedAtTheIdleTimeout() throws {
        let server = try TestServer(threads: 1) { $0.http1.idleTimeout = .milliseconds(300) }
        let client = try server.client()
        client.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(client.readResponses(1).first?.status == 200)
        #expect(client.readUntilClose().isEmpty)
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 0 })
    }

    @Test func clientHalfCloseAfterRequestStillGetsTheAnswer() throws {
        let server = try TestServer(threads: 1)
        let output = try ProcessRunner.run(
            "/usr/bin/openssl",
            ["s_client", "-quiet", "-connect", "127.0.0.1:\(server.port)", "-CAfile", try TestPKI.path("ca.crt"),
             "-cert", try TestPKI.path("client.crt"), "-key", try TestPKI.path("client.key"), "-alpn", "http/1.1"],
            stdin: Data("GET /s HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n".utf8), timeout: 10)
        let text = String(decoding: output.stdout, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("GET /s"))
    }
}

@Suite struct SlowReaderTests {
    @Test func aClientThatStopsReadingIsClosedAtTheWriteTimeout() throws {
        struct Big: Responder {
            func respond(to request: HTTPRequest) -> HTTPResponse {
                HTTPResponse(status: 200, body: [UInt8](repeating: 0x61, count: 1 << 20))
            }
        }
        let server = try TestServer(threads: 1, responder: Big()) {
            $0.writeTimeout = .milliseconds(300)
            $0.maxOutputBufferBytes = 64 * 1024
        }
        let client = try server.client()
        // Ask for far more than the socket buffers can hold, then never read.
        client.send((0..<64).map { "GET /\($0) HTTP/1.1\r\nhost: a\r\n\r\n" }.joined())
        #expect(TestServer.eventually(seconds: 10) { server.metrics.errors(.timeout) >= 1 })
        #expect(TestServer.eventually { server.metrics.connectionsOpen.load(ordering: .relaxed) == 0 })
        // The in-flight gauge is released for answers that were never written.
        #expect(server.metrics.requestsInFlight.load(ordering: .relaxed) == 0)
    }
}
