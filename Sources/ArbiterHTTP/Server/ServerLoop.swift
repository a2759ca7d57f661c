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
    /// This loop's share of ``HTTPServer/Configuration/maxHandshakingConnections``.
    let handshakeLimit: Int
    /// Connections in accept order from ``handshakeQueueHead``, by identity (a closed connection
    /// is not kept alive by the queue); the ones that left their handshake or closed are dropped
    /// from the front as it moves (a handshake lasts at most the handshake timeout, so the queue
    /// holds at most that long's worth of accepts, sixteen bytes each).
    /// An identity is matched with the connection's ``Connection/serial``: a closed connection's
    /// address may be reused by a newer one, which must not take the older one's place.
    private var handshakeQueue: [(id: ObjectIdentifier, serial: UInt64)] = []
    /// The serial of the next connection adopted on this loop.
    private var nextSerial: UInt64 = 0
    private var handshakeQueueHead = 0
    /// Connections of this loop still in their handshake.
    private(set) var handshakesInProgress = 0
    /// Served connections of clients not prioritized on this loop (other loops read it).
    let evictableConnections = LoopCounter()

    init(loop: EventLoop, context: ServerContext, handshakeLimit: Int = .max) {
        self.loop = loop
        self.context = context
        self.handshakeLimit = max(1, handshakeLimit)
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
    func adopt(fd: Int32) {
        self.trimHandshakeQueue()
        if self.handshakesInProgress >= self.handshakeLimit, self.handshakeQueueHead < self.handshakeQueue.count {
            // The front is the oldest connection still handshaking (trimmed above).
            let oldest = self.queuedConnection(at: self.handshakeQueueHead)
            self.handshakeQueueHead += 1
            oldest?.evictFromHandshake(limit: self.handshakeLimit)
        }
        let connection = Connection(
            fd: fd, serverLoop: self, tlsContext: self.context.tlsContext, serial: self.nextSerial)
        self.nextSerial += 1
        self.connections[ObjectIdentifier(connection)] = connection
        self.handshakesInProgress += 1
        self.handshakeQueue.append((ObjectIdentifier(connection), connection.serial))
        connection.start()
    }

    /// Called once by a connection when it leaves its handshake (done, failed or closed).
    func handshakeEnded() {
        self.handshakesInProgress -= 1
    }

    /// The connection a queue entry names, if it is still open (and is the same one).
    private func queuedConnection(at index: Int) -> Connection? {
        let entry = self.handshakeQueue[index]
        guard let connection = self.connections[entry.id], connection.serial == entry.serial else { return nil }
        return connection
    }

    private func trimHandshakeQueue() {
        while self.handshakeQueueHead < self.handshakeQueue.count,
            self.queuedConnection(at: self.handshakeQueueHead)?.isHandshaking != true
        {
            self.handshakeQueueHead += 1
        }
        if self.handshakeQueueHead == self.handshakeQueue.count {
            self.handshakeQueue.removeAll(keepingCapacity: self.handshakeQueue.capacity <= 1024)
            self.handshakeQueueHead = 0
        } else if self.handshakeQueueHead > 64, self.handshakeQueueHead * 2 > self.handshakeQueue.count {
            self.handshakeQueue.removeFirst(self.handshakeQueueHead)
            self.handshakeQueueHead = 0
        }
    }

    /// Makes room for `promoted`, a prioritized client's connection over the limit: schedules
    /// the graceful close of the oldest evictable connection on this loop, or, when this loop
    /// has none, asks another loop that has one to close its oldest (see
    /// ``HTTPServer/Configuration/prioritizedPeer``). False when no loop has one: `promoted` is
    /// then shed like any other. Scans this loop's connections, on the overload path only.
    func makeRoom(for promoted: Connection) -> Bool {
        if self.evictOldest(except: promoted) { return true }
        let other = self.context.loops.withLock { loops in
            loops.first { $0.evictable !== self.evictableConnections && $0.evictable.current > 0 }
        }
        guard let bound = other?.serverLoop else { return false }
        // Optimistic: the other loop closes its oldest evictable connection when it runs the task
        // (if it has none left by then, the server is over the limit by this one connection
        // until any closes).
        bound.loop.execute { _ = bound.value.evictOldest(except: nil) }
        return true
    }

    /// Chooses the oldest evictable connection of this loop and starts its graceful close, from
    /// the loop's top level (the caller may be inside another connection's handshake: INVARIANT
    /// no-reentry); false when there is none.
    private func evictOldest(except excluded: Connection?) -> Bool {
        guard let victim = self.oldestEvictable(except: excluded) else { return false }
        victim.markEvicted()
        self.context.report(.connectionEvicted(detail: "closed to serve a prioritized client over the connection limit"))
        self.loop.scheduleTimer(at: .now) { [weak victim] in victim?.beginGracefulShutdown() }
        return true
    }

    /// The oldest connection of this loop that a prioritized client may have closed.
    private func oldestEvictable(except excluded: Connection?) -> Connection? {
        var victim: Connection? = nil
        for connection in self.connections.values
        where connection !== excluded && connection.isEvictable && (victim.map { connection.serial < $0.serial } ?? true) {
            victim = connection
        }
        return victim
    }

    /// Closes a connection of this loop that serves nobody, to keep the total under the hard
    /// limit for a new one: the oldest lingering after its close, else the oldest being shed,
    /// else the oldest still in its handshake (a client's handshake in progress is the last to
    /// go: it may be one that matters); false when there is none.
    func displaceForNewConnection() -> Bool {
        var best: (rank: Int, serial: UInt64, connection: Connection)? = nil
        for connection in self.connections.values {
            guard let rank = connection.displacementRank else { continue }
            if let current = best, (current.rank, current.serial) < (rank, connection.serial) { continue }
            best = (rank, connection.serial, connection)
        }
        if let best {
            best.connection.displace()
            return true
        }
        self.trimHandshakeQueue()
        if self.handshakeQueueHead < self.handshakeQueue.count, let oldest = self.queuedConnection(at: self.handshakeQueueHead) {
            self.handshakeQueueHead += 1
            oldest.displace()
            return true
        }
        return false
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
