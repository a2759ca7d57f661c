#if canImport(Glibc)
    import Glibc
#endif

/// A timing loop for ``HTTP2Session`` alone: no sockets, no TLS, a synthetic client.
///
/// The client sends batches of `streamsPerBatch` multiplexed POSTs (HEADERS + one DATA frame each,
/// literal HPACK fields, as a client without a dynamic table would) in one buffer, the session
/// answers them through `responder`, and the output is drained and discarded. Each batch ends with
/// a connection-level WINDOW_UPDATE crediting exactly the DATA bytes of the previous answers, as a
/// real client does. Run it in a release build.
///
/// Both wall time and the thread's CPU time are measured around the session's work only (building
/// the client's frames is not timed); on a shared machine the CPU time is the steadier figure.
public enum HTTP2SessionBenchmark: Sendable {
    /// Nanoseconds per request.
    public struct Result: Sendable {
        public var wallNanosecondsPerRequest: Double
        public var cpuNanosecondsPerRequest: Double
        public var requests: Int
    }

    /// Runs `requests` requests (rounded up to whole batches) and measures them.
    ///
    /// - Parameters:
    ///   - requests: How many requests to time (after a warm-up of one batch).
    ///   - streamsPerBatch: Concurrent streams per client write.
    ///   - requestBody: The body of every POST.
    ///   - responder: Answers every request; its body size drives the output volume.
    public static func run(
        requests: Int,
        streamsPerBatch: Int = 16,
        requestBody: [UInt8],
        responder: any Responder
    ) -> Result {
        typealias Frames = HTTP2FrameBuilder
        let clock = ContinuousClock()
        let session = HTTP2Session(responder: responder, peer: nil, now: clock.now)
        let preface = Frames.clientPreface + Frames.settings() + Frames.settings(ack: true)

        preface.withUnsafeBytes { session.receive($0, now: clock.now) }
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        drain(session, into: &output)

        let block = Frames.headerBlock([
            (":method", "POST"), (":scheme", "https"), (":path", "/authorize"), (":authority", "arbiter"),
            ("content-type", "application/json"), ("content-length", String(requestBody.count)),
        ])
        var nextStreamID: UInt32 = 1
        var batch: [UInt8] = []
        var credit: UInt32 = 0
        func makeBatch() {
            batch.removeAll(keepingCapacity: true)
            for _ in 0..<streamsPerBatch {
                batch += Frames.headers(streamID: nextStreamID, block: block, endStream: false)
                batch += Frames.data(streamID: nextStreamID, requestBody, endStream: true)
                nextStreamID += 2
            }
            if credit > 0 {
                batch += Frames.windowUpdate(streamID: 0, increment: credit)
            }
        }

        let batches = max(1, (requests + streamsPerBatch - 1) / streamsPerBatch)
        makeBatch()
        batch.withUnsafeBytes { session.receive($0, now: clock.now) }
        drain(session, into: &output)
        credit = dataBytes(in: output)

        var elapsed = Duration.zero
        var cpu: UInt64 = 0
        var timed = 0
        for _ in 0..<batches {
            if nextStreamID > UInt32(Int32.max) - UInt32(4 * streamsPerBatch) { break }
            makeBatch()  // not timed: it stands for the client
            let start = clock.now
            let cpuStart = threadCPUNanoseconds()
            batch.withUnsafeBytes { session.receive($0, now: start) }
            drain(session, into: &output)
            cpu += threadCPUNanoseconds() &- cpuStart
            elapsed += clock.now - start
            timed += streamsPerBatch
            credit = dataBytes(in: output)
        }
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        let count = max(1, timed)
        return Result(
            wallNanosecondsPerRequest: nanoseconds / Double(count),
            cpuNanosecondsPerRequest: Double(cpu) / Double(count),
            requests: timed
        )
    }

    /// CPU time of the calling thread (0 where the clock is unavailable).
    private static func threadCPUNanoseconds() -> UInt64 {
        #if canImport(Glibc)
            var spec = timespec()
            guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec) == 0 else { return 0 }
            return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
        #else
            return 0
        #endif
    }

    /// Takes all pending output into `output` (replacing what it held).
    private static func drain(_ session: HTTP2Session, into output: inout [UInt8]) {
        output.removeAll(keepingCapacity: true)
        for _ in 0..<100_000 {
            guard session.hasPendingOutput else { break }
            session.produceOutput(into: &output, limit: 256 * 1024)
        }
    }

    /// The DATA payload bytes in `output`, which holds whole frames.
    private static func dataBytes(in output: [UInt8]) -> UInt32 {
        var total = 0
        var offset = 0
        while offset + 9 <= output.count {
            let length = Int(output[offset]) << 16 | Int(output[offset + 1]) << 8 | Int(output[offset + 2])
            if output[offset + 3] == HTTP2FrameBuilder.FrameType.data.rawValue { total += length }
            offset += 9 + length
        }
        return UInt32(clamping: total)
    }
}
