import FlockComm
import FlockRuntime
import Foundation

extension RuntimeBench {
    /// A large array whose first element is the node that made it (0: the head's).
    struct NodeArray: RemoteTask {
        let count: Int
        func run() async throws -> [Float] {
            let node = Float(ProcessInfo.processInfo.environment["FLOCK_RUNTIME_NODE"] ?? "0") ?? 0
            return [Float](unsafeUninitializedCapacity: count) { buffer, made in
                buffer.initialize(repeating: 1)
                buffer[0] = node
                made = count
            }
        }
    }

    /// Two nodes on this machine: a daemon and a node agent in this process, one worker
    /// each, and this process as the job's driver on node 0. Each round two tasks make a
    /// 100 MiB array each (one lands on each node) and the driver sums both in place: the
    /// one made on node 1 is first pulled through that node's object server. Next to the
    /// loopback TCP bandwidth (the floor of a pull) and the local read.
    func crossNode(into report: inout BenchReport) async throws {
        let token = UUID().uuidString
        let listening = AddressBox()
        let daemon = Task {
            try await ClusterDaemon.run(host: "127.0.0.1", port: 0, token: token, workersPerJob: 1) {
                listening.address = $0
            }
        }
        while listening.address == nil { try await Task.sleep(for: .milliseconds(5)) }
        let address = listening.address!  // Invariant: set just now.
        let agent = Task {
            try await NodeAgent.run(address: address, token: token, workers: 1, host: "127.0.0.1") { _ in }
        }
        while try await ClusterDaemon.status(address: address, token: token).nodes.isEmpty {
            try await Task.sleep(for: .milliseconds(5))
        }
        let cluster = try await Cluster.connect(address: address, token: token, workers: 1)
        let count = (quick ? 16 : 100) << 18
        let bytes = Double(count * 4)
        var (pulled, local) = ([Double](), [Double]())
        for round in 0...max(1, repeats) {
            let refs = try (0..<2).map { _ in try cluster.submit(NodeArray(count: count)) }
            _ = try await cluster.wait(for: refs, count: 2)
            for ref in refs {
                let start = ContinuousClock.now
                let (node, total) = try await ref.withUnsafeElements { ($0[0], Self.sum($0)) }
                let rate = bytes / (ContinuousClock.now - start).inSeconds / 1e9
                guard total == Float(count - 1) + node else {
                    throw RuntimeError.taskFailed("the array of node \(node) sums to \(total)")
                }
                if round > 0 { node == 0 ? local.append(rate) : pulled.append(rate) }
            }
        }
        await cluster.shutdown()
        try await ClusterDaemon.stop(address: address, token: token)
        _ = try await (daemon.value, agent.value)
        guard !pulled.isEmpty, !local.isEmpty else {
            throw RuntimeError.taskFailed("the arrays were not made on both nodes")
        }
        let size = "\(count >> 18)MiB"
        for (name, rates, note) in [
            ("pull-then-sum", pulled, "made on node 1, read by the driver on node 0"),
            ("local-sum", local, "made on node 0, read in place"),
        ] {
            let sorted = rates.sorted()
            report.add(
                "runtime/two-nodes/\(size)/\(name)", unit: "GB/s", median: sorted[sorted.count / 2],
                best: sorted.last!, note: note)
        }
        let loopback = try LoopbackProbe.bandwidth(bytes: count * 4) / 1e9
        report.addDerived(
            "runtime/floor/loopback-tcp-bandwidth", unit: "GB/s", value: loopback, note: "one stream, two threads")
        report.addRatio(
            "runtime/two-nodes/\(size)/pull-then-sum/vs-loopback", value: pulled.sorted()[pulled.count / 2] / loopback,
            note: "a pull moves the bytes once over TCP")
    }
}

/// Where the benchmark's daemon listens, once it does.
private final class AddressBox: @unchecked Sendable {  // written once by the daemon, then read
    private let lock = NSLock()
    private var value: String?
    var address: String? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
