import Foundation

/// A `flock launch` process started by a test: its output goes to a file, and it is
/// killed (with everything it started) if it outlives `deadline`.
final class LaunchedJob {
    let process = Process()
    let log: URL
    private let start = Date()

    /// A binary built next to the test bundle ("flock", "FlockTrainTestWorker").
    static func binary(_ name: String) -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent(name).path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Starts `flock launch LAUNCH-ARGUMENTS -- PROGRAM...` with `environment` added, in
    /// `folder` (default: the test's own working folder).
    init(
        _ launchArguments: [String], program: [String], environment: [String: String] = [:], in folder: URL? = nil
    ) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("flock-launch-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: Self.binary("flock"))
        process.arguments = ["launch"] + launchArguments + ["--"] + program
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let folder { process.currentDirectoryURL = folder }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(at: log) }

    /// Everything the launcher and its workers printed so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Seconds since the start.
    var elapsed: Double { Date().timeIntervalSince(start) }

    /// Waits until `condition` holds on the output (true) or `seconds` pass (false).
    func waitFor(seconds: Double, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(output) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition(output)
    }

    /// Waits for the launcher to exit (killing it and its workers after `seconds`);
    /// returns its exit status, nil if it had to be killed.
    func finish(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// The process ids of the running workers whose command line contains `text`.
    static func workerIDs(matching text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let command = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return command.contains(text) && !command.contains(" launch ")
        }
    }
}
