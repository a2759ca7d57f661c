@testable import ArbiterHTTP
import Testing

/// Drives a parser over `input` (optionally in `chunkSize` pieces) and collects the events, with the
/// body bytes joined; stops at a failure. Bounded: at most `input.count * 4 + 16` parse calls.
struct ParseRun {
    var heads: [HTTP1RequestHead] = []
    var bodies: [[UInt8]] = []
    var ends = 0
    var failure: HTTP1ParseError?

    init(_ input: String, chunkSize: Int? = nil, configuration: HTTP1Configuration = HTTP1Configuration()) {
        self.init(bytes: Array(input.utf8), chunkSize: chunkSize, configuration: configuration)
    }

    init(bytes input: [UInt8], chunkSize: Int? = nil, configuration: HTTP1Configuration = HTTP1Configuration()) {
        var parser = HTTP1RequestParser(configuration: configuration)
        var buffer: [UInt8] = []
        var fed = 0
        var currentBody: [UInt8] = []
        var budget = input.count * 4 + 16
        while budget > 0 {
            budget -= 1
            let (event, consumed) = buffer.withUnsafeBytes { parser.parse($0) }
            switch event {
            case .needMore:
                buffer.removeFirst(consumed)
                guard fed < input.count else { return }
                let next = min(input.count, fed + (chunkSize ?? input.count))
                buffer.append(contentsOf: input[fed..<next])
                fed = next
                continue
            case .head(let head):
                self.heads.append(head)
                currentBody = []
            case .body(let range):
                currentBody.append(contentsOf: buffer[range])
            case .end:
                self.ends += 1
                self.bodies.append(currentBody)
            case .failure(let error):
                self.failure = error
                return
            }
            buffer.removeFirst(consumed)
        }
    }
}

@Suite struct HTTP1RequestParserTests {
    @Test func pipelinedHeadsEachSeeTheirOwnFieldsWhenStringsAreReused() throws {
        let heads = [
            "POST /authorize HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nUser-Agent: kube-apiserver-admission/v1.31\r\nContent-Length: 2\r\n\r\nab",
            "POST /authorize HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nUser-Agent: kube-apiserver-admission/v1.31\r\nContent-Length: 2\r\n\r\ncd",
            // Same positions, other bytes: other case, other value, other name.
            "POST /authorizf HTTP/1.1\r\nhost: b\r\nCONTENT-TYPE: application/jsoN\r\nAccept: kube-apiserver-admission/v1.31\r\nContent-Length: 01\r\n\r\ne",
            "GET /authorize?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: \r\n\r\n",
        ]
        let run = ParseRun(heads.joined())
        #expect(run.failure == nil)
        try #require(run.heads.count == 4)
        #expect(run.heads.map(\.method) == ["POST", "POST", "POST", "GET"])
        #expect(run.heads.map(\.target) == ["/authorize", "/authorize", "/authorizf", "/authorize?x=1"])
        #expect(run.heads[0].headers.map(\.name) == ["host", "content-type", "user-agent", "content-length"])
        #expect(run.heads[1] == run.heads[0])
        #expect(run.heads[2].headers.map(\.name) == ["host", "content-type", "accept", "content-length"])
        #expect(run.heads[2].headers.map(\.value) == ["b", "application/jsoN", "kube-apiserver-admission/v1.31", "01"])
        #expect(run.heads[2].framing == .contentLength(1))
        #expect(run.heads[3].headers.map(\.value) == ["a", ""])
        #expect(run.bodies == [Array("ab".utf8), Array("cd".utf8), Array("e".utf8), []])
    }

    /// Lists are refused even when their elements agree (checklist 8).
    @Test(arguments: ["5,6", "5,", ",5", "", " ", "5 5", "0x5", "1234567890123456789", "5, 5", "3,3,3"])
    func contentLengthListsAndMalformedValuesAre400(_ value: String) {
        let run = ParseRun("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: \(value)\r\n\r\n")
        #expect(run.failure?.status == 400)
    }

    @Test(arguments: [("5", 5), (" 7 ", 7), ("003", 3), ("0", 0)])
    func aSingleDecimalContentLengthIsAccepted(_ value: String, _ length: Int) {
        let run = ParseRun("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: \(value)\r\n\r\n" + String(repeating: "x", count: length))
        #expect(run.failure == nil)
        #expect(run.heads.first?.framing == (length == 0 ? HTTP1RequestHead.Framing.none : .contentLength(length)))
    }

    @Test func parsesASimpleGet() {
        let run = ParseRun("GET /healthz?verbose=1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n")
        #expect(run.failure == nil)
        #expect(run.ends == 1)
        let head = run.heads[0]
        #expect(head.method == "GET")
        #expect(head.path == "/healthz")
        #expect(head.query == "verbose=1")
        #expect(head.headers == [HTTPField(name: "host", value: "localhost"), HTTPField(name: "accept", value: "*/*")])
        #expect(head.keepAlive)
        #expect(head.framing == .none)
    }

