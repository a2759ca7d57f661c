import ArbiterPosix
import Glibc
import Synchronization
import Testing

@testable import ArbiterHTTP

/// The verified-chain cache: what it remembers (only chains that passed, within their validity and
/// the configured lifetime), how it is bounded, and that a server using it still rejects every
/// certificate it must reject.
@Suite struct VerifiedChainCacheTests {
    private static func key(_ n: UInt64) -> VerifiedChainCache.Key { .init(words: (n, n &* 31, 7, 9)) }

    private static func hit(_ table: VerifiedChainCache.Table, _ n: UInt64, now: Int) -> Bool {
        table.contains(Self.key(n), now: now)
    }

    @Test func entryAnswersOnlyWithinItsValidity() {
        var table = VerifiedChainCache.Table(capacity: 4)
        table.insert(Self.key(1), validFrom: 100, validUntil: 200)
        #expect(!Self.hit(table, 1, now: 99))
        #expect(Self.hit(table, 1, now: 100))
        #expect(Self.hit(table, 1, now: 199))
        #expect(!Self.hit(table, 1, now: 200))
        #expect(!Self.hit(table, 2, now: 150))
        // Verified again later: the same slot, a new window.
        table.insert(Self.key(1), validFrom: 300, validUntil: 400)
        #expect(table.entries.count == 1)
        #expect(Self.hit(table, 1, now: 350))
        #expect(!Self.hit(table, 1, now: 150))
    }

    @Test func emptyWindowsAndZeroCapacityRememberNothing() {
        var table = VerifiedChainCache.Table(capacity: 4)
        table.insert(Self.key(1), validFrom: 200, validUntil: 200)
        table.insert(Self.key(2), validFrom: 300, validUntil: 200)
        #expect(table.entries.isEmpty)
        var none = VerifiedChainCache.Table(capacity: 0)
        none.insert(Self.key(1), validFrom: 0, validUntil: 10)
        #expect(!Self.hit(none, 1, now: 5))
    }

    @Test func fullTableReplacesTheOldestEntry() {
        var table = VerifiedChainCache.Table(capacity: 3)
        for n in 1...3 { table.insert(Self.key(UInt64(n)), validFrom: 0, validUntil: 1000) }
        // Re-inserting a present key refreshes it without taking a second slot.
        table.insert(Self.key(2), validFrom: 0, validUntil: 2000)
        #expect(table.entries.count == 3)
        table.insert(Self.key(4), validFrom: 0, validUntil: 1000)
        #expect(!Self.hit(table, 1, now: 1))
        #expect(Self.hit(table, 2, now: 1500))
        #expect(Self.hit(table, 3, now: 1))
        #expect(Self.hit(table, 4, now: 1))
        for n in 5...40 { table.insert(Self.key(UInt64(n)), validFrom: 0, validUntil: 1000) }
        #expect(table.entries.count == 3)
        #expect(Self.hit(table, 40, now: 1))
    }

    @Test func reverifiedChainKeepsOneSlotSoTheRingNeverDropsItsFreshEntry() {
        var table = VerifiedChainCache.Table(capacity: 2)
        table.insert(Self.key(1), validFrom: 0, validUntil: 10)
        #expect(!Self.hit(table, 1, now: 20))  // expired
        table.insert(Self.key(1), validFrom: 0, validUntil: 100)  // verified again
        table.insert(Self.key(2), validFrom: 0, validUntil: 100)
        #expect(Self.hit(table, 1, now: 20))
        #expect(Self.hit(table, 2, now: 20))
        table.insert(Self.key(3), validFrom: 0, validUntil: 100)  // replaces the oldest: 1
        #expect(!Self.hit(table, 1, now: 20))
        #expect(Self.hit(table, 2, now: 20))
        #expect(Self.hit(table, 3, now: 20))
        #expect(table.entries.count == 2)
    }

    private static func serve(_ client: TLSTestClient, _ path: String) -> Int? {
        client.send("GET \(path) HTTP/1.1\r\nhost: a\r\n\r\n")
        return client.readResponses(1).first?.status
    }

