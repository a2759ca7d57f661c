import Foundation
import Glibc
import Synchronization

/// A thread-safe list of values recorded by callbacks running on other threads.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) {
        self.values.withLock { $0.append(value) }
    }

    var all: [Value] { self.values.withLock { $0 } }
}

/// Polls `condition` every 10 ms for at most `seconds`; returns whether it became true.
///
/// The bound only limits how long a failing test hangs; no test asserts on elapsed time.
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let iterations = Int(seconds * 100)
    for _ in 0..<iterations {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A fresh directory under /tmp, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/arbiter-webhook-test-XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown)
        }
        // mkdtemp may return a path through a symlinked /tmp; resolve so event paths compare equal.
        self.path = URL(fileURLWithPath: String(cString: result)).resolvingSymlinksInPath().path
    }

    func file(_ name: String) -> String { self.path + "/" + name }

    func write(_ name: String, _ contents: String) throws {
        try Data(contents.utf8).write(to: URL(fileURLWithPath: self.file(name)))
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: self.file(name)).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: self.file(name))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
