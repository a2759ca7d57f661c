import Glibc

/// A point in UTC wall-clock time with microsecond precision, formatted as RFC 3339.
///
/// Read from `CLOCK_REALTIME` without Foundation, so stamping a decision costs one `clock_gettime`.
/// Formatting (``rfc3339``) happens later, on the writer's thread.
public struct WallClockTime: Sendable, Hashable, Comparable {
    /// Microseconds since the Unix epoch (1970-01-01T00:00:00Z).
    public var microsecondsSinceEpoch: Int64

    /// Creates a time from microseconds since the Unix epoch.
    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// The current time from `CLOCK_REALTIME`.
    public static func now() -> WallClockTime {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return WallClockTime(microsecondsSinceEpoch: Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000)
    }

    /// Seconds since the epoch as a `Double`, as Prometheus timestamps gauges expect.
    public var secondsSinceEpoch: Double {
        Double(self.microsecondsSinceEpoch) / 1_000_000
    }

    public static func < (lhs: WallClockTime, rhs: WallClockTime) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// The time as RFC 3339 in UTC with six fractional digits: `2026-11-29T04:10:06.123456Z`.
    public var rfc3339: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        self.appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``rfc3339`` to `bytes` without building an intermediate `String`.
    func appendRFC3339(to bytes: inout [UInt8]) {
        // Floor division, so times before 1970 still get a non-negative fraction.
        var seconds = self.microsecondsSinceEpoch / 1_000_000
        var micros = self.microsecondsSinceEpoch % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var clock = time_t(seconds)
        var parts = tm()
        gmtime_r(&clock, &parts)
        Self.appendDigits(Int(parts.tm_year) + 1900, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(Int(parts.tm_mon) + 1, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(Int(parts.tm_mday), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        Self.appendDigits(Int(parts.tm_hour), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(Int(parts.tm_min), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(Int(parts.tm_sec), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        Self.appendDigits(Int(micros), width: 6, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    private static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = max(value, 0)
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        if digits.count < width {
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count))
        }
        bytes.append(contentsOf: digits.reversed())
    }
}
