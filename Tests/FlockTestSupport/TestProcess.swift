import Foundation

/// A process a test starts: its output goes to a log file (not a pipe: a process it leaves
/// behind may hold a pipe open long after it ended), it is stopped at its deadline, and it
/// is always reaped, killed first if it still runs when the test lets go of it. The one
/// harness every multi-process test uses.
public final class TestProcess: @unchecked Sendable {  // used by one test at a time
    public let process = Process()
    public let log: URL
    private let start = Date()

    /// Starts `executable` with `arguments`, the test's environment plus `environment`, in
    /// `folder` (default: the test's own), without the variables in `unsetting`. Crash
    /// reports are off unless `environment` asks (tests crash processes on purpose).
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
        in folder: URL? = nil
    ) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("flock-test-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment
            .merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
            .merging(environment) { $1 }
            .filter { !unsetting.contains($0.key) }
        if let folder { process.currentDirectoryURL = folder }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Everything the process printed so far.
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Seconds since the start.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Sends `signal` (SIGKILL: the way a crashed or OOM-killed process disappears).
    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits until `condition` holds on the output (true) or `seconds` pass (false).
    public func waitFor(seconds: Double, _ condition: (String) -> Bool) -> Bool {
        waitUntil(seconds: seconds, interval: 0.05) { condition(output) }
    }

    /// Waits for the process to exit; past `seconds` it gets `stop` (SIGTERM: a launcher
    /// then stops its workers) and is reaped. Returns the exit status, nil when it had to
    /// be stopped (a signal that ended it on its own gives the signal's number).
    public func finish(within seconds: Double, stop: Int32 = SIGTERM) -> Int32? {
        let exited = waitUntil(seconds: seconds, interval: 0.02) { !process.isRunning }
        if !exited { kill(process.processIdentifier, stop) }
        process.waitUntilExit()
        return exited ? process.terminationStatus : nil
    }

    /// Runs `executable` to the end (stopped after `seconds`); returns its exit status (the
    /// signal's number when a signal ended it) and output.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], within seconds: Double = 60
    ) throws -> (Int32, String) {
        let run = try TestProcess(executable, arguments, environment: environment)
        _ = run.finish(within: seconds)
        return (run.process.terminationStatus, run.output)
    }
}

/// Polls `condition` every `interval` seconds until it holds (true) or `seconds` pass
/// (false): a wait on a condition with a deadline, never a fixed sleep.
public func waitUntil(seconds: Double, interval: Double = 0.02, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return condition()
}
