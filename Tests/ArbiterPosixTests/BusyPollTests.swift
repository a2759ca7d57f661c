import Glibc
import Synchronization
import Testing

@testable import ArbiterPosix

/// The decision logic of ``BusyPoller``, over explicit instants.
@Suite struct BusyPollerTests {
    let start = ContinuousClock.now

    func at(_ microseconds: Int) -> ContinuousClock.Instant { start + .microseconds(microseconds) }

    /// One round: events arrive at `arrival`, the work ends at `idle`.
    func round(_ poller: inout BusyPoller, arrival: Int, idle: Int) {
        poller.eventsArrived(now: at(arrival))
        poller.becameIdle(now: at(idle))
    }

    @Test func aZeroBudgetIsDisabled() {
        #expect(!BusyPoller(budget: .zero).isEnabled)
        #expect(!BusyPoller(budget: .microseconds(-5)).isEnabled)
        #expect(BusyPoller(budget: .microseconds(1)).isEnabled)
    }

    @Test func theFirstRoundNeverPolls() {
        var poller = BusyPoller(budget: .microseconds(200))
        round(&poller, arrival: 0, idle: 50)
        #expect(poller.pollUntil == nil)
        let polls51 = poller.shouldPoll(now: at(51))
        #expect(!polls51)
    }

    @Test func aCaughtGapPollsForTwiceTheWork() {
        var poller = BusyPoller(budget: .microseconds(500))
        round(&poller, arrival: 0, idle: 50)  // allowance 100 µs from 50
        round(&poller, arrival: 120, idle: 160)  // gap 70 ≤ 100: caught; 40 µs of work
        #expect(poller.pollUntil == at(240))
        let polls200 = poller.shouldPoll(now: at(200))
        #expect(polls200)
        let polls240 = poller.shouldPoll(now: at(240))
        #expect(!polls240)
        #expect(poller.pollUntil == nil)
    }

    @Test func theBudgetCapsTheAllowance() {
        var poller = BusyPoller(budget: .microseconds(100))
        round(&poller, arrival: 0, idle: 1_000)  // 1 ms of work: allowance capped at 100 µs
        round(&poller, arrival: 1_090, idle: 2_000)
        #expect(poller.pollUntil == at(2_100))
    }

    @Test func aGapLongerThanTheAllowanceStopsPolling() {
        var poller = BusyPoller(budget: .microseconds(500))
        round(&poller, arrival: 0, idle: 50)
        round(&poller, arrival: 100, idle: 150)
        #expect(poller.pollUntil != nil)
        // The next events come 300 µs after idle, past the 100 µs allowance: sleep next time.
        round(&poller, arrival: 450, idle: 500)
        #expect(poller.pollUntil == nil)
        // Light load (a request now and then) never polls.
        for index in 1...5 {
            round(&poller, arrival: 500 + index * 10_000, idle: 500 + index * 10_000 + 20)
            #expect(poller.pollUntil == nil)
        }
        // Back under load: polling resumes after one gap it could have caught.
        round(&poller, arrival: 50_540, idle: 50_560)
        #expect(poller.pollUntil == at(50_600))
    }
}

@Suite struct BusyPollingLoopTests {
    /// A loop that polls still answers readiness events, fires timers, and stops promptly.
    @Test func aPollingLoopServesEventsTimersAndStops() throws {
        let group = try EventLoopGroup(count: 1, busyPoll: .milliseconds(1))
        let loop = group.loops[0]
        #expect(loop.busyPoll == .milliseconds(1))
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[1]) }
        /// Echoes every byte back, and burns a little CPU per round so that rounds have work.
        final class Echo: EventHandler {
            let fd: Int32
            init(fd: Int32) { self.fd = fd }
            func handleEvents(_ events: UInt32) {
                var byte: UInt8 = 0
                guard read(self.fd, &byte, 1) == 1 else { return }
                let until = ContinuousClock.now + .microseconds(100)
                while ContinuousClock.now < until {}
                _ = write(self.fd, &byte, 1)
            }
        }
        let fd = fds[0]
        let registered = BlockingSemaphore()
        let registration = LockedValue<EventLoop.Registration?>(nil)
        loop.execute {
            let handler = Echo(fd: fd)
            let token = try? loop.register(fd: fd, interest: EventLoop.Interest.readable, handler: handler)
            registration.withLock { $0 = token }
            registered.signal()
        }
        #expect(registered.wait(seconds: 5))
        #expect(registration.withLock { $0 } != nil)
        // Round trips close together: the loop polls between them.
        for index in 0..<200 {
            var byte = UInt8(truncatingIfNeeded: index)
            #expect(write(fds[1], &byte, 1) == 1)
            var back: UInt8 = 0
            #expect(read(fds[1], &back, 1) == 1)
            #expect(back == UInt8(truncatingIfNeeded: index))
        }
        // A timer due while the loop may be polling still fires.
        let fired = BlockingSemaphore()
        loop.execute { loop.scheduleTimer(at: .now + .milliseconds(5)) { fired.signal() } }
        var byte: UInt8 = 7
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(fired.wait(seconds: 5))
        let removed = BlockingSemaphore()
        loop.execute {
            if let token = registration.withLock({ $0 }) { loop.deregister(token) }
            close(fd)
            removed.signal()
        }
        #expect(removed.wait(seconds: 5))
        let stopped = ContinuousClock.now
        group.shutdown()
        #expect(ContinuousClock.now - stopped < .seconds(5))
    }
}
