// ArbiterFuzz: the fuzz targets of Arbiter (sar, http1, http2, policy, kubectl), in one binary.
//
// Two builds of the same sources:
//
// * Normal build (`swift build`): replays files through a target without libFuzzer. `make
//   fuzz-replay` does that for the committed seeds and crash regressions (Tests/Fixtures/fuzz/)
//   and CI runs it:
//       .build/debug/ArbiterFuzz TARGET FILE|DIR...
//
// * libFuzzer build (`-DFUZZING`), what `Tests/fuzz/run.sh` and `make fuzz` / `make fuzz-ci` do:
//       swift build --product ArbiterFuzz --scratch-path .build-fuzz \
//           --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
//       ARBITER_FUZZ_TARGET=sar SWIFT_BACKTRACE=enable=no .build-fuzz/debug/ArbiterFuzz \
//           -dict=Tests/fuzz/sar.dict NEW_CORPUS_DIR Tests/Fixtures/fuzz/sar
//   With FUZZING this module has no `main`: libFuzzer's own `main` (linked by `-sanitize=fuzzer`)
//   is the only one, so there is no duplicate symbol to paper over (no lld, no
//   `--allow-multiple-definition`), and it calls `LLVMFuzzerInitialize` (picks the target from
//   `ARBITER_FUZZ_TARGET`, or exits) and `LLVMFuzzerTestOneInput` below.
//
//   Coverage: `-sanitize=fuzzer` on the Swift frontend adds inline 8-bit counters, PC tables and
//   comparison tracing to every module SwiftPM compiles (ArbiterPolicy, ArbiterReview, ArbiterHTTP,
//   ArbiterPosix, Yams, libyaml, this module: ≈87,000 counters in debug with ASan, ≈98,000 in
//   release; `Tests/fuzz/run.sh` fails below 20,000; nghttp2 and OpenSSL are system libraries
//   without counters). `-Xswiftc -sanitize=fuzzer,address` is not redundant, it is the fix for "only ~4,700
//   counters": SwiftPM turns the two `--sanitize` options into `-sanitize=address -sanitize=fuzzer`
//   in the iteration order of a Set (it changes from one `swift build` to the next), and the Swift
//   driver forwards only the last `-sanitize=` to the frontend. So each build was at random either
//   coverage without ASan for the Swift code, or ASan without coverage (only libyaml's ≈4,660
//   counters: C goes through clang, which takes both). One combined option, last, settles it; the
//   script checks the counter count. Run with `SWIFT_BACKTRACE=enable=no`: the Swift
//   backtracer and ASan both want the crash signals.
import Foundation

#if FUZZING
    /// The target libFuzzer drives (a C callback cannot capture it). Written once by
    /// `LLVMFuzzerInitialize`, before any input; libFuzzer runs inputs on that same thread.
    nonisolated(unsafe) var chosenTarget: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil

    /// Called once by libFuzzer before the first input.
    @_cdecl("LLVMFuzzerInitialize")
    public func fuzzInitialize(
        _ argc: UnsafeMutablePointer<Int32>?,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
    ) -> Int32 {
        let name = ProcessInfo.processInfo.environment["ARBITER_FUZZ_TARGET"] ?? ""
        guard let selected = FuzzTargets.all[name] else {
            FileHandle.standardError.write(
                Data("ArbiterFuzz: set ARBITER_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted())\n".utf8))
            exit(2)
        }
        chosenTarget = selected
        return 0
    }

    /// libFuzzer's per-input entry point.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        guard let target = chosenTarget else { fatalError("LLVMFuzzerInitialize did not run") }
        target(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
#else
    @main
    struct ArbiterFuzzMain {
        static func main() throws {
            let arguments = Array(CommandLine.arguments.dropFirst())
            guard let name = arguments.first, let target = FuzzTargets.all[name], arguments.count > 1 else {
                print(
                    "usage: ArbiterFuzz TARGET FILE|DIR...  (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))"
                )
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    print("\(path): no such file or directory")
                    exit(1)
                }
                let files =
                    isDirectory.boolValue
                    ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 } : [path]
                for file in files {
                    let data = try Data(contentsOf: URL(fileURLWithPath: file))
                    data.withUnsafeBytes { target($0) }
                    count += 1
                }
            }
            guard count > 0 else {
                print("\(name): no input replayed")
                exit(1)
            }
            print("\(name): \(count) inputs replayed, no failure")
        }
    }
#endif
