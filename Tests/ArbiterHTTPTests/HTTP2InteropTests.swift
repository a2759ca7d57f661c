import Foundation
import Glibc
import Testing

@testable import ArbiterHTTP

/// The session against real clients: nghttp2's `h2load` and `nghttp`.
///
/// Cleartext h2 with prior knowledge, over a loopback TCP connection pumped by the test thread. Skipped when the tools are
/// missing.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/h2load")))
struct HTTP2InteropTests {
    @Test func h2loadMultiplexedRequestsAllSucceed() throws {
        let responder = HTTP2RecordingResponder(responseBody: Array("{\"allowed\":true}".utf8))
        let result = try Self.serve(
            responder: responder,
            client: ["/usr/bin/h2load", "-n", "2000", "-c", "1", "-m", "16", "-d", "/etc/hostname"]
        )
        #expect(result.output.contains("2000 succeeded"), "\(result.output)")
        #expect(responder.recorded.count == 2000)
        #expect(responder.recorded.allSatisfy { $0.method == "POST" && $0.path == "/authorize" })
    }

    @Test func h2loadOversizedBodiesGet413() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbiter-h2-\(getpid())-big.json")
        try Data(repeating: 0x20, count: 2 * 1024 * 1024).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let responder = HTTP2RecordingResponder()
        let result = try Self.serve(
            responder: responder,
            client: ["/usr/bin/h2load", "-n", "20", "-c", "1", "-m", "4", "-d", path.path]
        )
        #expect(result.output.contains("0 2xx, 0 3xx, 20 4xx"), "\(result.output)")
        #expect(responder.recorded.isEmpty)
    }

    @Test func nghttpGetsResponseBody() throws {
        let responder = HTTP2RecordingResponder(responseBody: Array("ok".utf8))
        let result = try Self.serve(
            responder: responder,
            client: ["/usr/bin/nghttp", "-n", "-s"],
            path: "/healthz?x=1"
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(responder.recorded.first?.query == "x=1")
    }

    // MARK: - Loopback pump

    struct Result {
        var output: String
        var status: Int32
    }

    /// Listens on 127.0.0.1, runs `client` against it, and pumps one accepted connection through a
    /// fresh session until the client exits (bounded by a 20 s budget).
    static func serve(
        responder: HTTP2RecordingResponder,
        client: [String],
        path: String = "/authorize"
    ) throws -> Result {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 4) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: client[0])
        process.arguments = Array(client.dropFirst()) + ["http://127.0.0.1:\(port)\(path)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()

        var pollListener = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        var listenerReady = poll(&pollListener, 1, 10_000)
        while listenerReady < 0 && errno == EINTR {
            listenerReady = poll(&pollListener, 1, 10_000)
        }
        guard listenerReady == 1 else {
            process.terminate()
            process.waitUntilExit()
            return Result(output: "no connection", status: -1)
        }
        var connection = accept(listener, nil, nil)
        while connection < 0 && errno == EINTR {
            connection = accept(listener, nil, nil)
        }
        try #require(connection >= 0)
        defer { close(connection) }

        let session = HTTP2Session(responder: responder, peer: nil, now: .now)
        var input = [UInt8](repeating: 0, count: 64 * 1024)
        var output: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            output.removeAll(keepingCapacity: true)
            while session.hasPendingOutput, output.count < 1 << 20 {
                session.produceOutput(into: &output, limit: 64 * 1024)
            }
            if !writeAll(connection, output) || (session.isFinished && !session.hasPendingOutput) { break }
            var pollConnection = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            // A sibling test's child exiting delivers SIGCHLD to any thread: retry on EINTR.
            let ready = poll(&pollConnection, 1, 100)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { break }
            if pollConnection.revents == 0 {
                if !process.isRunning { break }
                continue
            }
            let count = input.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            input.withUnsafeBytes { session.receive(UnsafeRawBufferPointer(rebasing: $0[..<count]), now: .now) }
        }
        close(connection)
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Result(output: text, status: process.terminationStatus)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }
}
