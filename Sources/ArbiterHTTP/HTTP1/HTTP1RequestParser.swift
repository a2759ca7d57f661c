/// A strict, incremental HTTP/1.1 request parser (RFC 9112) with no I/O.
///
/// The caller keeps the unconsumed input and calls ``parse(_:)`` with it until the event is
/// ``Event/needMore``; each call reports how many bytes it consumed (possibly some even with
/// `needMore`, e.g. a complete chunk-size line), and the caller drops them before the next call. The event sequence per request
/// is `head`, zero or more `body` ranges (indices into the input passed to that call), then `end`.
/// A `failure` is final: the parser stays failed and the connection must close after the error
/// response, because the framing of anything after it cannot be trusted.
///
/// Strictness is the point. Everything that lets two parsers disagree about where a request ends is
/// rejected: bare LF, NUL and other controls, obs-fold, whitespace before the colon, a
/// Content-Length that is not plain digits or differs between copies, Content-Length together with
/// Transfer-Encoding, any transfer coding list that is not exactly `chunked`, and a missing or
/// duplicated Host.
public struct HTTP1RequestParser {
    /// What one ``parse(_:)`` call found.
    public enum Event: Equatable {
        /// The input holds no complete element; call again with more bytes.
        case needMore
        /// A complete, validated request head.
        case head(HTTP1RequestHead)
        /// Body bytes at these indices of the input passed to this call.
        case body(Range<Int>)
        /// The request (head and body) is complete.
        case end
        /// The request is invalid; answer with ``HTTP1ParseError/status`` and close.
        case failure(HTTP1ParseError)
    }

    private enum State {
        /// Reading the head; `scanned` bytes are complete, CRLF-terminated lines.
        case head(scanned: Int, lines: Int)
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        /// Reading the trailer section; `scanned` as for the head.
        case trailers(scanned: Int, fields: Int)
        case failed(HTTP1ParseError)
    }

    public let configuration: HTTP1Configuration
    private var state: State = .head(scanned: 0, lines: 0)
    private var bodyReceived = 0
    private var fieldCount = 0
    /// The method and target strings of the previous heads, reused when the next head repeats them
    /// (see ``FieldStringCache``).
    private var fieldStrings = FieldStringCache()

    /// The longest chunk-size line accepted (size, extensions and CRLF).
    static let maxChunkLineBytes = 256

    public init(configuration: HTTP1Configuration = HTTP1Configuration()) {
        self.configuration = configuration
    }

    /// True while no byte of the next request has been consumed (between requests).
    public var isAtRequestBoundary: Bool {
        if case .head(scanned: 0, lines: 0) = self.state { return true }
        return false
    }

    /// True while reading a head (request line or fields).
    public var isReadingHead: Bool {
        if case .head = self.state { return true }
        return false
    }

    /// Parses as much of `input` as forms one event.
    public mutating func parse(_ input: UnsafeRawBufferPointer) -> (event: Event, consumed: Int) {
        let (step, consumed) = self.step(input)
        switch step {
        case .needMore: return (.needMore, consumed)
        case .head: return (.head(self.head), consumed)
        case .body(let range): return (.body(range), consumed)
        case .end: return (.end, consumed)
        case .failure: return (.failure(self.error ?? HTTP1ParseError(.badRequest, "parser failed")), consumed)
        }
    }

    /// An ``Event`` without its payloads, which stay in the parser: ``head`` and ``error``. The
    /// handler's per-request path steps with these, so no request head is copied into an event and
    /// out again.
    enum Step: Equatable {
        case needMore
        /// A complete, validated request head: ``head``.
        case head
        case body(Range<Int>)
        case end
        /// The request is invalid: ``error``.
        case failure
    }

    /// The head of the request being read, valid from its ``Step/head`` step until the next one
    /// (the placeholder ``HTTP1RequestHead/none`` before the first).
    private(set) var head = HTTP1RequestHead.none

    /// Why the parser failed, once it has.
    var error: HTTP1ParseError? {
        if case .failed(let error) = self.state { return error }
        return nil
    }

