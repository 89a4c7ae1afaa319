import FlockComm
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `flock launch`: starts and supervises this node's workers for a job of one or more
/// launchers, restarting everyone after a failure (elastic training à la torchrun).
///
/// Each round: rendezvous (`Rendezvous`) fixes the members and so the world size; the
/// workers get torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
/// GROUP_RANK, MASTER_ADDR, MASTER_PORT) plus FLOCK_TOKEN, FLOCK_STORE=launcher (the
/// launchers' store serves the workers too), FLOCK_GROUP (a fresh group name per round)
/// FLOCK_RESTART_COUNT and FLOCK_LAUNCHER_PID (a worker whose launcher dies exits, see
/// FlockComm's `LauncherWatch`). The launcher then watches, every 50 ms: its workers' exits,
/// the round's stop key (another member's failure), newcomers waiting to join, and the
/// other members' heartbeats. A failure stops the round on every node; the launchers
/// meet again and restart all workers, which resume from their last checkpoint. After
/// `maxRestarts` failed rounds the launcher exits with the failed worker's exit code.
/// SIGINT and SIGTERM are forwarded to the workers.
public final class ElasticLauncher: @unchecked Sendable {
    private let configuration: LaunchConfiguration
    private let log: (String) -> Void

    /// A launcher for `configuration`; `log` receives its own messages.
    public init(configuration: LaunchConfiguration, log: @escaping (String) -> Void) {
        self.configuration = configuration
        self.log = log
    }

    /// Runs the job to its end; returns the exit code for the launcher process.
    public func run() throws -> Int32 {
        guard configuration.processesPerNode > 0, configuration.minNodes >= 1,
            configuration.minNodes <= configuration.maxNodes
        else {
            throw LaunchError.invalidArgument(
                "need --nproc-per-node >= 1 and 1 <= MIN <= MAX nodes, got \(configuration.processesPerNode) and "
                    + "\(configuration.minNodes):\(configuration.maxNodes)")
        }
        let (server, port) = try hostOrFindStore()
        defer { server?.stop() }
        let store = try RendezvousStore(
            host: configuration.rendezvousHost, port: port, token: configuration.token, timeout: .seconds(30))
        let rendezvous = Rendezvous(store: store, configuration: configuration, timeout: .seconds(600))
        let interrupted = SignalForwarder()
        var previous: Int?
        var failures = 0
        while true {
            let round = try rendezvous.join(after: previous)
            previous = round.number
            log(
                "round \(round.number): node \(round.nodeIndex) of \(round.workersPerNode.count), ranks "
                    + "\(round.firstRank)..<\(round.firstRank + configuration.processesPerNode) of \(round.worldSize)")
            let workers = try WorkerProcesses(
                configuration: configuration,
                ranks: Array(round.firstRank..<round.firstRank + configuration.processesPerNode)
            ) { rank, localRank in
                self.environment(rank: rank, localRank: localRank, round: round, port: port, restarts: failures)
            }
            interrupted.workers = workers
            let outcome = try supervise(workers, round: round, rendezvous: rendezvous, interrupted: interrupted)
            workers.stop(grace: configuration.stopGrace)
            interrupted.workers = nil
            switch outcome {
            case .succeeded:
                log("all workers finished")
                return 0
            case .interrupted(let signal):
                return 128 + signal
            case .membershipChanged:
                log("round \(round.number) ends: a node wants to join")
            case .failed(let reason, let code):
                failures += 1
                guard failures <= configuration.maxRestarts else {
                    log("job failed: \(reason) (no restarts left of \(configuration.maxRestarts))")
                    return code
                }
                log("round \(round.number) failed: \(reason); restart \(failures) of \(configuration.maxRestarts)")
            }
        }
    }

    private enum Outcome {
        case succeeded
        case failed(String, code: Int32)
        case membershipChanged
        case interrupted(Int32)
    }

