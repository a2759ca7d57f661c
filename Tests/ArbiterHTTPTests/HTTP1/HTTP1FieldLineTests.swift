@testable import ArbiterHTTP
import Testing

/// Field lines against a plain byte-by-byte reading of RFC 9110/9112 (`field-name ":" OWS
/// field-value OWS`, token names, values of VCHAR, obs-text, SP and HTAB): the parser reads names
/// and values eight bytes at a time, so every length and every position of a bad byte matters.
@Suite struct HTTP1FieldLineTests {
    /// The reference: `nil` when the line must be refused (400), else the field as the parser must
    /// report it (name lower-cased, value without surrounding OWS).
    static func reference(_ line: [UInt8]) -> HTTPField? {
        guard let first = line.first, first != 0x20 && first != 0x09 else { return nil }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return nil }
        let name = line[..<colon]
        guard name.allSatisfy(ASCIITests.isTokenByteByGrammar) else { return nil }
        var value = Array(line[(colon + 1)...])
        guard value.allSatisfy({ $0 == 0x20 || $0 == 0x09 || ($0 >= 0x21 && $0 != 0x7f) }) else { return nil }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        while let head = value.first, head == 0x20 || head == 0x09 { value.removeFirst() }
        return HTTPField(
            name: String(decoding: name.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self))
    }

    static let framingNames: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect"]

    /// Parses `GET / HTTP/1.1`, `host: a` and `line`, and compares with the reference.
    static func check(_ line: [UInt8]) {
        let expected = Self.reference(line)
        if let expected, Self.framingNames.contains(expected.name) { return }
        let input = Array("GET / HTTP/1.1\r\nhost: a\r\n".utf8) + line + Array("\r\n\r\n".utf8)
        let run = ParseRun(bytes: input)
        if let expected {
            #expect(run.failure == nil, "\(line)")
            #expect(run.heads.first?.headers == [HTTPField(name: "host", value: "a"), expected], "\(line)")
        } else {
            #expect(run.failure?.status == 400, "\(line)")
        }
    }

    @Test func everyLengthWithABadByteAtEveryPosition() {
        for nameLength in [1, 7, 8, 9, 16, 17] {
            for valueLength in 0...26 {
                let name = (0..<nameLength).map { UInt8(ascii: "a") + UInt8($0 % 26) }
                let value = (0..<valueLength).map { UInt8(ascii: "A") + UInt8($0 % 26) }
                let line = name + Array(": ".utf8) + value
                Self.check(line)
                for position in line.indices {
                    for bad: UInt8 in [0x00, 0x09, 0x0b, 0x0d, 0x20, 0x3a, 0x7f, 0x80, 0xff, 0x2c, 0x22] {
                        var mutated = line
                        mutated[position] = bad
                        Self.check(mutated)
                    }
                }
            }
        }
    }

    @Test func surroundingWhitespaceIsTrimmedWhateverItsLength() {
        for leading in 0...10 {
            for trailing in 0...10 {
                for inner in ["", "x", "a b", "application/json, */*", "0123456789abcdef"] {
                    let value = String(repeating: " \t", count: leading / 2) + String(repeating: " ", count: leading % 2)
                        + inner + String(repeating: "\t ", count: trailing / 2) + String(repeating: "\t", count: trailing % 2)
                    Self.check(Array("x-field:\(value)".utf8))
                }
            }
        }
    }

    @Test func randomLinesAgreeWithTheReference() {
        var random = FieldLineRandom(seed: 0x5eed)
        let alphabet: [UInt8] =
            Array("aZ09-_.!~:".utf8) + Array("xyzXYZ-content-type: application/json".utf8) + [0x20, 0x20, 0x09, 0x00, 0x0d, 0x7f, 0x80, 0xfe]
        for _ in 0..<20_000 {
            let length = 1 + Int(random.next() % 40)
            Self.check((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
    }
}

/// A small deterministic generator for the tests above.
struct FieldLineRandom {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