    /// ``parse(_:)`` without copying payloads out (see ``Step``).
    mutating func step(_ input: UnsafeRawBufferPointer) -> (Step, Int) {
        switch self.state {
        case .failed:
            return (.failure, 0)
        case .head(let scanned, let lines):
            return self.parseHead(input, scanned: scanned, lines: lines)
        case .fixedBody(let remaining):
            if remaining == 0 {
                self.finishRequest()
                return (.end, 0)
            }
            let count = min(remaining, input.count)
            guard count > 0 else { return (.needMore, 0) }
            self.state = .fixedBody(remaining: remaining - count)
            return (.body(0..<count), count)
        case .chunkSize:
            return self.parseChunkSize(input)
        case .chunkData(let remaining):
            let count = min(remaining, input.count)
            guard count > 0 else { return (.needMore, 0) }
            self.state = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            return (.body(0..<count), count)
        case .chunkDataEnd:
            guard input.count >= 2 else { return (.needMore, 0) }
            guard input[0] == ASCII.cr && input[1] == ASCII.lf else {
                return self.fail(.badRequest, "chunk data not followed by CRLF")
            }
            self.state = .chunkSize
            return Self.shifted(self.step(UnsafeRawBufferPointer(rebasing: input[2...])), by: 2)
        case .trailers(let scanned, let fields):
            return self.parseTrailers(input, scanned: scanned, fields: fields)
        }
    }

    // MARK: - Head

    private mutating func parseHead(_ input: UnsafeRawBufferPointer, scanned: Int, lines: Int) -> (Step, Int) {
        // RFC 9112 §2.2: ignore empty lines before the request line. A loop, not one recursive
        // call per line: the client decides how many there are (fuzzing overflowed the stack).
        if scanned == 0 && lines == 0 {
            var skipped = 0
            while skipped + 1 < input.count && input[skipped] == ASCII.cr && input[skipped + 1] == ASCII.lf {
                skipped += 2
            }
            if skipped > 0 {
                let rest = UnsafeRawBufferPointer(rebasing: input[skipped...])
                return Self.shifted(self.parseHead(rest, scanned: 0, lines: 0), by: skipped)
            }
        }
        var lineStart = scanned
        var lines = lines
        while let lf = ASCII.firstLF(input, from: lineStart) {
            guard lf > 0, input[lf - 1] == ASCII.cr else {
                return self.fail(.badRequest, "bare LF in request head")
            }
            if lines == 0 && lf - 1 > self.configuration.maxURIBytes + 32 {
                return self.fail(.uriTooLong, "request line too long")
            }
            if lf + 1 > self.configuration.maxHeaderBytes {
                return self.fail(.headerFieldsTooLarge, "request head too large")
            }
            if lf - 1 == lineStart {
                // The empty line: the head is complete.
                return self.finishHead(UnsafeRawBufferPointer(rebasing: input[..<lineStart]), consumed: lf + 1)
            }
            lines += 1
            if lines - 1 > self.configuration.maxHeaderCount {
                return self.fail(.headerFieldsTooLarge, "too many header fields")
            }
            lineStart = lf + 1
        }
        if lines == 0 && input.count > self.configuration.maxURIBytes + 32 {
            return self.fail(.uriTooLong, "request line too long")
        }
        if input.count >= self.configuration.maxHeaderBytes {
            return self.fail(.headerFieldsTooLarge, "request head too large")
        }
        self.state = .head(scanned: lineStart, lines: lines)
        return (.needMore, 0)
    }

    /// Validates the complete head (`bytes` ends with the last field line's CRLF).
    private mutating func finishHead(_ bytes: UnsafeRawBufferPointer, consumed: Int) -> (Step, Int) {
        switch HTTP1HeadValidator.validate(bytes, configuration: self.configuration, strings: &self.fieldStrings) {
        case .failure(let error):
            self.state = .failed(error)
            return (.failure, consumed)
        case .success(let head):
            self.bodyReceived = 0
            switch head.framing {
            case .none: self.state = .fixedBody(remaining: 0)
            case .contentLength(let length): self.state = .fixedBody(remaining: length)
            case .chunked: self.state = .chunkSize
            }
            self.head = head
            return (.head, consumed)
        }
    }

