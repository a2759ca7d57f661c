import ArbiterHTTP
import ArbiterPosix
import Foundation
import Testing

/// `HTTPServer.loopsResponsive(within:)`, the signal the systemd watchdog pings on (checklist 24):
/// true while every loop thread runs, false while one is stuck, true again once it recovers.
@Suite(.serialized)
struct LoopLivenessTests {
    /// Blocks the loop thread that answers `/block` until the test opens the gate.
    final class BlockingResponder: Responder, @unchecked Sendable {
        // INVARIANT: `gate` and `entered` are semaphores, safe from any thread.
        let gate = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)

        func respond(to request: HTTPRequest) -> HTTPResponse {
            if request.path == "/block" {
                entered.signal()
                _ = gate.wait(timeout: .now() + 20)
            }
            return HTTPResponse(status: 200, body: Array("ok".utf8))
        }
    }

    @Test func aStuckLoopIsNotResponsive() throws {
        let responder = BlockingResponder()
        let server = try TestServer(threads: 1, responder: responder)
        #expect(server.server.loopsResponsive(within: .seconds(2)))

        let client = try server.client()
        client.send("GET /block HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(responder.entered.wait(timeout: .now() + 5) == .success)
        #expect(!server.server.loopsResponsive(within: .milliseconds(300)))

        responder.gate.signal()
        #expect(client.readResponses(1).first?.status == 200)
        #expect(server.server.loopsResponsive(within: .seconds(2)))
    }
}
