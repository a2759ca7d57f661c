import Foundation

/// How long a load that misses the caches takes on this host right now: a chain of dependent
/// loads in random order over a buffer, so that neither the hardware prefetchers nor
/// overlapping misses hide any of it. Printed with the engine benchmark because, on a shared
/// host, how much of the last-level cache a process gets changes with its neighbours, and the
/// large policy's figures with it.
enum MemoryProbe {
    /// Nanoseconds per dependent load over `mebibytes` of memory (one load per 64-byte line).
    static func latency(mebibytes: Int, loads: Int = 2_000_000) -> Double {
        let lines = mebibytes << 14
        let wordsPerLine = 8
        let buffer = UnsafeMutableBufferPointer<Int>.allocate(capacity: lines * wordsPerLine)
        defer { buffer.deallocate() }
        // A random cyclic order of the lines (Sattolo's shuffle: one cycle through all of them).
        var order = Array(0..<lines)
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for i in stride(from: lines - 1, to: 0, by: -1) {
            state = state &+ 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            z ^= z >> 31
            order.swapAt(i, Int(z % UInt64(i)))
        }
        for i in 0..<lines { buffer[order[i] * wordsPerLine] = order[(i + 1) % lines] * wordsPerLine }
        // Every line read once (and mapped) before the clock starts; one cycle ends where it began.
        var position = 0
        for _ in 0..<lines { position = buffer[position] }
        precondition(position == 0, "the chain is not one cycle through every line")
        let start = EngineBenchmark.now()
        for _ in 0..<loads { position = buffer[position] }
        let elapsed = Double(EngineBenchmark.now() - start)
        // The rest of the cycle, untimed: the chain must be back at its start (this also keeps
        // the timed loads from being optimised away).
        for _ in 0..<(lines - loads % lines) % lines { position = buffer[position] }
        precondition(position == 0, "the chain is not one cycle through every line")
        return elapsed / Double(loads)
    }

    /// One line: the latency of a dependent load over 4, 16 and 64 MiB.
    static var summary: String {
        [4, 16, 64].map { size in
            "\(size) MiB " + String(format: "%.0f ns", latency(mebibytes: size))
        }.joined(separator: ", ")
    }
}
