import FlockComm
import FlockTestSupport
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
    static var workerPath: String { TestBinary.path("FlockCommTestWorker") }

    func run() throws -> [Outcome] {
        let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: token)
        defer { server.stop() }
        let start = Date()
        let processes = try (0..<worldSize).map { rank in
            var variables = [
                "RANK": "\(rank)", "WORLD_SIZE": "\(worldSize)", "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": "\(server.port)", "FLOCK_TOKEN": token, "FLOCK_STORE": "launcher",
                "WORKER_TIMEOUT": "\(workerTimeoutSeconds)",
            ]
            if let kill { variables["WORKER_READY_FILE"] = kill.readyFile }
            variables.merge(environment(rank)) { $1 }
            return try TestProcess(Self.workerPath, [scenario], environment: variables)
        }
        var exitTimes = [Double?](repeating: nil, count: worldSize)
        var killed = false
        _ = waitUntil(seconds: Double(deadline.components.seconds), interval: 0.01) {
            for (rank, process) in processes.enumerated() where exitTimes[rank] == nil && !process.process.isRunning {
                exitTimes[rank] = Date().timeIntervalSince(start)
            }
            if let kill, !killed, FileManager.default.fileExists(atPath: "\(kill.readyFile).\(kill.rank)") {
                processes[kill.rank].signal(SIGKILL)
                killed = true
            }
            return !exitTimes.contains { $0 == nil }
        }
        return processes.enumerated().map { rank, process in
            _ = process.finish(within: 0, stop: SIGKILL)
            let exited = process.process.terminationReason == .exit
            return Outcome(
                rank: rank, exitCode: exited ? process.process.terminationStatus : nil, output: process.output,
                seconds: exitTimes[rank] ?? Date().timeIntervalSince(start))
        }
    }
}
