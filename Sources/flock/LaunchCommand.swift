import ArgumentParser
import Flock
import FlockComm
import Foundation

/// `flock launch`: runs a program on N local worker processes (and, with --nnodes, with
/// other launchers), restarting all of them after a failure; see `ElasticLauncher`.
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Start and supervise distributed workers (torchrun's environment, elastic restarts).",
        discussion: """
            Example: flock launch --nproc-per-node 2 --max-restarts 3 -- .build/release/flock example digits-ddp
            Several machines: run the same command on each with --nnodes MIN:MAX, --rdzv-endpoint HOST:PORT
            (the first launcher able to bind it hosts the store) and the same FLOCK_TOKEN.
            """)

    @Option(name: .customLong("nproc-per-node"), help: "Worker processes this launcher starts.")
    var processesPerNode = 1

    @Option(name: .customLong("nnodes"), help: "Number of launchers: N or MIN:MAX (elastic).")
    var nodes = "1"

    @Option(name: .customLong("rdzv-endpoint"), help: "HOST:PORT where the launchers meet.")
    var endpoint: String?

    @Option(name: .customLong("max-restarts"), help: "Restarts after failures before giving up.")
    var maxRestarts = 0

    @Option(name: .customLong("rdzv-last-call"), help: "Seconds to wait for more than MIN nodes.")
    var lastCall = 2.0

    @Option(name: .customLong("heartbeat-timeout"), help: "Seconds of silence after which a node counts as dead.")
    var heartbeatTimeout = 10.0

    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.")
    var command: [String] = []

    func run() throws {
        guard let program = command.first else { throw ValidationError("give the program to run after --") }
        let bounds = nodes.split(separator: ":").map { Int($0) }
        guard (1...2).contains(bounds.count), let minNodes = bounds.first ?? nil, let maxNodes = bounds.last ?? nil
        else { throw ValidationError("--nnodes takes N or MIN:MAX, got \(nodes)") }
        let environment = ProcessInfo.processInfo.environment
        guard maxNodes == 1 || environment["FLOCK_TOKEN"] != nil else {
            throw ValidationError(
                "a job of several launchers needs the same FLOCK_TOKEN in each launcher's environment")
        }
        var configuration = LaunchConfiguration(
            program: try resolve(program), arguments: Array(command.dropFirst()), processesPerNode: processesPerNode,
            token: environment["FLOCK_TOKEN"] ?? JobToken.generate())
        configuration.minNodes = minNodes
        configuration.maxNodes = maxNodes
        configuration.maxRestarts = maxRestarts
        configuration.lastCall = .milliseconds(Int64(lastCall * 1000))
        configuration.heartbeatTimeout = .milliseconds(Int64(heartbeatTimeout * 1000))
        if let endpoint {
            guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...])
            else { throw ValidationError("--rdzv-endpoint takes HOST:PORT, got \(endpoint)") }
            configuration.rendezvousHost = String(endpoint[..<colon])
            configuration.rendezvousPort = port
            try JobToken.checkStrength(configuration.token, host: configuration.rendezvousHost)
        } else if maxNodes > 1 {
            throw ValidationError("--nnodes above 1 needs --rdzv-endpoint HOST:PORT")
        }
        let launcher = ElasticLauncher(configuration: configuration) { message in
            FileHandle.standardError.write(Data("[launcher] \(message)\n".utf8))
        }
        let code = try launcher.run()
        if code != 0 { throw ExitCode(code) }
    }

    /// `program` as a path: as given when it names a file, else looked up in PATH.
    private func resolve(_ program: String) throws -> String {
        if program.contains("/") { return program }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ValidationError("\(program) is not a file and not found in PATH")
    }
}
