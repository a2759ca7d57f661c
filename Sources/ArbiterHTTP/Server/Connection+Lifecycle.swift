import ArbiterPosix
import Glibc
import Synchronization

extension Connection {
    // MARK: - Timers

    /// The earliest instant something must happen on this connection, or `nil`.
    private var desiredDeadline: ContinuousClock.Instant? {
        switch self.state {
        case .handshaking:
            return self.phaseDeadline
        case .active(let handler):
            let write: ContinuousClock.Instant? =
                self.hasPendingOutput ? self.lastWriteProgress + self.configuration.writeTimeout : nil
            switch (handler.nextDeadline, write) {
            case (let a?, let b?): return min(a, b)
            case (let a?, nil): return a
            case (nil, let b?): return b
            case (nil, nil): return nil
            }
        case .lingering:
            return self.phaseDeadline
        case .closed:
            return nil
        }
    }

    /// Makes sure a loop timer fires no later than ``desiredDeadline``.
    ///
    /// Deadlines move often (every request), so a timer is only replaced when the new deadline is
    /// earlier; a timer that fires early just re-arms for the later deadline.
    func rearmTimer() {
        guard let desired = self.desiredDeadline else { return }
        if let armed = self.armedDeadline, armed <= desired { return }
        if let timer = self.timer { self.serverLoop.loop.cancelTimer(timer) }
        self.armedDeadline = desired
        self.timer = self.serverLoop.loop.scheduleTimer(at: desired) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.armedDeadline = nil
            self.timerFired(now: .now)
            self.rearmTimer()
        }
    }

    private func timerFired(now: ContinuousClock.Instant) {
        switch self.state {
        case .handshaking:
            if now >= self.phaseDeadline {
                self.serverLoop.context.report(.handshakeFailed(.timeout, detail: "no complete handshake within the handshake timeout"))
                self.close()
            }
        case .active(let handler):
            if self.hasPendingOutput && now >= self.lastWriteProgress + self.configuration.writeTimeout {
                self.serverLoop.context.report(.connectionError(.timeout, detail: "no write progress within the write timeout"))
                self.close()
                return
            }
            if let deadline = handler.nextDeadline, deadline <= now {
                handler.deadlineReached(now: now)
                self.serve()
            }
        case .lingering:
            if now >= self.phaseDeadline { self.close() }
        case .closed:
            return
        }
    }

    // MARK: - Closing

    /// Half-closes and waits for the peer's FIN (pitfall 2).
    func startLingering(sendCloseNotify: Bool) {
        if self.isHandshaking { self.serverLoop.handshakeEnded() }
        if sendCloseNotify { self.tls?.sendCloseNotify() }
        Posix.shutdown(self.fd, Int32(SHUT_WR))
        self.state = .lingering(drained: 0)
        self.phaseDeadline = .now + self.configuration.lingerTimeout
        self.setInterest(EventLoop.Interest.readable)
        self.drainWhileLingering()
    }

    /// Reads and discards what the peer still sends; closes on its FIN, an error, or too many bytes.
    func drainWhileLingering() {
        guard case .lingering(var drained) = self.state else { return }
        let buffer = self.serverLoop.readBuffer
        while true {
            let result: IOResult<Int>
            do {
                result = try Posix.read(self.fd, buffer)
            } catch {
                self.close()
                return
            }
            switch result {
            case .wouldBlock:
                self.state = .lingering(drained: drained)
                return
            case .processed(0):
                self.close()
                return
            case .processed(let count):
                drained += count
                if drained > Self.maxDrainBytes {
                    self.close()
                    return
                }
            }
        }
    }

    /// Releases everything: epoll registration, timer, TLS session, descriptor. Idempotent.
    func close() {
        if case .closed = self.state { return }
        if self.isHandshaking { self.serverLoop.handshakeEnded() }
        self.state = .closed
        if let timer = self.timer {
            self.serverLoop.loop.cancelTimer(timer)
            self.timer = nil
        }
        if let registration = self.registration {
            // An accepted socket is never duplicated: closing it below takes it out of epoll.
            self.serverLoop.loop.deregister(registration, descriptorClosing: true)
            self.registration = nil
        }
        self.tls?.free()
        Posix.close(self.fd)
        self.metrics.connectionsOpen.subtract(1, ordering: .relaxed)
        self.releaseSlots()
        self.serverLoop.connectionClosed(self)
    }
}

/// The handler of a connection that must not be served (an `h2` connection while shedding load):
/// it wants nothing, so the connection closes right after the handshake.
final class ClosedHandler: HTTPProtocolHandler {
    func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {}
    func produceOutput(into output: inout [UInt8], limit: Int) {}
    var hasPendingOutput: Bool { false }
    var isFinished: Bool { true }
    var nextDeadline: ContinuousClock.Instant? { nil }
    func deadlineReached(now: ContinuousClock.Instant) {}
    func beginGracefulShutdown() {}
}
