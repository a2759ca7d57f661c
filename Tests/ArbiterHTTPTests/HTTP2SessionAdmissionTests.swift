import Synchronization
import Testing

@testable import ArbiterHTTP

/// The server-wide in-flight bound (``RequestAdmission``) on HTTP/2 streams: a request holds a
/// slot until its response body is taken, shares the count with every other connection, and a
/// request that finds the bound reached gets a fast 503 without reaching the responder.
@Suite struct HTTP2SessionAdmissionTests {
    typealias Frames = HTTP2FrameBuilder

    /// A client whose flow-control window is zero: responses are answered but their bodies cannot
    /// leave, so each answered request keeps its slot.
    static func stalledClient(admission: RequestAdmission) -> HTTP2TestClient {
        let client = HTTP2TestClient(admission: admission)
        client.handshake(settings: [(HTTP2SettingID.initialWindowSize, 0)])
        return client
    }

    @Test func requestsBeyondTheBoundAreShedAcrossConnections() {
        let server = HTTPServerMetrics()
        let admission = RequestAdmission(metrics: server, limit: 2)
        let stalled = Self.stalledClient(admission: admission)
        stalled.send(stalled.request(streamID: 1) + stalled.request(streamID: 3))
        stalled.pump()
        #expect(stalled.responder.recorded.count == 2)
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 2)

        // Another connection finds both slots taken: 503 "overloaded", no Retry-After, and the
        // responder never sees the request.
        let other = HTTP2TestClient(admission: admission)
        other.handshake()
        other.send(other.request(streamID: 1))
        other.pump()
        #expect(other.response(1)?.status == 503)
        #expect(other.response(1)?.header("retry-after") == nil)
        #expect(other.response(1).map { String(decoding: $0.body, as: UTF8.self) } == "overloaded\n")
        #expect(other.responder.recorded.isEmpty)
        #expect(server.shed.load(ordering: .relaxed) == 1)
        #expect(!other.session.isFinished)

        // The stalled bodies leave once the window opens, and their slots come back.
        stalled.send(
            Frames.windowUpdate(streamID: 1, increment: 65_535) + Frames.windowUpdate(streamID: 3, increment: 65_535))
        stalled.pump()
        #expect(stalled.response(1)?.ended == true)
        #expect(stalled.response(3)?.ended == true)
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 0)

        other.send(other.request(streamID: 3))
        other.pump()
        #expect(other.response(3)?.status == 200)
        #expect(other.responder.recorded.count == 1)
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 0)
    }

    @Test func aPeerResetGivesTheSlotBack() {
        let server = HTTPServerMetrics()
        let stalled = Self.stalledClient(admission: RequestAdmission(metrics: server, limit: 10))
        stalled.send(stalled.request(streamID: 1) + stalled.request(streamID: 3))
        stalled.pump()
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 2)
        stalled.send(Frames.rstStream(streamID: 1, errorCode: HTTP2ErrorCode.cancel))
        stalled.pump()
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 1)
    }

    @Test func closingTheSessionGivesEverySlotBack() {
        let server = HTTPServerMetrics()
        let stalled = Self.stalledClient(admission: RequestAdmission(metrics: server, limit: 10))
        stalled.send(stalled.request(streamID: 1) + stalled.request(streamID: 3) + stalled.request(streamID: 5))
        stalled.pump()
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 3)
        stalled.session.close()
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 0)
    }

    @Test func responsesWithoutABodyHoldNoSlot() {
        let server = HTTPServerMetrics()
        let client = Self.stalledClient(admission: RequestAdmission(metrics: server, limit: 1))
        // HEAD: the answer is headers only, so the slot comes back at once, window or not.
        for index in 0..<3 {
            client.send(client.request(streamID: UInt32(2 * index + 1), method: "HEAD"))
            client.pump()
            #expect(client.response(UInt32(2 * index + 1))?.status == 200)
        }
        #expect(client.responder.recorded.count == 3)
        #expect(server.requestsInFlight.load(ordering: .relaxed) == 0)
        #expect(server.shed.load(ordering: .relaxed) == 0)
    }
}
