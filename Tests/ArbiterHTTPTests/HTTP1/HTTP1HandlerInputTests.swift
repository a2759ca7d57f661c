@testable import ArbiterHTTP
import ArbiterPosix
import Testing

/// The handler parses straight from the caller's bytes and keeps only an unfinished request, and
/// hands its output buffer over whole when it can: neither may change what is answered.
@Suite struct HTTP1HandlerInputTests {
    static let pipeline =
        "POST /a?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"
        + "GET /b HTTP/1.1\r\nhost: a\r\n\r\n"
        + "POST /c HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        + "GET /d HTTP/1.1\r\nhost: a\r\nconnection: keep-alive\r\n\r\n"

    /// Answers with the method, path, query, the body and the content type it saw.
    final class EchoResponder: Responder {
        func respond(to request: HTTPRequest) -> HTTPResponse {
            let text = "\(request.method) \(request.path) \(request.query) \(request.header("content-type") ?? "-") "
                + String(decoding: request.body, as: UTF8.self)
            return HTTPResponse(status: 200, headers: [(name: "content-type", value: "text/plain")], body: Array(text.utf8))
        }
    }

    static func answers(feeding pieces: [[UInt8]], outputLimit: Int = 1 << 20) -> [UInt8] {
        let handler = HTTP1Handler(responder: EchoResponder(), peer: nil)
        var output: [UInt8] = []
        for piece in pieces {
            piece.withUnsafeBytes { handler.receive($0, now: .now) }
            var rounds = 0
            while handler.hasPendingOutput && rounds < 100_000 {
                handler.produceOutput(into: &output, limit: outputLimit)
                rounds += 1
            }
        }
        return output
    }

    @Test func everySplitOfAPipelineGetsTheSameAnswers() {
        let bytes = Array(Self.pipeline.utf8)
        let whole = Self.answers(feeding: [bytes])
        let responses = ParsedResponse.parseAll(whole)
        #expect(responses.map(\.status) == [200, 200, 200, 200])
        #expect(responses.first?.bodyText == "POST /a x=1 application/json hello")
        #expect(responses[2].bodyText == "POST /c  - abc")
        for split in 1..<bytes.count {
            #expect(Self.answers(feeding: [Array(bytes[..<split]), Array(bytes[split...])]) == whole, "split at \(split)")
        }
        #expect(Self.answers(feeding: bytes.map { [$0] }) == whole)
    }

    @Test func smallOutputLimitsGetTheSameBytes() {
        let bytes = Array(Self.pipeline.utf8)
        let whole = Self.answers(feeding: [bytes])
        for limit in [1, 7, 64, 200] {
            #expect(Self.answers(feeding: [bytes], outputLimit: limit) == whole, "limit \(limit)")
        }
    }

    @Test func headerLookupsReadTheReceivedBytes() {
        final class Capture: Responder {
            let requests = LockedValue<[HTTPRequest]>([])
            func respond(to request: HTTPRequest) -> HTTPResponse {
                self.requests.withLock { $0.append(request) }
                return HTTPResponse(status: 204)
            }
        }
        let capture = Capture()
        let handler = HTTP1Handler(responder: capture, peer: nil)
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \t\r\nX-Empty:\r\nCONTENT-type: second\r\n"
            + "Content-Length: 0\r\n\r\n"
        Array(text.utf8).withUnsafeBytes { handler.receive($0, now: .now) }
        let request = try! #require(capture.requests.withLock { $0.first })
        #expect(request.header("content-type") == "application/json")
        #expect(request.hasHeader("content-type", value: "application/json"))
        #expect(!request.hasHeader("content-type", value: "application/jso"))
        #expect(!request.hasHeader("content-type", value: "second"))
        #expect(request.header("x-empty") == "")
        #expect(request.hasHeader("x-empty", value: ""))
        #expect(request.header("missing") == nil)
        #expect(!request.hasHeader("missing", value: ""))
        #expect(request.headers.map(\.name) == ["host", "content-type", "x-empty", "content-type", "content-length"])
        #expect(request.headers.map(\.value) == ["a", "application/json", "", "second", "0"])
        // Setting the list replaces what was received.
        var copy = request
        copy.headers = [(name: "accept", value: "*/*")]
        #expect(copy.header("content-type") == nil)
        #expect(copy.header("accept") == "*/*")
        #expect(copy.hasHeader("accept", value: "*/*"))
        // A list of fields (HTTP/2, tests) compares bytes too: no prefix, no canonical equivalence,
        // the first field of a name decides.
        copy.headers = [
            (name: "content-type", value: "application/json"), (name: "x-k", value: "K"),
            (name: "content-type", value: "text/plain"),
        ]
        #expect(copy.hasHeader("content-type", value: "application/json"))
        #expect(!copy.hasHeader("content-type", value: "application/json; charset=utf-8"))
        #expect(!copy.hasHeader("content-type", value: "text/plain"))
        #expect(copy.hasHeader("x-k", value: "K"))
        #expect(!copy.hasHeader("x-k", value: "\u{212A}"))
        #expect(!copy.hasHeader("content-typ", value: "application/json"))
    }

    @Test func writerDropsUnsafeFieldsBeyondTheSixtyFourth() {
        var fields: [(name: String, value: String)] = (0..<70).map { (name: "x-\($0)", value: "v\($0)") }
        fields[66] = (name: "bad name", value: "v")
        fields[67] = (name: "x-split", value: "a\r\nb")
        fields[68] = (name: "Content-Length", value: "9")
        var output: [UInt8] = []
        HTTP1ResponseWriter.write(HTTPResponse(status: 200, headers: fields, body: [1, 2]), close: false, omitBody: false, into: &output)
        let response = try! #require(ParsedResponse.parseAll(output).first)
        #expect(response.headers.count == 67 + 1)
        #expect(response.header("x-69") == "v69")
        #expect(response.header("content-length") == "2")
        #expect(response.header("x-split") == nil)
    }
}