    @Test func parsesAContentLengthBody() {
        let run = ParseRun("POST /authorize HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\nhello")
        #expect(run.heads.first?.framing == .contentLength(5))
        #expect(run.bodies == [Array("hello".utf8)])
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func parsesTheSameRequestsWhateverTheSplit(chunkSize: Int) {
        let input = "POST /a HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\nabc"
            + "POST /b HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\ntrailer: x\r\n\r\n"
            + "GET /c HTTP/1.1\r\nhost: a\r\n\r\n"
        let run = ParseRun(input, chunkSize: chunkSize)
        #expect(run.failure == nil)
        #expect(run.heads.map(\.target) == ["/a", "/b", "/c"])
        #expect(run.bodies == [Array("abc".utf8), Array("wikipedia".utf8), []])
    }

    @Test func pipelinedRequestIsNeverReadAsABody() {
        let run = ParseRun("POST /a HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\nGET /b HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(run.heads.map(\.target) == ["/a", "/b"])
        #expect(run.bodies == [[], []])
    }

    @Test func ignoresEmptyLinesBeforeTheRequestLine() {
        let run = ParseRun("\r\n\r\nGET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(run.failure == nil)
        #expect(run.ends == 1)
    }

    /// Fuzzing finding: one recursive call per leading empty line overflowed the stack.
    @Test func manyEmptyLinesBeforeTheRequestLineDoNotRecurse() {
        let crlfs = String(repeating: "\r\n", count: 200_000)
        let run = ParseRun(crlfs + "GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(run.failure == nil)
        #expect(run.heads.map(\.target) == ["/"])
        // Split inside the run of empty lines, and with an odd CR at a chunk's end.
        #expect(ParseRun(crlfs + "GET / HTTP/1.1\r\nhost: a\r\n\r\n", chunkSize: 4095).ends == 1)
    }

    @Test func connectionCloseAndHTTP10DisableKeepAlive() {
        #expect(ParseRun("GET / HTTP/1.1\r\nhost: a\r\nconnection: Close\r\n\r\n").heads.first?.keepAlive == false)
        #expect(ParseRun("GET / HTTP/1.0\r\n\r\n").heads.first?.keepAlive == false)
        #expect(ParseRun("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n").heads.first?.keepAlive == true)
    }

    @Test func recognisesExpectContinue() {
        let head = ParseRun("POST / HTTP/1.1\r\nhost: a\r\nexpect: 100-Continue\r\ncontent-length: 1\r\n\r\n").heads.first
        #expect(head?.expectsContinue == true)
        #expect(head?.hasUnsupportedExpectation == false)
        // RFC 9110 10.1.1: an HTTP/1.0 client's `100-continue` is ignored; no interim response.
        let old = ParseRun("POST / HTTP/1.0\r\nexpect: 100-continue\r\ncontent-length: 1\r\n\r\n").heads.first
        #expect(old != nil)
        #expect(old?.expectsContinue == false)
    }

    /// Request-smuggling shapes and malformed heads: each is rejected with the given status.
    static let rejected: [(String, String, Int)] = [
        ("CL with TE", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n", 400),
        ("TE with CL", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n", 400),
        ("differing CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n", 400),
        ("differing CL list", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3, 4\r\n\r\n", 400),
        // Even agreeing duplicates are refused (checklist 8: duplicate Content-Length → 400).
        ("identical duplicate CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nok", 400),
        ("identical CL list", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2, 2\r\n\r\nok", 400),
        ("CL list with an empty element", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2,\r\n\r\nok", 400),
        ("CL with sign", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: +3\r\n\r\n", 400),
        ("negative CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: -1\r\n\r\n", 400),
        ("hex CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0x10\r\n\r\n", 400),
        ("CL with inner space", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 1 2\r\n\r\n", 400),
        ("empty CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: \r\n\r\n", 400),
        ("huge CL", "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 99999999999999999999999\r\n\r\n", 400),
        ("TE chunked twice", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked, chunked\r\n\r\n", 400),
        ("TE chunked not last", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked, gzip\r\n\r\n", 400),
        ("TE two fields", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n", 400),
        ("TE quoted", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: \"chunked\"\r\n\r\n", 400),
        ("TE vertical tab", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: \u{0B}chunked\r\n\r\n", 400),
        ("TE empty element", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: , chunked\r\n\r\n", 400),
        ("TE in HTTP/1.0", "POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n", 400),
        ("TE unknown coding", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\n\r\n", 501),
        ("TE gzip then chunked", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n", 501),
        ("space before colon", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding : chunked\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nhost: a\r\nx-a: b\r\n c\r\n\r\n", 400),
        ("NUL in value", "GET / HTTP/1.1\r\nhost: a\r\nx-a: b\u{0}c\r\n\r\n", 400),
        ("CR in value", "GET / HTTP/1.1\r\nhost: a\r\nx-a: b\rc\r\n\r\n", 400),
        ("bare LF in field", "GET / HTTP/1.1\r\nhost: a\nx-a: b\r\n\r\n", 400),
        ("bare LF after request line", "GET / HTTP/1.1\nhost: a\r\n\r\n", 400),
        ("bare LF terminator", "GET / HTTP/1.1\r\nhost: a\r\n\n", 400),
        ("missing host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("duplicate host", "GET / HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n", 400),
        ("no colon", "GET / HTTP/1.1\r\nhost: a\r\nbogus\r\n\r\n", 400),
        ("double space", "GET  / HTTP/1.1\r\nhost: a\r\n\r\n", 400),
        ("absolute form", "GET http://a/ HTTP/1.1\r\nhost: a\r\n\r\n", 400),
        ("lower-case version", "GET / http/1.1\r\nhost: a\r\n\r\n", 400),
        ("HTTP/2 preface version", "GET / HTTP/2.0\r\nhost: a\r\n\r\n", 505),
        ("NUL in target", "GET /a\u{0}b HTTP/1.1\r\nhost: a\r\n\r\n", 400),
        ("bad chunk size", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", 400),
        ("chunk size with space", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n4 \r\nwiki\r\n0\r\n\r\n", 400),
        ("chunk without CRLF", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n4\r\nwikiX\r\n0\r\n\r\n", 400),
        ("chunk size bare LF", "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n4\nwiki\r\n0\r\n\r\n", 400),
        ("unsupported expectation handled later", "GET / HTTP/1.1\r\nhost: a\r\n\u{7F}x: y\r\n\r\n", 400),
    ]

    @Test(arguments: rejected)
    func rejectsMalformedAndAmbiguousRequests(name: String, input: String, status: Int) {
        let run = ParseRun(input)
        #expect(run.failure?.status == status, "\(name)")
        #expect(run.ends == 0, "\(name)")
    }

    @Test func rejectsAnOverlongTargetWith414() {
        let configuration = HTTP1Configuration(maxURIBytes: 64)
        let target = "/" + String(repeating: "a", count: 100)
        #expect(ParseRun("GET \(target) HTTP/1.1\r\nhost: a\r\n\r\n", configuration: configuration).failure?.status == 414)
        // Also before the request line is complete.
        #expect(ParseRun("GET \(target)", configuration: configuration).failure?.status == 414)
    }

    @Test func rejectsAnOversizedHeadWith431() {
        let configuration = HTTP1Configuration(maxHeaderBytes: 256)
        let big = "GET / HTTP/1.1\r\nhost: a\r\nx-big: \(String(repeating: "b", count: 300))\r\n\r\n"
        #expect(ParseRun(big, configuration: configuration).failure?.status == 431)
        // Incomplete and already too large.
        #expect(ParseRun("GET / HTTP/1.1\r\nx: \(String(repeating: "b", count: 300))", configuration: configuration).failure?.status == 431)
    }

    @Test func rejectsTooManyHeaderFieldsWith431() {
        let configuration = HTTP1Configuration(maxHeaderCount: 4)
        let fields = (0..<10).map { "x-\($0): y\r\n" }.joined()
        #expect(ParseRun("GET / HTTP/1.1\r\nhost: a\r\n\(fields)\r\n", configuration: configuration).failure?.status == 431)
    }

    @Test func rejectsADeclaredOversizedBodyBeforeReadingIt() {
        let configuration = HTTP1Configuration(maxBodyBytes: 10)
        let run = ParseRun("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 11\r\n\r\n", configuration: configuration)
        #expect(run.failure?.status == 413)
        #expect(run.heads.isEmpty)
    }

    @Test func rejectsAnOversizedChunkedBodyWith413() {
        let configuration = HTTP1Configuration(maxBodyBytes: 10)
        let input = "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
        #expect(ParseRun(input, configuration: configuration).failure?.status == 413)
    }

    @Test func staysFailedAfterAnError() {
        var parser = HTTP1RequestParser()
        let bad = Array("GET / HTTP/1.1\nhost: a\r\n\r\n".utf8)
        let first = bad.withUnsafeBytes { parser.parse($0) }
        let good = Array("GET / HTTP/1.1\r\nhost: a\r\n\r\n".utf8)
        let second = good.withUnsafeBytes { parser.parse($0) }
        #expect(first.event == second.event)
        if case .failure = second.event {} else { Issue.record("parser recovered after a failure") }
    }

    @Test func survivesEveryPrefixAndByteFlipOfAValidRequest() {
        let valid = Array("POST /a HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".utf8)
        for length in 0...valid.count {
            _ = ParseRun(bytes: Array(valid[0..<length]))
        }
        for index in valid.indices {
            for replacement: UInt8 in [0, 0x0a, 0x0d, 0x20, 0x3a, 0x7f, 0xff] {
                var mutated = valid
                mutated[index] = replacement
                let run = ParseRun(bytes: mutated)
                #expect(run.ends <= 1)
            }
        }
    }
}
