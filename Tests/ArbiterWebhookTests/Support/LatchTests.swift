import Glibc
import Synchronization
import Testing

@testable import ArbiterWebhook

/// A shared integer for closures on other threads (`Atomic` itself cannot be captured).
private final class SharedInt: Sendable {
    private let value = Atomic<Int>(0)
    var current: Int { value.load(ordering: .acquiring) }
    func set(_ newValue: Int) { value.store(newValue, ordering: .releasing) }
    func increment() { value.add(1, ordering: .acquiringAndReleasing) }
}

@Suite struct LatchTests {
    @Test func waitTimesOutUntilSetThenReturnsAtOnce() throws {
        let latch = try Latch()
        #expect(!latch.isSet)
        #expect(!latch.wait(timeout: .milliseconds(20)))
        latch.set()
        latch.set()  // idempotent
        #expect(latch.isSet)
        #expect(latch.wait(timeout: .zero))
        #expect(latch.wait())  // no timeout: returns because it is set, and stays set
        #expect(latch.isSet)
    }

    @Test func wakesAWaiterOnAnotherThread() throws {
        let latch = try Latch()
        let woke = SharedInt()
        let waiter = try BackgroundThread.start(name: "latch-test") {
            latch.wait()
            woke.set(1)
        }
        #expect(woke.current == 0)
        latch.set()
        waiter.join()
        #expect(woke.current == 1)
    }
}

@Suite struct WatchdogPingerTests {
    @Test func pingsOnlyWhileHealthyAndStopsPromptly() throws {
        let healthy = SharedInt()
        healthy.set(1)
        let pings = SharedInt()
        let checks = SharedInt()
        let pinger = try WatchdogPinger(
            every: .milliseconds(5),
            isHealthy: {
                checks.increment()
                return healthy.current == 1
            },
            ping: { pings.increment() })
        #expect(waitUntil { pings.current >= 3 })
        // Unhealthy: checks go on, pings stop.
        healthy.set(0)
        let checksBefore = checks.current
        #expect(waitUntil { checks.current >= checksBefore + 2 })
        let pingsWhileUnhealthy = pings.current
        let checksAfter = checks.current
        #expect(waitUntil { checks.current >= checksAfter + 3 })
        #expect(pings.current == pingsWhileUnhealthy)
        // Healthy again: pings resume.
        healthy.set(1)
        #expect(waitUntil { pings.current > pingsWhileUnhealthy })
        // stop() joins the thread, so nothing is checked afterwards.
        pinger.stop()
        let checksAtStop = checks.current
        usleep(30_000)
        #expect(checks.current == checksAtStop)
    }

    @Test func stopReturnsWithoutWaitingForTheInterval() throws {
        let pinger = try WatchdogPinger(every: .seconds(3600), isHealthy: { true }, ping: {})
        // The thread sleeps on the latch, not in usleep: stop() wakes it at once. (If it slept
        // the interval, this test would hang for an hour and time out.)
        pinger.stop()
    }
}
