import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The worker processes of a local cluster, supervised: each is this same binary started
/// again with the cluster's address in its environment, and one that exits while the
/// cluster runs (killed, crashed in a task) is replaced by a fresh one under the same
/// index, so a crashing task costs its retries, not the cluster's capacity.
final class LocalWorkers: @unchecked Sendable {  // state guarded by `lock`
    private let executable: String
    private let arguments: [String]
    private let environment: [String: String]
    private let lock = NSLock()
    private var processes: [Int: Process] = [:]
    private var extraEnvironment: [Int: [String: String]] = [:]
    private var stopping = false
    private var restartCount = 0

    /// Prepares workers that run `executable` with `environment` added to ours.
    init(executable: String, arguments: [String], environment: [String: String]) {
        self.executable = executable
        self.arguments = arguments
        self.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }

    /// The environment that makes this binary a worker (`Cluster.serveIfWorker` reads it):
    /// the address of the head it connects to (nil: given to `start`, once the head
    /// listens), the token, and its node's store folders.
    static func environment(head: String?, token: String, directory: ObjectDirectory) -> [String: String] {
        var environment = [
            "FLOCK_TOKEN": token, "FLOCK_RUNTIME_OBJECTS": directory.memory, "FLOCK_RUNTIME_SPILL": directory.spill,
            "FLOCK_RUNTIME_NODE": "\(directory.node)",
        ]
        environment["FLOCK_RUNTIME_HEAD"] = head
        return environment
    }

    /// The running workers' process ids, by index.
    var processIDs: [Int32] {
        lock.withLock { processes.keys.sorted().compactMap { processes[$0]?.processIdentifier } }
    }

    /// How many workers were replaced so far.
    var restarts: Int { lock.withLock { restartCount } }

    /// Starts worker `index` with `extra` in its environment (kept for its replacements).
    /// - Throws: when the process cannot be started.
    func start(_ index: Int, environment extra: [String: String]? = nil) throws {
        let extra = lock.withLock {
            if let extra { extraEnvironment[index] = extra }
            return extraEnvironment[index] ?? [:]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment.merging(extra) { $1 }.merging(["FLOCK_RUNTIME_WORKER": "\(index)"]) { $1 }
        process.terminationHandler = { [weak self] _ in self?.exited(index) }
        try lock.withLock {
            guard !stopping else { return }
            try process.run()
            processes[index] = process
        }
    }

    /// Kills worker `index` (hung or silent); it is replaced like any worker that exits.
    func kill(_ index: Int) {
        guard let process = lock.withLock({ processes[index] }), process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Stops every worker and waits for them; none is replaced from here on. SIGTERM
    /// first; a worker still running after `grace` (it ignores or blocks the signal, or is
    /// stuck) gets SIGKILL, so stopping never hangs on one.
    func stop(grace: Duration = .seconds(3)) {
        let all = lock.withLock {
            stopping = true
            return Array(processes.values)
        }
        for process in all where process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + grace
        while all.contains(where: \.isRunning), ContinuousClock.now < deadline { usleep(10_000) }
        for process in all where process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        for process in all { process.waitUntilExit() }
    }

    private func exited(_ index: Int) {
        let replace = lock.withLock { () -> Bool in
            guard !stopping else { return false }
            restartCount += 1
            return true
        }
        guard replace else { return }
        // A short pause so that a binary that cannot start does not spin.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) { try? self.start(index) }
    }
}