    @Test func reconnectingClientIsServedFromTheCacheAndRejectedClientsStayRejected() throws {
        let server = try TestServer(threads: 1)
        let context = server.server.currentTLSContext
        #expect(Self.serve(try server.client(), "/first") == 200)
        #expect(context.verifiedChainCacheMisses == 1)
        #expect(context.verifiedChainCacheHits == 0)
        #expect(Self.serve(try server.client(), "/second") == 200)
        // A chain found in the cache still yields the verified identity.
        let third = try server.client()
        third.send("GET /third HTTP/1.1\r\nhost: a\r\n\r\n")
        let answer = third.readResponses(1).first
        #expect(answer?.status == 200)
        #expect(answer?.bodyText.contains("cn=alice\n") == true)
        #expect(answer?.bodyText.contains("groups=team-a,team-b\n") == true)
        #expect(context.verifiedChainCacheHits == 2)
        #expect(context.verifiedChainCacheMisses == 1)
        #expect(context.verifiedChains?.count == 1)

        // Failures are verified every time and never remembered.
        for (round, name) in ["expired", "other-client", "expired"].enumerated() {
            let rejected = try TLSTestClient(
                port: server.port, certificate: try TestPKI.path("\(name).crt"), key: try TestPKI.path("\(name).key"))
            rejected.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
            #expect(rejected.readUntilClose().isEmpty, "\(name)")
            #expect(context.verifiedChainCacheMisses == 2 + round, "\(name)")
        }
        #expect(context.verifiedChainCacheHits == 2)
        #expect(context.verifiedChains?.count == 1)
        #expect(TestServer.eventually { server.metrics.handshakesFailed(.expired) == 2 })
        #expect(TestServer.eventually { server.metrics.handshakesFailed(.unknownCA) == 1 })
        #expect(Self.serve(try server.client(), "/again") == 200)
        #expect(context.verifiedChainCacheHits == 3)
    }

    @Test func rotatedContextStartsEmptyAndRejectsChainsItsPredecessorAccepted() throws {
        let server = try TestServer(threads: 1)
        let old = server.server.currentTLSContext
        #expect(Self.serve(try server.client(), "/a") == 200)
        #expect(Self.serve(try server.client(), "/b") == 200)
        #expect(old.verifiedChainCacheHits == 1)

        var rotated = try TestServer.tlsConfiguration()
        rotated.clientCAPath = try TestPKI.path("other-ca.crt")
        server.server.replaceTLSContext(try server.server.makeTLSContext(rotated))
        let alice = try server.client()
        alice.send("GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        #expect(alice.readUntilClose().isEmpty)
        #expect(server.server.currentTLSContext.verifiedChainCacheHits == 0)
        #expect(server.server.currentTLSContext.verifiedChainCacheMisses == 1)
        #expect(TestServer.eventually { server.metrics.handshakesFailed(.unknownCA) == 1 })
        // The server's totals span both contexts: they only grow, as /metrics needs.
        #expect(server.server.metrics.verifiedChainCache.hits.load(ordering: .relaxed) == 1)
        #expect(server.server.metrics.verifiedChainCache.misses.load(ordering: .relaxed) == 2)
    }

    @Test func capacityZeroVerifiesEveryHandshake() throws {
        let server = try TestServer(threads: 1) { $0.tls.verifiedChainCacheCapacity = 0 }
        #expect(Self.serve(try server.client(), "/a") == 200)
        #expect(Self.serve(try server.client(), "/b") == 200)
        #expect(server.server.currentTLSContext.verifiedChains == nil)
        #expect(server.server.currentTLSContext.verifiedChainCacheHits == 0)
    }

    @Test func entriesNeverOutliveTheLifetimeOrTheCertificate() throws {
        // A context's cache keeps the chain for min(lifetime, earliest notAfter): with a lifetime of
        // one second the second connection, two seconds later, is verified again.
        let server = try TestServer(threads: 1) { $0.tls.verifiedChainCacheLifetime = .seconds(1) }
        let context = server.server.currentTLSContext
        #expect(Self.serve(try server.client(), "/a") == 200)
        sleep(2)
        #expect(Self.serve(try server.client(), "/b") == 200)
        #expect(context.verifiedChainCacheHits == 0)
        #expect(context.verifiedChainCacheMisses == 2)
    }
}
