import Glibc

/// Where the decision log's writer thread puts its lines: fd 1, fd 2, or a file rotated by size.
///
/// Owned by the writer thread alone, so it needs no locking. Lines are gathered into chunks of up
/// to 64 KiB and written with one `write` each. A file is rotated before a line would push it past
/// `maxBytes`: `name.(n-1)` → `name.n`, …, `name` → `name.1`, and a new `name` is created, keeping
/// at most `maxFiles` old files. Write failures drop the affected lines (counted by the caller)
/// and never stop the thread; a file that cannot be opened is retried on the next batch.
struct DecisionLogOutput: ~Copyable {
    private let destination: DecisionLog.Destination
    private var fd: Int32 = -1
    private var size = 0
    private var chunk: [UInt8] = []
    private var chunkLines = 0
    private static let chunkLimit = 64 * 1024

    /// Lines dropped since the last call to ``takeDropped()``.
    private var dropped = 0
    /// The most recent error, reported once per failure streak.
    private(set) var lastError: SystemCallError?

    init(destination: DecisionLog.Destination) {
        self.destination = destination
        self.chunk.reserveCapacity(Self.chunkLimit)
        switch destination {
        case .standardOutput: self.fd = 1
        case .standardError: self.fd = 2
        case .file: self.openFile()
        }
    }

    deinit {
        if case .file = self.destination, self.fd >= 0 { Glibc.close(self.fd) }
    }

    /// Returns and resets the number of dropped lines.
    mutating func takeDropped() -> Int {
        defer { self.dropped = 0 }
        return self.dropped
    }

    /// Returns and clears the error that started the current failure streak, if not yet reported.
    mutating func takeError() -> SystemCallError? {
        defer { self.lastError = nil }
        return self.lastError
    }

    /// Closes and reopens the file (after an external rotation); no-op for fd 1 and 2.
    mutating func reopen() {
        guard case .file = self.destination else { return }
        self.flush()
        if self.fd >= 0 { Glibc.close(self.fd) }
        self.fd = -1
        self.openFile()
    }

    /// Retries opening the file if an earlier open failed.
    mutating func ensureOpen() {
        if case .file = self.destination, self.fd < 0 { self.openFile() }
    }

    /// Queues one complete line (ending in a line feed), rotating the file first if needed.
    mutating func append(line: ArraySlice<UInt8>) {
        if case .file(_, let maxBytes, _) = self.destination, maxBytes > 0 {
            let buffered = self.size + self.chunk.count
            if buffered > 0 && buffered + line.count > maxBytes {
                self.flush()
                self.rotate()
            }
        }
        if self.chunk.count + line.count > Self.chunkLimit { self.flush() }
        self.chunk.append(contentsOf: line)
        self.chunkLines += 1
    }

    /// Writes the buffered chunk.
    mutating func flush() {
        guard !self.chunk.isEmpty else { return }
        defer {
            self.chunk.removeAll(keepingCapacity: true)
            self.chunkLines = 0
        }
        guard self.fd >= 0 else {
            self.dropped += self.chunkLines
            return
        }
        if let error = Self.writeAll(self.fd, self.chunk) {
            self.dropped += self.chunkLines
            self.lastError = error
        } else {
            self.size += self.chunk.count
        }
    }

    /// Flushes and closes the file (fd 1 and 2 stay open).
    mutating func close() {
        self.flush()
        if case .file = self.destination, self.fd >= 0 { Glibc.close(self.fd) }
        self.fd = -1
    }

    // MARK: - Files

    private mutating func openFile() {
        guard case .file(let path, _, _) = self.destination else { return }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            self.lastError = .current("open")
            return
        }
        var info = stat()
        self.size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        self.fd = fd
    }

    private mutating func rotate() {
        guard case .file(let path, _, let maxFiles) = self.destination else { return }
        if self.fd >= 0 { Glibc.close(self.fd) }
        self.fd = -1
        if maxFiles > 0 {
            // Shift name.(n-1) → name.n … name.1 → name.2; rename replaces the oldest.
            var index = maxFiles - 1
            while index >= 1 {
                _ = Glibc.rename("\(path).\(index)", "\(path).\(index + 1)")
                index -= 1
            }
            if Glibc.rename(path, "\(path).1") != 0 { self.lastError = .current("rename") }
        } else if Glibc.unlink(path) != 0 {
            self.lastError = .current("unlink")
        }
        let failed = self.lastError != nil
        self.openFile()
        // If the old file could not be moved away, appending to it continues; count from zero so
        // the next attempt comes after another `maxBytes` rather than on every line.
        if failed { self.size = 0 }
    }

    /// Writes all of `bytes`, retrying `EINTR` and partial writes; returns the error, if any.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> SystemCallError? {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return SystemCallError.current("write")
                }
                offset += written
            }
            return nil
        }
    }
}
