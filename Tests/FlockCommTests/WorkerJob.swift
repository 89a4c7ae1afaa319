import FlockComm
import Foundation

/// Runs N copies of the FlockCommTestWorker program as a job on 127.0.0.1: the test
/// process hosts the store (as a launcher would, on a port the OS picks), each worker
/// gets its rank in the environment, output goes to files, and every process is killed
/// if it outlives the deadline. One harness for every multi-process test.
struct WorkerJob {
    /// What one worker did.
    struct Outcome {
        let rank: Int
        /// The exit status, or nil when the process was killed by a signal.
        let exitCode: Int32?
        let output: String
        /// Seconds from the start of the job to this worker's exit.
        let seconds: Double
    }

    let scenario: String
    let worldSize: Int
    var token = "test-token"
    /// Per-rank extra environment (for example a wrong token for one rank).
    var environment: (Int) -> [String: String] = { _ in [:] }
    /// The workers' own collective timeout.
    var workerTimeoutSeconds = 60
    /// When set, rank `kill.rank` gets SIGKILL once its ready file exists.
    var kill: (rank: Int, readyFile: String)? = nil
    var deadline: Duration = .seconds(180)

    /// The worker binary, built next to the test bundle.
    static var workerPath: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundle.appendingPathComponent("FlockCommTestWorker").path]
        // An .xctest bundle directory on other platforms.
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("FlockCommTestWorker").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    func run() throws -> [Outcome] {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flock-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = Date()
        var processes: [Process] = []
        defer {
            for process in processes where process.isRunning { killHard(process.processIdentifier) }
        }
        for rank in 0..<worldSize {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.workerPath)
            process.arguments = [scenario]
            var variables = ProcessInfo.processInfo.environment
            variables["RANK"] = "\(rank)"
            variables["WORLD_SIZE"] = "\(worldSize)"
            variables["MASTER_ADDR"] = "127.0.0.1"
            variables["MASTER_PORT"] = "\(server.port)"
            variables["FLOCK_TOKEN"] = token
            variables["FLOCK_STORE"] = "launcher"
            variables["WORKER_TIMEOUT"] = "\(workerTimeoutSeconds)"
            if let kill { variables["WORKER_READY_FILE"] = kill.readyFile }
            variables.merge(environment(rank)) { $1 }
            process.environment = variables
            let log = folder.appendingPathComponent("rank\(rank).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            processes.append(process)
        }
        var exitTimes = [Double?](repeating: nil, count: worldSize)
        let end = Date().addingTimeInterval(Double(deadline.components.seconds))
        var killed = false
        while Date() < end && exitTimes.contains(where: { $0 == nil }) {
            for (rank, process) in processes.enumerated() where exitTimes[rank] == nil && !process.isRunning {
                exitTimes[rank] = Date().timeIntervalSince(start)
            }
            if let kill, !killed, FileManager.default.fileExists(atPath: "\(kill.readyFile).\(kill.rank)") {
                killHard(processes[kill.rank].processIdentifier)
                killed = true
            }
            Thread.sleep(forTimeInterval: 0.01)  // Polling a condition with a deadline.
        }
        return processes.enumerated().map { rank, process in
            if process.isRunning { killHard(process.processIdentifier) }
            process.waitUntilExit()
            let output =
                (try? String(contentsOf: folder.appendingPathComponent("rank\(rank).log"), encoding: .utf8)) ?? ""
            let exited = process.terminationReason == .exit
            return Outcome(
                rank: rank, exitCode: exited ? process.terminationStatus : nil, output: output,
                seconds: exitTimes[rank] ?? Date().timeIntervalSince(start))
        }
    }
}

/// SIGKILL, the way a crashed or OOM-killed worker disappears.
func killHard(_ pid: Int32) {
    kill(pid, SIGKILL)
}
