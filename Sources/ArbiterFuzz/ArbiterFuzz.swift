// ArbiterFuzz: the fuzz targets of Arbiter (sar, http1, http2, policy, kubectl), in one binary.
//
// Built normally it replays inputs (seeds under Tests/Fixtures/fuzz/, crash regressions) through a
// target without libFuzzer; `make fuzz-replay` does that for every target and CI runs it:
//   ArbiterFuzz TARGET FILE|DIR...
//
// With libFuzzer (work in progress, see the note of the session that added it): this links and runs
//   swift build --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING -Xswiftc -gnone \
//       -Xswiftc -use-ld=lld -Xlinker --allow-multiple-definition --product ArbiterFuzz --scratch-path .build-fuzz
//   ARBITER_FUZZ_TARGET=sar .build-fuzz/debug/ArbiterFuzz -max_total_time=60 CORPUS_DIR
// (gold crashes on the duplicate `main`; lld with --allow-multiple-definition links, libFuzzer's
// `main` wins and calls `LLVMFuzzerTestOneInput` below), but libFuzzer reports only ~4,700
// coverage counters and seeds add no coverage, so the Swift modules do not seem to feed it yet:
// do not count such runs as fuzzing until that is resolved.
import Foundation

#if FUZZING
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// The target libFuzzer drives (a C callback cannot capture it). Written once in `main`,
    /// before the driver starts; libFuzzer runs inputs on this thread.
    nonisolated(unsafe) var chosenTarget: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil

    /// libFuzzer's entry point, for when its own `main` is the one linked: picks the target from
    /// `ARBITER_FUZZ_TARGET` on the first call.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        if chosenTarget == nil {
            let name = ProcessInfo.processInfo.environment["ARBITER_FUZZ_TARGET"] ?? ""
            guard let selected = FuzzTargets.all[name] else {
                FileHandle.standardError.write(Data("set ARBITER_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted())\n".utf8))
                exit(2)
            }
            chosenTarget = selected
        }
        chosenTarget?(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
#endif

@main
struct ArbiterFuzzMain {
    static func main() throws {
        #if FUZZING
            let name = ProcessInfo.processInfo.environment["ARBITER_FUZZ_TARGET"] ?? ""
            guard let selected = FuzzTargets.all[name] else {
                FileHandle.standardError.write(Data("set ARBITER_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted())\n".utf8))
                exit(2)
            }
            chosenTarget = selected
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    chosenTarget?(UnsafeRawBufferPointer(start: data, count: size))
                    return 0
                })
        #else
            let arguments = Array(CommandLine.arguments.dropFirst())
            guard let name = arguments.first, let target = FuzzTargets.all[name], arguments.count > 1 else {
                print("usage: ArbiterFuzz TARGET FILE|DIR...  (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))")
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
                let files =
                    isDirectory.boolValue
                    ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 } : [path]
                for file in files {
                    let data = try Data(contentsOf: URL(fileURLWithPath: file))
                    data.withUnsafeBytes { target($0) }
                    count += 1
                }
            }
            print("\(name): \(count) inputs replayed, no failure")
        #endif
    }
}