    /// Watches the round until it ends one way or another.
    private func supervise(
        _ workers: WorkerProcesses, round: Rendezvous.Round, rendezvous: Rendezvous, interrupted: SignalForwarder
    ) throws -> Outcome {
        var lastBeat = ContinuousClock.now - .seconds(1)
        var heard: [Int64] = []
        var heardAt: [ContinuousClock.Instant] = []
        while true {
            if let signal = interrupted.received { return .interrupted(signal) }
            if let exit = workers.failure {
                let reason = try rendezvous.stop(round.number, reason: exit.description)
                return .failed(reason, code: exit.code)
            }
            if workers.allSucceeded { return .succeeded }
            if let reason = try rendezvous.stopReason(round.number) {
                return reason == Self.joinReason ? .membershipChanged : .failed(reason, code: 1)
            }
            if round.workersPerNode.count < configuration.maxNodes, try rendezvous.waiting() > 0 {
                let reason = try rendezvous.stop(round.number, reason: Self.joinReason)
                return reason == Self.joinReason ? .membershipChanged : .failed(reason, code: 1)
            }
            if ContinuousClock.now - lastBeat >= .seconds(1) {
                lastBeat = .now
                let counts = try rendezvous.beat(round)
                if heard.count != counts.count { (heard, heardAt) = (counts, counts.map { _ in .now }) }
                for (node, count) in counts.enumerated() where count != heard[node] {
                    (heard[node], heardAt[node]) = (count, .now)
                }
                if let silent = heardAt.indices.first(where: { .now - heardAt[$0] > configuration.heartbeatTimeout }) {
                    let reason = try rendezvous.stop(
                        round.number, reason: "node \(silent) sent no heartbeat for \(configuration.heartbeatTimeout)")
                    return .failed(reason, code: 1)
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private static let joinReason = "a node is waiting to join"

    private func environment(rank: Int, localRank: Int, round: Rendezvous.Round, port: Int, restarts: Int)
        -> [String: String]
    {
        [
            "RANK": "\(rank)", "LOCAL_RANK": "\(localRank)", "WORLD_SIZE": "\(round.worldSize)",
            "LOCAL_WORLD_SIZE": "\(configuration.processesPerNode)", "GROUP_RANK": "\(round.nodeIndex)",
            "MASTER_ADDR": configuration.rendezvousHost, "MASTER_PORT": "\(port)", "FLOCK_TOKEN": configuration.token,
            "FLOCK_STORE": "launcher", "FLOCK_GROUP": "world.r\(round.number)",
            "FLOCK_RESTART_COUNT": "\(restarts)", "TORCHELASTIC_RESTART_COUNT": "\(restarts)",
            "FLOCK_LAUNCHER_PID": "\(getpid())",
        ]
    }

    /// Hosts the store on the rendezvous port when this launcher can bind it (or on a
    /// free port for a single-node job without an endpoint); otherwise another launcher
    /// hosts it there.
    private func hostOrFindStore() throws -> (RendezvousServer?, Int) {
        guard let port = configuration.rendezvousPort else {
            let server = try RendezvousServer(host: "127.0.0.1", port: 0, token: configuration.token)
            return (server, server.port)
        }
        let host = DistributedEnvironment.bindAddress(for: configuration.rendezvousHost)
        if let server = try? RendezvousServer(host: host, port: port, token: configuration.token) {
            return (server, port)
        }
        return (nil, port)
    }
}

/// Catches SIGINT and SIGTERM for the launcher: forwards them to the current workers and
/// remembers the first, so the launcher stops after the workers have.
///
/// A C handler writes the signal's number to a pipe that a thread reads. Not SIG_IGN with
/// a dispatch source: an ignored signal stays ignored across exec, so every worker would
/// have ignored SIGTERM (and stopping it would have needed SIGKILL); a caught one is reset
/// to the default in the child.
final class SignalForwarder: @unchecked Sendable {
    private let lock = NSLock()
    private var receivedSignal: Int32?
    private var currentWorkers: WorkerProcesses?

    /// The newest forwarder (launches may follow each other in one process); the handlers
    /// and the pipe are installed once and deliver to it.
    nonisolated(unsafe) private static weak var current: SignalForwarder?
    private static let currentLock = NSLock()

    init() {
        Self.currentLock.withLock { Self.current = self }
        Self.installHandlersOnce()
    }

    private static func installHandlersOnce() {
        let first = currentLock.withLock {
            guard signalPipe.read < 0 else { return false }
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { return false }
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
            signalPipe = (ends[0], ends[1])
            return true
        }
        guard first else { return }
        let thread = Thread {
            var byte: UInt8 = 0
            while read(signalPipe.read, &byte, 1) == 1 {
                currentLock.withLock { current }?.handle(Int32(byte))
            }
        }
        thread.name = "flock-launch-signals"
        thread.start()
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipe.write, &byte, 1)  // async-signal-safe
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    var workers: WorkerProcesses? {
        get { lock.withLock { currentWorkers } }
        set { lock.withLock { currentWorkers = newValue } }
    }

    var received: Int32? { lock.withLock { receivedSignal } }

    private func handle(_ number: Int32) {
        let workers = lock.withLock { () -> WorkerProcesses? in
            if receivedSignal == nil { receivedSignal = number }
            return currentWorkers
        }
        workers?.signal(number)
    }
}

/// The launcher's signal pipe (read end, write end), -1 until `SignalForwarder` makes it.
nonisolated(unsafe) private var signalPipe: (read: Int32, write: Int32) = (-1, -1)
