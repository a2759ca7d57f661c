import ArbiterPosix
import COpenSSL
import Glibc
public import Synchronization

/// Remembers client certificate chains that passed verification against one ``TLSContext``, so that
/// a client reconnecting with the same chain skips the chain verification (`X509_verify_cert`):
/// about 13% of a server's CPU per mutual-TLS handshake (≈ 0.96 M of 7.4 M instructions, one of
/// the two ECDSA verifications; see docs/benchmarks.md).
///
/// What is skipped, and why that is sound:
/// - Only the *chain* check: "this exact sequence of certificates chains to a trusted CA, within
///   its validity, with the right purpose and depth". For one context (fixed CA store and verify
///   parameters) its answer depends only on the certificates' bytes and on the time. The key is a
///   SHA-256 over the SHA-256 of every certificate the client sent, in order; a hit means the
///   same bytes were verified before.
/// - Time: an entry is valid only from the latest `notBefore` to the earliest `notAfter` of the
///   verified chain (trust anchor included), and never longer than ``Policy/lifetime`` after it
///   was verified.
/// - Proof of possession is never skipped: OpenSSL still checks the client's CertificateVerify
///   signature with the certificate's key on every handshake; this cache sits behind
///   `SSL_CTX_set_cert_verify_callback`, which replaces only `X509_verify_cert`.
/// - Rotation: the cache belongs to its context. A new CA bundle is a new ``TLSContext`` with an
///   empty cache, so nothing verified against a retired bundle is ever accepted by its successor.
/// - Failures are never remembered; a chain that failed is verified again (and fails again).
///
/// Bounded: at most ``Policy/capacity`` entries, the oldest replaced first. Thread-safe: the loop
/// threads of one server share a context, so lookups take a mutex (tens of nanoseconds against
/// hundreds of microseconds of handshake).
final class VerifiedChainCache: @unchecked Sendable {
    /// How many chains and for how long; `capacity` 0 turns the cache off.
    struct Policy: Sendable, Equatable {
        var capacity: Int
        var lifetime: Duration
    }

    /// SHA-256 of the chain's certificates (see the type's documentation).
    struct Key: Hashable {
        var words: (UInt64, UInt64, UInt64, UInt64)
        static func == (a: Key, b: Key) -> Bool {
            a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
        }
        func hash(into hasher: inout Hasher) {
            hasher.combine(self.words.0)
            hasher.combine(self.words.1)
        }
    }

    /// The entries, without OpenSSL: what a lookup and an insertion decide (tested directly).
    struct Table {
        struct Entry: Equatable {
            /// Seconds since the epoch: the entry answers for `validFrom <= now < validUntil`.
            var validFrom: Int
            var validUntil: Int
        }

        let capacity: Int
        private(set) var entries: [Key: Entry] = [:]
        /// Keys in insertion order, as a ring: `order[next]` is replaced by the next insertion.
        private var order: [Key] = []
        private var next = 0

        /// Nothing is reserved: a server usually sees a handful of client chains, and every TLS
        /// reload builds a new table.
        init(capacity: Int) {
            self.capacity = max(0, capacity)
        }

        /// True when `key` was verified and its entry covers `now`. An entry outside its
        /// validity stays until a new verification of the same chain replaces it or the ring
        /// reaches it, so that the dictionary and the ring always hold the same keys.
        func contains(_ key: Key, now: Int) -> Bool {
            guard let entry = self.entries[key] else { return false }
            return entry.validFrom <= now && now < entry.validUntil
        }

        /// Remembers `key` for `validFrom <= now < validUntil`; replaces the oldest entry when full.
        mutating func insert(_ key: Key, validFrom: Int, validUntil: Int) {
            guard self.capacity > 0, validFrom < validUntil else { return }
            if self.entries.updateValue(Entry(validFrom: validFrom, validUntil: validUntil), forKey: key) != nil {
                return  // already in the ring
            }
            if self.order.count < self.capacity {
                self.order.append(key)
                return
            }
            // INVARIANT (ring-keys): every key is in the ring exactly once while in `entries`.
            self.entries[self.order[self.next]] = nil
            self.order[self.next] = key
            self.next = (self.next + 1) % self.capacity
        }
    }

    let policy: Policy
    private let table: LockedValue<Table>
    private let sha256: OpaquePointer
    /// Handshakes whose chain was found here.
    let hits = Atomic<Int>(0)
    /// Handshakes whose chain went through `X509_verify_cert` (passed or not).
    let misses = Atomic<Int>(0)
    /// The same counts, added up over every cache that shares them (a server's, across rotations).
    let totals: VerifiedChainCacheCounters?

    /// The longest chain (leaf included) the cache keys; longer chains are always verified.
    static let maximumChainLength = 12

    init?(policy: Policy, totals: VerifiedChainCacheCounters? = nil) {
        guard policy.capacity > 0, policy.lifetime > .zero, let sha256 = EVP_MD_fetch(nil, "SHA256", nil) else {
            return nil
        }
        self.policy = policy
        self.totals = totals
        self.table = LockedValue(Table(capacity: policy.capacity))
        self.sha256 = sha256
    }

