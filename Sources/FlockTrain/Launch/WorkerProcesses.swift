import FlockComm
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The worker processes one launcher runs for one round: started with their ranks in the
/// environment, their output forwarded line by line with a `[rank N]` prefix, stopped
/// with SIGTERM then SIGKILL.
final class WorkerProcesses: @unchecked Sendable {
    /// How a worker ended.
    struct Exit {
        let rank: Int
        /// The exit status, or 128 + the signal that killed it (the shell's convention).
        let code: Int32
        let description: String
    }

    private let processes: [(rank: Int, process: Process)]
    /// When each rank's process ended (the first failure is the cause; the others usually
    /// fail because of it).
    private let exitTimes = ExitTimes()
    /// Where workers record the instant they exit (FlockComm's `ExitRecord`).
    private let records = FileManager.default.temporaryDirectory
        .appendingPathComponent("flock-exits-\(getpid())-\(UUID().uuidString)").path
    /// Left by each output reader when its worker's output has ended.
    private let outputDone = DispatchGroup()

    /// Starts one process per entry of `ranks` with `environment` plus its own variables.
    init(configuration: LaunchConfiguration, ranks: [Int], environment: (Int, Int) -> [String: String]) throws {
        var processes: [(Int, Process)] = []
        try? FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        for (localRank, rank) in ranks.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: configuration.program)
            process.arguments = configuration.arguments
            process.environment = ProcessInfo.processInfo.environment
                .merging(environment(rank, localRank)) { $1 }
                .merging(["FLOCK_EXIT_RECORD": "\(records)/rank-\(rank)"]) { $1 }
            process.terminationHandler = { [exitTimes] _ in exitTimes.observed(rank, at: ExitRecord.now()) }
            let output: (reader: FileHandle, writer: FileHandle)
            do {
                output = try Self.outputPipe()
                process.standardOutput = output.writer
                process.standardError = output.writer
                try process.run()
                try? output.writer.close()  // the worker holds its own copy
            } catch {
                for (_, started) in processes { started.terminate() }
                throw LaunchError.cannotStart(
                    program: configuration.program, reason: "\(error)\(Self.openFileLimitNote())")
            }
            outputDone.enter()
            Thread { [outputDone] in
                Self.forward(output.reader, prefix: "[rank \(rank)] ")
                outputDone.leave()
            }.start()
            processes.append((rank, process))
        }
        self.processes = processes
    }

    /// A pipe for a worker's output, both ends closed on exec. Foundation's `Pipe()` traps
    /// when the process is out of descriptors; this throws instead.
    private static func outputPipe() throws -> (reader: FileHandle, writer: FileHandle) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw PipeFailure(description: "no pipe for its output: \(errnoText())") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (
            FileHandle(fileDescriptor: ends[0], closeOnDealloc: true),
            FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
        )
    }

    private struct PipeFailure: Error, CustomStringConvertible { let description: String }

    /// The current error number's text.
    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// A hint when the open-file limit is low, the usual reason starting a worker fails
    /// with EMFILE or EBADF; empty otherwise.
    private static func openFileLimitNote() -> String {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < 1024 else {
            return ""
        }
        return " (this process may open at most \(limit.rlim_cur) files; raise the limit with `ulimit -n`)"
    }

    /// The first worker that ended unsuccessfully, if any: by the instant it recorded at
    /// exit, else (a crash, a signal) by when the launcher learned of it, dated back by
    /// `reportGrace` for a crash: a crashed rank records nothing and is learned of late,
    /// while the peers that lost their connections to it record their exits at once, and
    /// the crash is the cause. Nil while a worker that recorded an earlier exit has not yet
    /// been reported ended (for at most `reportGrace`), and for `errorGrace` after an error
    /// exit while others still run: a crash that caused it may not be learned of yet.
    var failure: Exit? {
        let observed = exitTimes.observedRanks
        let failed = observed.compactMap { rank, observed -> (Int64, Exit, crashed: Bool)? in
            guard let process = processes.first(where: { $0.rank == rank })?.process else { return nil }
            let exit = Self.exit(rank: rank, process)
            guard exit.code != 0 else { return nil }
            if let recorded = ExitRecord.read("\(records)/rank-\(rank)") { return (recorded, exit, false) }
            let crashed = Self.crashed(process)
            return (crashed ? observed - Self.reportGrace : observed, exit, crashed)
        }
        guard let first = failed.min(by: { $0.0 < $1.0 }) else { return nil }
        let now = ExitRecord.now()
        let earlierUnreported = processes.contains { rank, _ in
            guard !observed.contains(where: { $0.rank == rank }),
                let recorded = ExitRecord.read("\(records)/rank-\(rank)")
            else { return false }
            return recorded < first.0 && now - recorded < Self.reportGrace
        }
        let firstSeen = observed.first { $0.rank == first.1.rank }?.observed ?? now
        let othersRunning = processes.contains { $0.process.isRunning }
        let mayAwaitCrash = !first.crashed && othersRunning && now - firstSeen < Self.errorGrace
        return earlierUnreported || mayAwaitCrash ? nil : first.1
    }

    /// How long (nanoseconds) to wait for the end of a worker that recorded its exit.
    private static let reportGrace: Int64 = 2_000_000_000
    /// How long (nanoseconds) an error exit waits for a crash that may have caused it.
    private static let errorGrace: Int64 = 500_000_000

    /// Whether `process` ended by a signal that means a crash or a kill (not SIGTERM or
    /// SIGPIPE, which follow from others' ends).
    private static func crashed(_ process: Process) -> Bool {
        process.terminationReason == .uncaughtSignal
            && [SIGKILL, SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE].contains(process.terminationStatus)
    }

    /// Whether every worker has ended successfully.
    var allSucceeded: Bool { processes.allSatisfy { !$0.process.isRunning && $0.process.terminationStatus == 0 } }

    /// Sends `signal` to every running worker.
    func signal(_ signal: Int32) {
        for (_, process) in processes where process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Stops every worker: SIGTERM, then SIGKILL after `grace`; returns when all have ended.
    func stop(grace: Duration) {
        signal(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while processes.contains(where: { $0.process.isRunning }) && ContinuousClock.now < deadline {
            usleep(20_000)
        }
        signal(SIGKILL)
        for (_, process) in processes { process.waitUntilExit() }
        _ = outputDone.wait(timeout: .now() + 2)
        try? FileManager.default.removeItem(atPath: records)
    }

    private static func exit(rank: Int, _ process: Process) -> Exit {
        let status = process.terminationStatus
        if process.terminationReason == .uncaughtSignal {
            return Exit(rank: rank, code: 128 + status, description: "rank \(rank) was killed by signal \(status)")
        }
        return Exit(rank: rank, code: status, description: "rank \(rank) exited with code \(status)")
    }

    private static let outputLock = NSLock()

    /// Copies `handle` to standard output, each line prefixed, until end of file.
    private static func forward(_ handle: FileHandle, prefix: String) {
        var pending = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                write(prefix, pending[pending.startIndex...newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty { write(prefix, pending + Data("\n".utf8)) }
    }

    private static func write(_ prefix: String, _ line: Data) {
        outputLock.lock()
        defer { outputLock.unlock() }
        FileHandle.standardOutput.write(Data(prefix.utf8) + line)
    }
}

/// When the launcher learned of each rank's exit (from termination handlers).
private final class ExitTimes: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var times: [(rank: Int, observed: Int64)] = []

    func observed(_ rank: Int, at time: Int64) { lock.withLock { times.append((rank, time)) } }
    var observedRanks: [(rank: Int, observed: Int64)] { lock.withLock { times } }
}

/// Why the launcher could not run the job.
public enum LaunchError: Error, CustomStringConvertible {
    case cannotStart(program: String, reason: String)
    case rendezvous(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .cannotStart(let program, let reason): "cannot start \(program): \(reason)"
        case .rendezvous(let reason): "rendezvous failed: \(reason)"
        case .invalidArgument(let reason): reason
        }
    }
}
