import ArbiterPosix
import Glibc

/// A server's state on one loop thread: its listeners and the connections they accepted.
///
/// Loop-confined; reached from other threads only through ``LoopBound`` inside
/// ``EventLoop/execute(_:)``.
final class ServerLoop {
    let loop: EventLoop
    let context: ServerContext
    private(set) var acceptors: [Acceptor] = []
    private var connections: [ObjectIdentifier: Connection] = [:]
    /// True once graceful shutdown has begun: new handshakes are told to drain immediately.
    private(set) var isDraining = false
    /// One read buffer per loop, shared by its connections (reads never interleave on a thread).
    let readBuffer: UnsafeMutableRawBufferPointer

    init(loop: EventLoop, context: ServerContext) {
        self.loop = loop
        self.context = context
        self.readBuffer = .allocate(byteCount: 16 * 1024, alignment: 16)
    }

    deinit {
        self.readBuffer.deallocate()
    }

    /// Starts accepting on `fds` (listening, non-blocking); `exclusive` for sockets shared by loops.
    func startAccepting(on fds: [Int32], exclusive: Bool) throws(SystemError) {
        for fd in fds {
            let acceptor = Acceptor(fd: fd, exclusive: exclusive, serverLoop: self)
            try acceptor.start()
            self.acceptors.append(acceptor)
        }
    }

    /// Creates and starts a connection for an accepted socket.
    func adopt(fd: Int32, shedding: Bool) {
        let connection = Connection(fd: fd, serverLoop: self, tlsContext: self.context.tlsContext, shedding: shedding)
        self.connections[ObjectIdentifier(connection)] = connection
        connection.start()
    }

    /// Called by a connection once it has closed its socket.
    func connectionClosed(_ connection: Connection) {
        self.connections[ObjectIdentifier(connection)] = nil
    }

    /// Stops accepting, closes the listeners we own, and asks every connection to drain.
    func beginGracefulShutdown(closeListeners: Bool) {
        self.isDraining = true
        for acceptor in self.acceptors { acceptor.stop(closing: closeListeners) }
        self.acceptors.removeAll()
        for connection in Array(self.connections.values) { connection.beginGracefulShutdown() }
    }

    /// Closes every remaining connection at once (graceful deadline passed).
    func closeAll() {
        for connection in Array(self.connections.values) { connection.forceClose() }
    }

    var openConnectionCount: Int { self.connections.count }
}

@available(*, unavailable)
extension ServerLoop: Sendable {}
