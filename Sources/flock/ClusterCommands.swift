import ArgumentParser
import FlockComm
import FlockRuntime
import Foundation

/// `flock start --head`: starts a long-running cluster on this machine in the background
/// (the same binary with `--foreground`), waits until it listens, and records its address
/// and a fresh token in the cluster file for `flock status`, `flock stop` and
/// `Cluster.connect()`. `flock start --address HOST:PORT` joins this machine to a running
/// cluster as a node (`NodeAgent`), in the background likewise.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a long-running cluster's head on this machine, or join this machine to one as a node.")

    @Flag(help: "Start the head (programs join it with Cluster.connect).")
    var head = false

    @Option(help: "host:port of a running cluster's head to join as a node (token: FLOCK_TOKEN or the cluster file).")
    var address: String?

    @Option(help: "Interface to listen on (the head's port, its jobs' and a node's object servers).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 6380

    @Option(help: "Workers started on this machine for each program that connects (default: the number of cores).")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Memory limit of each job's object store in MiB before objects spill to disk.")
    var objectStoreMib: Int?

    @Flag(help: "Run the daemon in this process instead of in the background.")
    var foreground = false

    func validate() throws {
        guard head != (address != nil) else {
            throw ValidationError("give either --head (start a cluster) or --address HOST:PORT (join one)")
        }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        if let address { return try await join(address) }
        if foreground {
            let token = ProcessInfo.processInfo.environment["FLOCK_TOKEN"] ?? JobToken.generate()
            try JobToken.checkStrength(token, host: host)
            try await ClusterDaemon.run(
                host: host, port: port, token: token, workersPerJob: workers,
                objectStoreBytes: objectStoreMib.map { $0 << 20 }
            ) { address in
                try ClusterFile(address: address, token: token, processID: getpid()).write()
                print("flock: cluster listening at \(address)")
            }
            ClusterFile.remove()
            return
        }
        if let running = try ClusterFile.read(), kill(running.processID, 0) == 0 {
            throw ValidationError("a cluster is already running at \(running.address) (pid \(running.processID))")
        }
        ClusterFile.remove()
        let log = ClusterFile.path + ".log"
        let token = ProcessInfo.processInfo.environment["FLOCK_TOKEN"] ?? JobToken.generate()
        try JobToken.checkStrength(token, host: host)
        try await startInBackground(token: token, log: log, what: "the cluster did not start") { daemon, _ in
            guard let file = try? ClusterFile.read(), file.processID == daemon else { return nil }
            return "flock: cluster started at \(file.address) (pid \(file.processID); log \(log))\n"
                + "programs on this machine join it with Cluster.connect(); `flock status`, `flock stop`"
        }
    }

    /// Runs this command again with `--foreground` in the background (its output in `log`,
    /// `token` in its environment), and waits (up to 30 s) until `started` (given its
    /// process id and its output so far) returns what to print.
    /// - Throws: `ValidationError` starting with `what` and the log when it exits or times out first.
    private func startInBackground(
        token: String, log: String, what: String, started: (Int32, String) -> String?
    ) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = Array(CommandLine.arguments.dropFirst()) + ["--foreground"]
        process.environment = ProcessInfo.processInfo.environment.merging(["FLOCK_TOKEN": token]) { $1 }
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw ValidationError("cannot write the log \(log)")
        }
        // One open file for both: two would each write from offset 0 over the other's lines.
        let logFile = FileHandle(forWritingAtPath: log)
        process.standardOutput = logFile
        process.standardError = logFile
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let message = started(process.processIdentifier, output) {
                print(message)
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw ValidationError("\(what):\n\(output)")
    }
}

extension StartCommand {
    /// Joins the cluster at `address` as a node: in this process with `--foreground`, else
    /// in the background (waiting until it has joined, its log in the temporary folder).
    private func join(_ address: String) async throws {
        let (_, token) = try ClusterFile.target(address: address)
        try JobToken.checkStrength(token, host: String(address[..<(address.lastIndex(of: ":") ?? address.endIndex)]))
        if foreground {
            try await NodeAgent.run(address: address, token: token, workers: workers, host: host) { node in
                // Unbuffered: `flock start` reads this line from the log while the agent runs.
                FileHandle.standardOutput.write(
                    Data("flock: joined the cluster at \(address) as node \(node) (pid \(getpid()))\n".utf8))
            }
            return
        }
        let log = NSTemporaryDirectory() + "/flock-node-\(UUID().uuidString.prefix(8)).log"
        try await startInBackground(token: token, log: log, what: "the node did not join") { _, output in
            output.split(separator: "\n").first { $0.contains("joined the cluster") }.map { "\($0) (log \(log))" }
        }
    }
}

/// `flock status`: the running cluster's jobs, workers, tasks, objects and store memory.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the running cluster: jobs, workers, tasks, objects, memory.")

    @OptionGroup var target: ClusterTarget

    func run() async throws {
        let (address, token) = try target.resolve()
        let status = try await ClusterDaemon.status(address: address, token: token)
        print("cluster at \(status.address) (pid \(status.processID)), \(status.workersPerJob) workers per job")
        print("\(status.nodes.count + 1) node\(status.nodes.isEmpty ? "" : "s"): the head's (node 0)")
        for node in status.nodes {
            print("- node \(node.id) at \(node.host), \(node.workersPerJob) workers per job")
        }
        print("\(status.jobs.count) job\(status.jobs.count == 1 ? "" : "s")")
        for job in status.jobs {
            let statistics = job.statistics
            let kept = job.detachedActors == 0 ? "" : ", hosts \(job.detachedActors) detached actor"
            print("- \(job.executable) (driver \(job.driver)\(kept)\(job.detachedActors > 1 ? "s" : ""))")
            print(
                "  workers \(statistics.workers) (pids \(statistics.workerProcessIDs), \(statistics.workerRestarts) "
                    + "restarted), unfinished tasks \(statistics.unfinishedTasks), objects \(statistics.objects)")
            print("  resources in use: \(statistics.resourcesInUse) of \(statistics.resources)")
            print(
                "  store \(statistics.storeMemoryBytes >> 20) of \(statistics.storeMemoryLimit >> 20) MiB in memory, "
                    + "\(statistics.spilledObjects) objects (\(statistics.spilledBytes >> 20) MiB) spilled")
        }
    }
}

/// `flock stop`: ends the running cluster's jobs and the cluster.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the running cluster (its jobs end).")

    @OptionGroup var target: ClusterTarget

    func run() async throws {
        let (address, token) = try target.resolve()
        try await ClusterDaemon.stop(address: address, token: token)
        print("flock: cluster at \(address) stopped")
    }
}

/// Which cluster `status` and `stop` talk to.
struct ClusterTarget: ParsableArguments {
    @Option(help: "host:port of the cluster (default: the one `flock start` recorded).")
    var address: String?

    /// The address and token (see `ClusterFile.target`).
    func resolve() throws -> (String, String) { try ClusterFile.target(address: address) }
}

/// `flock token`: prints a fresh token (64 hex digits from the system's secure generator)
/// to give every machine of a job or cluster as FLOCK_TOKEN.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a fresh random token for FLOCK_TOKEN (jobs and clusters across machines need one).")

    func run() {
        print(JobToken.generate())
    }
}
