import Glibc
import Testing

@testable import ArbiterWebhook

@Suite struct SignalWatcherTests {
    @Test func deliversSignalsDirectedAtTheWatcherThread() throws {
        let received = Recorder<Int32>()
        let watcher = try SignalWatcher(signals: [SIGUSR1, SIGUSR2, SIGHUP]) { received.append($0) }
        defer { watcher.stop() }
        #expect(pthread_kill(watcher.threadID, SIGUSR1) == 0)
        #expect(waitUntil { received.all.contains(SIGUSR1) })
        #expect(pthread_kill(watcher.threadID, SIGHUP) == 0)
        #expect(waitUntil { received.all.contains(SIGHUP) })
        #expect(pthread_kill(watcher.threadID, SIGUSR2) == 0)
        #expect(waitUntil { received.all.contains(SIGUSR2) })
        #expect(received.all == [SIGUSR1, SIGHUP, SIGUSR2])
    }

    @Test func stopEndsTheThreadAndIsIdempotent() throws {
        let received = Recorder<Int32>()
        let watcher = try SignalWatcher(signals: [SIGUSR2], pollInterval: .milliseconds(20)) { received.append($0) }
        watcher.stop()
        watcher.stop()
        // The thread has been joined, so nothing can be delivered to the callback any more.
        #expect(received.all.isEmpty)
    }

    @Test func signalNamesForLogs() {
        #expect(SignalWatcher.name(of: SIGHUP) == "SIGHUP")
        #expect(SignalWatcher.name(of: SIGTERM) == "SIGTERM")
        #expect(SignalWatcher.name(of: SIGINT) == "SIGINT")
        #expect(SignalWatcher.serviceSignals == [SIGHUP, SIGTERM, SIGINT])
    }
}
