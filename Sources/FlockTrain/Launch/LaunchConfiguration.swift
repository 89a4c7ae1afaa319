/// What `flock launch` runs: the program, how many workers per node, how many nodes the
/// job may have, where the launchers meet, and how often it may restart after a failure.
public struct LaunchConfiguration: Sendable {
    /// The worker program and its arguments.
    public var program: String
    public var arguments: [String]
    /// Workers this launcher starts.
    public var processesPerNode: Int
    /// The job runs with between `minNodes` and `maxNodes` launchers.
    public var minNodes = 1
    public var maxNodes = 1
    /// Where the launchers' store is (the launcher that can bind it hosts it); nil: a
    /// single-node job on a free local port.
    public var rendezvousHost = "127.0.0.1"
    public var rendezvousPort: Int?
    /// Restarts after failures before the job fails (membership changes do not count).
    public var maxRestarts = 0
    /// The shared secret of the job's connections.
    public var token: String
    /// How long the first launcher of a round waits for more than `minNodes` to arrive.
    public var lastCall: Duration = .seconds(2)
    /// A node whose heartbeat has not advanced for this long is declared dead.
    public var heartbeatTimeout: Duration = .seconds(10)
    /// How long workers get to exit after SIGTERM before SIGKILL.
    public var stopGrace: Duration = .seconds(3)

    /// A configuration with defaults for the rest.
    public init(program: String, arguments: [String], processesPerNode: Int, token: String) {
        self.program = program
        self.arguments = arguments
        self.processesPerNode = processesPerNode
        self.token = token
    }
}
