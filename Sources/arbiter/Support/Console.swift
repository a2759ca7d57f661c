#if canImport(Glibc)
    import Glibc
#endif

/// Terminal output without Foundation: stdout through `print`, stderr through `write(2)`.
enum Console {
    static func error(_ message: String) {
        writeAll(2, "error: " + message + "\n")
    }

    static func warning(_ message: String) {
        writeAll(2, "warning: " + message + "\n")
    }

    static func note(_ message: String) {
        writeAll(2, message + "\n")
    }

    static func out(_ line: String) {
        writeAll(1, line + "\n")
    }

    static func out(bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeAll(1, $0) }
        writeAll(1, "\n")
    }

    private static func writeAll(_ fd: Int32, _ text: String) {
        var copy = text
        copy.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    /// Reads all of standard input (`path` nil or `-`, as kubectl's `-f -`) or a file.
    static func readInput(_ path: String?, limit: Int = 256 << 20) throws -> [UInt8] {
        let path = path == "-" ? nil : path
        let fd: Int32 = path.map { open($0, O_RDONLY | O_CLOEXEC) } ?? 0
        guard fd >= 0 else { throw CLIError("cannot open `\(path!)`: \(String(cString: strerror(errno)))") }
        defer { if path != nil { close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot read \(path.map { "`\($0)`" } ?? "standard input"): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > limit { throw CLIError("input is larger than \(limit) bytes") }
        }
        return bytes
    }
}

/// An error the CLI reports as `error: message` with exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