    private mutating func finishRequest() {
        self.state = .head(scanned: 0, lines: 0)
        self.bodyReceived = 0
    }

    // MARK: - Chunked body

    private mutating func parseChunkSize(_ input: UnsafeRawBufferPointer) -> (Step, Int) {
        guard let lf = ASCII.firstLF(input, from: 0, limit: Self.maxChunkLineBytes) else {
            if input.count >= Self.maxChunkLineBytes { return self.fail(.badRequest, "chunk size line too long") }
            return (.needMore, 0)
        }
        guard lf > 0, input[lf - 1] == ASCII.cr else { return self.fail(.badRequest, "bare LF in chunk size line") }
        let line = UnsafeRawBufferPointer(rebasing: input[..<(lf - 1)])
        var size = 0
        var digits = 0
        var index = 0
        while index < line.count, let value = ASCII.hexValue(line[index]) {
            digits += 1
            guard digits <= 15 else { return self.fail(.badRequest, "chunk size too long") }
            size = size * 16 + value
            index += 1
        }
        guard digits > 0 else { return self.fail(.badRequest, "malformed chunk size") }
        if index < line.count {
            // chunk-ext: `;name[=value]...` in visible characters; no whitespace before `;`.
            guard line[index] == ASCII.semicolon else { return self.fail(.badRequest, "malformed chunk size") }
            for byte in line[index...] where !ASCII.isFieldValueByte(byte) {
                return self.fail(.badRequest, "invalid byte in chunk extension")
            }
        }
        if size == 0 {
            self.state = .trailers(scanned: 0, fields: 0)
            return Self.shifted(self.step(UnsafeRawBufferPointer(rebasing: input[(lf + 1)...])), by: lf + 1)
        }
        guard size <= self.configuration.maxBodyBytes - self.bodyReceived else {
            return self.fail(.contentTooLarge, "request body too large")
        }
        self.bodyReceived += size
        self.state = .chunkData(remaining: size)
        return Self.shifted(self.step(UnsafeRawBufferPointer(rebasing: input[(lf + 1)...])), by: lf + 1)
    }

    private mutating func parseTrailers(_ input: UnsafeRawBufferPointer, scanned: Int, fields: Int) -> (Step, Int) {
        var lineStart = scanned
        var fields = fields
        while let lf = ASCII.firstLF(input, from: lineStart) {
            guard lf > 0, input[lf - 1] == ASCII.cr else { return self.fail(.badRequest, "bare LF in trailer section") }
            if lf - 1 == lineStart {
                self.finishRequest()
                return (.end, lf + 1)
            }
            // Trailers are validated like header fields, then discarded (RFC 9110 §6.5.1).
            let line = UnsafeRawBufferPointer(rebasing: input[lineStart..<(lf - 1)])
            if let error = HTTP1HeadValidator.validateField(line) {
                self.state = .failed(error)
                return (.failure, 0)
            }
            fields += 1
            if fields > self.configuration.maxHeaderCount || lf + 1 > self.configuration.maxHeaderBytes {
                return self.fail(.headerFieldsTooLarge, "trailer section too large")
            }
            lineStart = lf + 1
        }
        if input.count >= self.configuration.maxHeaderBytes {
            return self.fail(.headerFieldsTooLarge, "trailer section too large")
        }
        self.state = .trailers(scanned: lineStart, fields: fields)
        return (.needMore, 0)
    }

    private mutating func fail(_ code: HTTP1ParseError.Code, _ reason: String) -> (Step, Int) {
        let error = HTTP1ParseError(code, reason)
        self.state = .failed(error)
        return (.failure, 0)
    }

    /// Offsets a result computed on a suffix of the input that starts `offset` bytes in.
    private static func shifted(_ result: (step: Step, consumed: Int), by offset: Int) -> (Step, Int) {
        if case .body(let range) = result.step {
            return (.body((range.lowerBound + offset)..<(range.upperBound + offset)), result.consumed + offset)
        }
        return (result.step, result.consumed + offset)
    }
}
