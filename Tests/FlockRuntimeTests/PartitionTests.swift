import FlockTestSupport
import Foundation
import Testing

/// Two "machines" on one: a network namespace joined to this one by a veth pair, so that
/// traffic between them crosses a real interface that a test can cut (issue 11).
struct NetworkNamespace {
    let name: String
    /// This side's address and the namespace's.
    let hostAddress: String
    let namespaceAddress: String
    private let hostInterface: String

    /// Whether this runner may make namespaces (root with iproute2), checked once.
    static let available: Bool =
        (try? run(["ip", "netns", "add", "flock-probe-\(getpid())"])) == 0
        && (try? run(["ip", "netns", "del", "flock-probe-\(getpid())"])) == 0

    /// Makes a namespace with a veth pair to it, 10.213.N.1 here and 10.213.N.2 there.
    init() throws {
        let tag = Int.random(in: 1...250)
        name = "flock-\(tag)-\(getpid())"
        hostInterface = "fh\(tag)x\(getpid() % 10000)"
        let inner = "fn\(tag)x\(getpid() % 10000)"
        (hostAddress, namespaceAddress) = ("10.213.\(tag).1", "10.213.\(tag).2")
        for command in [
            ["ip", "netns", "add", name],
            ["ip", "link", "add", hostInterface, "type", "veth", "peer", "name", inner],
            ["ip", "link", "set", inner, "netns", name],
            ["ip", "addr", "add", "\(hostAddress)/24", "dev", hostInterface],
            ["ip", "link", "set", hostInterface, "up"],
            ["ip", "netns", "exec", name, "ip", "addr", "add", "\(namespaceAddress)/24", "dev", inner],
            ["ip", "netns", "exec", name, "ip", "link", "set", inner, "up"],
            ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
        ] {
            guard try Self.run(command) == 0 else { throw CocoaError(.featureUnsupported) }
        }
    }

    /// Cuts the link: nothing passes either way (no FIN, no RST: a partition).
    func partition() { _ = try? Self.run(["ip", "link", "set", hostInterface, "down"]) }

    /// Removes the namespace and its link.
    func remove() {
        _ = try? Self.run(["ip", "link", "del", hostInterface])
        _ = try? Self.run(["ip", "netns", "del", name])
    }

    @discardableResult
    static func run(_ command: [String]) throws -> Int32 { try TestProcess.run("/usr/bin/env", command).0 }
}

@Suite("A node behind a network partition", .serialized)
struct PartitionTests {
    @Test(
        "a node on another 'machine' joins over sealed frames; cut off, the daemon drops it and the agent exits in seconds",
        .enabled(if: NetworkNamespace.available, "needs root and iproute2 to make network namespaces"))
    func partitionedNode() throws {
        let net = try NetworkNamespace()
        defer { net.remove() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flock-cluster-\(UUID()).json").path
        let token = (0..<4).map { _ in UUID().uuidString }.joined()  // strong: this cluster is not on loopback
        let environment = ["FLOCK_CLUSTER_FILE": file, "FLOCK_TOKEN": token]
        let flock = TestBinary.path("flock")
        let (started, startOutput) = try TestProcess.run(
            flock, ["start", "--head", "--host", net.hostAddress, "--port", "0", "--workers", "1"],
            environment: environment)
        #expect(started == 0, "\(startOutput)")
        defer { _ = try? TestProcess.run(flock, ["stop"], environment: environment) }
        let address = try JSONDecoder().decode(ClusterAddress.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            .address
        // The node agent runs in the namespace: its traffic crosses the veth link.
        let (joined, joinOutput) = try TestProcess.run(
            "/usr/bin/env",
            [
                "ip", "netns", "exec", net.name, flock, "start", "--address", address, "--host", net.namespaceAddress,
                "--workers", "1",
            ],
            environment: environment)
        #expect(joined == 0 && joinOutput.contains("as node 1"), "\(joinOutput)")
        let agent = joinOutput.split(separator: "(pid ").dropFirst().first.flatMap { Int32($0.prefix { $0.isNumber }) }
        let (_, statusOutput) = try TestProcess.run(flock, ["status"], environment: environment)
        #expect(statusOutput.contains("node 1 at \(net.namespaceAddress)"), "\(statusOutput)")

        net.partition()
        let cut = Date()
        var dropped = false
        while !dropped && Date().timeIntervalSince(cut) < 20 {
            Thread.sleep(forTimeInterval: 0.5)
            let (_, output) = try TestProcess.run(flock, ["status"], environment: environment)
            dropped = output.contains("1 node: the head's")
        }
        #expect(dropped, "the daemon still lists the partitioned node after 20 s")
        // The agent's heartbeats go unacknowledged: TCP_USER_TIMEOUT ends its connection.
        var agentGone = false
        while !agentGone && Date().timeIntervalSince(cut) < 45 {
            Thread.sleep(forTimeInterval: 0.5)
            agentGone = agent.map { kill($0, 0) != 0 } ?? false
        }
        #expect(agentGone, "the partitioned node's agent (pid \(agent ?? 0)) is still running after 45 s")
        if let agent, !agentGone { kill(agent, SIGKILL) }
    }
}
