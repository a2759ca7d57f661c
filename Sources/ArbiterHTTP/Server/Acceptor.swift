import ArbiterPosix
import Glibc
import Synchronization

/// Accepts connections from one listening socket on one loop.
///
/// Limits: up to ``HTTPServer/Configuration/maxConnections`` connections are served (decided when
/// a handshake completes, see ``Connection``); the next
/// ``HTTPServer/Configuration/overloadConnectionAllowance`` are served a fast 503 (they still
/// complete a handshake, so the client learns why); beyond that a new connection displaces one
/// that serves nobody on its loop (``ServerLoop/displaceForNewConnection()``), or is closed at
/// once when there is none. When the process or system runs out of descriptors
/// (`EMFILE`/`ENFILE`) the listener is taken out of epoll for ``HTTPServer/Configuration/acceptBackoff`` instead of spinning on a
/// level-triggered readable socket that cannot be accepted.
final class Acceptor: EventHandler {
    let fd: Int32
    private let exclusive: Bool
    private unowned let serverLoop: ServerLoop
    private var registration: EventLoop.Registration?
    private var stopped = false

    init(fd: Int32, exclusive: Bool, serverLoop: ServerLoop) {
        self.fd = fd
        self.exclusive = exclusive
        self.serverLoop = serverLoop
    }

    func start() throws(SystemError) {
        let interest = EventLoop.Interest.readable | (self.exclusive ? EventLoop.Interest.exclusive : 0)
        self.registration = try self.serverLoop.loop.register(fd: self.fd, interest: interest, handler: self)
    }

    /// Stops accepting; `closing` also closes the descriptor (when this loop owns it).
    func stop(closing: Bool) {
        self.stopped = true
        if let registration = self.registration {
            self.serverLoop.loop.deregister(registration)
            self.registration = nil
        }
        if closing { Posix.close(self.fd) }
    }

    func handleEvents(_ events: UInt32) {
        let context = self.serverLoop.context
        let configuration = context.configuration
        let metrics = context.metrics
        // Bounded per readiness event (HTTPServer.Configuration.acceptsPerWakeup), so new handshakes
        // cannot crowd out the connections already being served.
        for _ in 0..<max(1, configuration.acceptsPerWakeup) {
            let result: IOResult<Int32>
            do {
                result = try ListeningSocket.accept(self.fd)
            } catch {
                switch error.errno {
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    context.report(.acceptPaused(error, backoff: configuration.acceptBackoff))
                    self.pause(for: configuration.acceptBackoff)
                    return
                default:
                    // ECONNABORTED, EPROTO, EPERM (firewall), ...: that connection is gone; go on.
                    continue
                }
            }
            guard case .processed(let fd) = result else { return }
            metrics.connectionsAccepted.add(1, ordering: .relaxed)
            let open = metrics.connectionsOpen.add(1, ordering: .relaxed).newValue
            if open > configuration.maxConnections + configuration.overloadConnectionAllowance {
                // At the hard limit. A connection that serves nobody (lingering, shed or still
                // handshaking) makes way for the new one, whose client may be one that matters;
                // only when every open connection here is served is the new one refused.
                metrics.connectionsRejected.add(1, ordering: .relaxed)
                if !self.serverLoop.displaceForNewConnection() {
                    metrics.connectionsOpen.subtract(1, ordering: .relaxed)
                    Posix.close(fd)
                    continue
                }
            }
            self.serverLoop.adopt(fd: fd)
        }
    }

    private func pause(for backoff: Duration) {
        if let registration = self.registration {
            self.serverLoop.loop.deregister(registration)
            self.registration = nil
        }
        self.serverLoop.loop.scheduleTimer(at: .now + backoff) { [weak self] in
            guard let self, !self.stopped else { return }
            // If re-registering fails the listener stays paused; retry after another backoff.
            do { try self.start() } catch { self.pause(for: backoff) }
        }
    }
}

@available(*, unavailable)
extension Acceptor: Sendable {}
