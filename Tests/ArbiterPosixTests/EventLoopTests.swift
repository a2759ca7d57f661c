import ArbiterPosix
import Glibc
import Synchronization
import Testing

@Suite struct EventLoopTests {
    @Test func executeRunsTasksFromManyThreadsOnTheLoopThread() throws {
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let count = Atomic<Int>(0)
        let offLoop = Atomic<Int>(0)
        let done = BlockingSemaphore()
        let threads = 4
        let perThread = 500
        var handles: [pthread_t] = []
        final class Work: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        for _ in 0..<threads {
            let work = Work {
                for _ in 0..<perThread {
                    loop.execute {
                        if !loop.inEventLoop { offLoop.add(1, ordering: .relaxed) }
                        if count.add(1, ordering: .relaxed).newValue == threads * perThread { done.signal() }
                    }
                }
            }
            var thread = pthread_t()
            let box = Unmanaged.passRetained(work).toOpaque()
            pthread_create(&thread, nil, { argument in
                Unmanaged<Work>.fromOpaque(argument!).takeRetainedValue().body()
                return nil
            }, box)
            handles.append(thread)
        }
        for thread in handles { pthread_join(thread, nil) }
        #expect(done.wait(seconds: 10))
        #expect(count.load(ordering: .relaxed) == threads * perThread)
        #expect(offLoop.load(ordering: .relaxed) == 0)
        #expect(!loop.inEventLoop)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let fired = LockedValue<[Int]>([])
        let done = BlockingSemaphore()
        loop.execute {
            let start = ContinuousClock.now
            for (index, delay) in [30, 10, 20, 0].enumerated() {
                loop.scheduleTimer(at: start + .milliseconds(delay)) { fired.withLock { $0.append(index) } }
            }
            let cancelled = loop.scheduleTimer(at: start + .milliseconds(15)) { fired.withLock { $0.append(99) } }
            loop.cancelTimer(cancelled)
            loop.scheduleTimer(at: start + .milliseconds(50)) { done.signal() }
        }
        #expect(done.wait(seconds: 10))
        #expect(fired.withLock { $0 } == [3, 1, 2, 0])
    }

    @Test func readinessEventsReachTheRegisteredHandler() throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[1]) }
        let received = BlockingSemaphore()
        final class Reader: EventHandler {
            let fd: Int32
            let received: BlockingSemaphore
            var registration: EventLoop.Registration?
            let loop: EventLoop
            init(fd: Int32, loop: EventLoop, received: BlockingSemaphore) {
                self.fd = fd
                self.loop = loop
                self.received = received
            }
            func handleEvents(_ events: UInt32) {
                var byte: UInt8 = 0
                if read(self.fd, &byte, 1) == 1 && byte == 42 {
                    self.received.signal()
                    self.loop.deregister(self.registration!)
                    close(self.fd)
                }
            }
        }
        let fd = fds[0]
        let registered = BlockingSemaphore()
        loop.execute {
            let reader = Reader(fd: fd, loop: loop, received: received)
            reader.registration = try? loop.register(fd: fd, interest: EventLoop.Interest.readable, handler: reader)
            registered.signal()
        }
        #expect(registered.wait(seconds: 5))
        var byte: UInt8 = 42
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(received.wait(seconds: 5))
    }

    @Test func loopBoundValueIsReachableOnItsLoop() throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        final class Counter { var value = 0 }
        let bound = LoopBound(Counter(), loop: group.loops[0])
        let done = BlockingSemaphore()
        let seen = Atomic<Int>(0)
        for _ in 0..<10 {
            group.loops[0].execute {
                bound.value.value += 1
                seen.store(bound.value.value, ordering: .relaxed)
            }
        }
        group.loops[0].execute { done.signal() }
        #expect(done.wait(seconds: 5))
        #expect(seen.load(ordering: .relaxed) == 10)
    }
}
