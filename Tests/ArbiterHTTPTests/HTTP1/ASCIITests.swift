@testable import ArbiterHTTP
import Testing

/// The byte classes and eight-bytes-at-a-time tests the HTTP/1.1 parser relies on, checked
/// exhaustively against their definitions.
@Suite struct ASCIITests {
    /// `tchar` as RFC 9110 §5.6.2 spells it.
    static func isTokenByteByGrammar(_ byte: UInt8) -> Bool {
        let special: Set<UInt8> = Set("!#$%&'*+-.^_`|~".utf8)
        return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            || special.contains(byte)
    }

    @Test func tokenBytesAreExactlyTheGrammarsTchar() {
        for byte in UInt8.min...UInt8.max {
            #expect(ASCII.isTokenByte(byte) == Self.isTokenByteByGrammar(byte), "byte \(byte)")
        }
    }

    /// Every byte value at every position of a word, with neighbours that stress borrows and
    /// carries (0x00, 0x80, 0xff, and the byte itself): each mask bit must be exactly the per-byte test.
    @Test func wordTestsAgreeWithByteTestsForEveryByteAtEveryPosition() {
        for fill: UInt8 in [0x00, 0x20, 0x2d, 0x7f, 0x80, 0xff] {
            for byte in UInt8.min...UInt8.max {
                for position in 0..<8 {
                    var bytes = [UInt8](repeating: fill, count: 8)
                    bytes[position] = byte
                    let word = bytes.withUnsafeBytes { ASCII.loadWord($0.baseAddress!, 0) }
                    func expected(_ test: (UInt8) -> Bool) -> UInt64 {
                        var mask: UInt64 = 0
                        for index in 0..<8 where test(bytes[index]) { mask |= 0x80 << UInt64(8 * index) }
                        return mask
                    }
                    #expect(ASCII.bytesBelow(word, 0x21) == expected { $0 < 0x21 })
                    #expect(ASCII.bytesBelow(word, 0x80) == expected { $0 < 0x80 })
                    #expect(ASCII.bytesEqual(word, 0x7f) == expected { $0 == 0x7f })
                    #expect(ASCII.bytesEqual(word, 0x20) == expected { $0 == 0x20 })
                    #expect(ASCII.visibleOrHighBytes(word) == expected { $0 >= 0x21 && $0 != 0x7f })
                    #expect(
                        ASCII.nameBytes(word)
                            == expected { b in
                                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2d
                            })
                }
            }
        }
    }

    @Test func versionAndMethodWordsAreTheirBytes() {
        func word64(_ text: String) -> UInt64 { Array(text.utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
        func word32(_ text: String) -> UInt32 { Array(text.utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
        #expect(HTTP1HeadValidator.http11Word == word64("HTTP/1.1"))
        #expect(HTTP1HeadValidator.http10Word == word64("HTTP/1.0"))
        #expect(HTTP1HeadValidator.headWord == word32("HEAD"))
    }
}