    deinit {
        EVP_MD_free(self.sha256)
    }

    private func countHit() {
        self.hits.add(1, ordering: .relaxed)
        self.totals?.hits.add(1, ordering: .relaxed)
    }

    private func countMiss() {
        self.misses.add(1, ordering: .relaxed)
        self.totals?.misses.add(1, ordering: .relaxed)
    }

    /// The number of chains remembered (expired ones included until they are replaced).
    var count: Int { self.table.withLock { $0.entries.count } }

    /// Verifies the chain in `storeContext` as `X509_verify_cert` would, answering from the cache
    /// when the same chain passed before. Returns 1 when verified, 0 otherwise (the store
    /// context's error then says why, as OpenSSL's own verification leaves it).
    func verify(_ storeContext: OpaquePointer) -> Int32 {
        guard let key = self.key(storeContext) else {
            self.countMiss()
            return X509_verify_cert(storeContext)
        }
        let now = time(nil)
        if self.table.withLock({ $0.contains(key, now: now) }) {
            self.countHit()
            return 1
        }
        self.countMiss()
        let result = X509_verify_cert(storeContext)
        if result == 1, X509_STORE_CTX_get_error(storeContext) == X509_V_OK,
            let chain = X509_STORE_CTX_get0_chain(storeContext),
            let validity = Self.validity(of: chain)
        {
            let lifetime = Int(self.policy.lifetime.components.seconds)
            let until = min(validity.until, now + lifetime)
            self.table.withLock { $0.insert(key, validFrom: validity.from, validUntil: until) }
        }
        return result
    }

    /// The chain's key: SHA-256 over the SHA-256 of the leaf and of every certificate the peer
    /// sent (OpenSSL passes the whole sent chain, leaf first, as the untrusted set). `nil` when a
    /// digest fails or the chain is longer than ``maximumChainLength``.
    private func key(_ storeContext: OpaquePointer) -> Key? {
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext) else { return nil }
        let sent = X509_STORE_CTX_get0_untrusted(storeContext)
        let count = sent.map { Int(COpenSSL_sk_X509_num($0)) } ?? 0
        guard count < Self.maximumChainLength else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32 * (count + 1)) { buffer -> Key? in
            guard let base = buffer.baseAddress else { return nil }
            var length: UInt32 = 0
            guard X509_digest(leaf, self.sha256, base, &length) == 1, length == 32 else { return nil }
            // OpenSSL's sent set starts with the leaf itself (same object): digest it once.
            let first = count > 0 && COpenSSL_sk_X509_value(sent, 0) == leaf ? 1 : 0
            for index in first..<count {
                guard let certificate = COpenSSL_sk_X509_value(sent, Int32(index)),
                    X509_digest(certificate, self.sha256, base + 32 * (index + 1 - first), &length) == 1, length == 32
                else { return nil }
            }
            let digested = count + 1 - first
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            let ok = withUnsafeMutableBytes(of: &words) { out -> Bool in
                var outLength: UInt32 = 0
                return EVP_Digest(base, 32 * digested, out.baseAddress, &outLength, self.sha256, nil) == 1
                    && outLength == 32
            }
            return ok ? Key(words: words) : nil
        }
    }

    /// The latest `notBefore` and earliest `notAfter` of a verified chain, in seconds since the epoch.
    static func validity(of chain: OpaquePointer) -> (from: Int, until: Int)? {
        let count = COpenSSL_sk_X509_num(chain)
        guard count > 0 else { return nil }
        var from = Int.min
        var until = Int.max
        for index in 0..<count {
            guard let certificate = COpenSSL_sk_X509_value(chain, index),
                let notBefore = X509_get0_notBefore(certificate).flatMap(Self.seconds),
                let notAfter = X509_get0_notAfter(certificate).flatMap(Self.seconds)
            else { return nil }
            from = max(from, notBefore)
            until = min(until, notAfter)
        }
        return (from, until)
    }

    private static func seconds(_ time: UnsafePointer<ASN1_TIME>) -> Int? {
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        let value = timegm(&parts)
        return value == -1 ? nil : Int(value)
    }
}

/// `SSL_CTX_set_cert_verify_callback` target: `argument` is the context's ``VerifiedChainCache``,
/// kept alive by the ``TLSContext`` that every connection using this `SSL_CTX` holds.
func verifiedChainCacheCallback(_ storeContext: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let storeContext else { return 0 }
    guard let argument else { return X509_verify_cert(storeContext) }
    return Unmanaged<VerifiedChainCache>.fromOpaque(argument).takeUnretainedValue().verify(storeContext)
}

/// Hits and misses of the verified-chain caches that share it: a server's, over every TLS context
/// it has used. A context's own cache starts empty and its counts with it; these only grow, as a
/// Prometheus counter must across certificate rotations.
public final class VerifiedChainCacheCounters: Sendable {
    /// Handshakes whose client chain was found among the chains already verified.
    public let hits = Atomic<Int>(0)
    /// Handshakes whose client chain went through full verification (passed or not).
    public let misses = Atomic<Int>(0)

    public init() {}
}
