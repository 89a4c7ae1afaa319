import Foundation

// One binary for every fuzz target (see Fuzz/README.md).
//
// Built by Fuzz/run with `--sanitize fuzzer -DFLOCK_LIBFUZZER`, libFuzzer owns `main` and
// calls `LLVMFuzzerTestOneInput` with inputs for the target named by FLOCK_FUZZ_TARGET.
// Built plainly (`swift build`), `main` replays files through a target instead:
// `FlockFuzz TARGET FILE...`, which is how a crash a fuzzer found is reproduced in a
// debugger, and how the tests run the seed corpus.

/// The target FLOCK_FUZZ_TARGET names, or a message listing the known ones.
func selectedTarget(_ name: String?) -> Result<@Sendable ([UInt8]) -> Void, FuzzSetupError> {
    guard let name, let target = fuzzTargets[name] else {
        return .failure(
            FuzzSetupError(message: "unknown fuzz target \(name ?? "(none)"); known: \(fuzzTargets.keys.sorted())"))
    }
    return .success(target)
}

/// Why the fuzz binary cannot start.
struct FuzzSetupError: Error {
    let message: String
}

#if FLOCK_LIBFUZZER
    nonisolated(unsafe) private var target: (([UInt8]) -> Void)?

    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        if target == nil {
            switch selectedTarget(ProcessInfo.processInfo.environment["FLOCK_FUZZ_TARGET"]) {
            case .success(let selected): target = selected
            case .failure(let error): fatalError(error.message)
            }
        }
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        target?(bytes)
        return 0
    }
#else
    @main
    struct Replay {
        static func main() {
            let arguments = CommandLine.arguments.dropFirst()
            if arguments.first == "--write-seeds", let folder = arguments.dropFirst().first {
                writeSeeds(to: folder)
                return
            }
            let target: ([UInt8]) -> Void
            switch selectedTarget(arguments.first) {
            case .success(let selected): target = selected
            case .failure(let error):
                print("usage: FlockFuzz TARGET FILE...\n\(error.message)")
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("cannot read \(path)")
                    exit(2)
                }
                target(Array(data))
                count += 1
            }
            print("\(arguments.first ?? ""): \(count) inputs replayed without a crash")
        }

        /// Writes each target's seeds to FOLDER/TARGET/seed-N.
        static func writeSeeds(to folder: String) {
            for (target, inputs) in fuzzSeeds {
                let directory = "\(folder)/\(target)"
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for (index, input) in inputs.enumerated() {
                    _ = FileManager.default.createFile(atPath: "\(directory)/seed-\(index)", contents: Data(input))
                }
            }
            print("wrote the seeds of \(fuzzSeeds.count) targets to \(folder)")
        }
    }
#endif
