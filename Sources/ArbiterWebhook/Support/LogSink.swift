import Glibc

/// Where the operational log handlers put their finished lines.
///
/// The default, ``standardError``, issues one unbuffered `write(2, …)` per line, so lines from
/// different threads never interleave (each is a single write below `PIPE_BUF` for the usual
/// sizes) and nothing is lost in a buffer when the process dies. Tests inject a sink that records
/// lines instead.
public struct LogSink: Sendable {
    private let writeLine: @Sendable ([UInt8]) -> Void

    /// Creates a sink from a closure receiving each complete line, including its line feed.
    public init(_ writeLine: @escaping @Sendable ([UInt8]) -> Void) {
        self.writeLine = writeLine
    }

    /// Hands one complete line to the sink.
    public func write(_ line: [UInt8]) {
        self.writeLine(line)
    }

    /// File descriptor 2 (journald under systemd), written with `write` and no buffering.
    public static let standardError = LogSink { line in
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // Nowhere left to report a failing stderr.
                }
                offset += written
            }
        }
    }
}
