import Distributed
import Flock
import FlockComm
import FlockRuntime
import Foundation

/// `flock bench runtime`: a local cluster of 2 workers (this binary again): start-up
/// time, 10,000 no-op tasks submitted then gathered, a chain of 1,000 dependent tasks,
/// put-then-sum of a 100 MiB float32 array, and sequential and pipelined actor calls; then
/// a 100 MiB object pulled from a second node (`crossNode`). With `--peers`, a local Ray of
/// 2 CPUs does the same work first (`Benchmarks/peers/runtime.py`, before Flock's cluster
/// starts, so the two never share the CPUs) and each `vs-ray` ratio is from this run.
struct RuntimeBench {
    let repeats: Int
    let quick: Bool
    /// Runs only the sections (noop, chain, object, actor, nodes) whose name contains this text.
    let only: String?
    let peers: Bool
    let python: String

    /// A task that does nothing: measures the runtime's own cost per task.
    struct NoOp: RemoteTask {
        func run() async throws -> Int { 0 }
    }

    /// One link of a chain: waits for the previous link's value.
    struct Link: RemoteTask {
        let previous: ObjectRef<Int>
        func run() async throws -> Int { try await previous.get() + 1 }
    }

    /// Sums an array from the object store, read in place.
    struct Sum: RemoteTask {
        let data: ObjectRef<[Float]>
        func run() async throws -> Float { try await data.withUnsafeElements(RuntimeBench.sum) }
    }

    /// An actor whose method does almost nothing: measures the cost of a call.
    distributed actor Tally: ClusterActor {
        var count = 0
        init(actorSystem: FlockActorSystem) { self.actorSystem = actorSystem }
        distributed func bump() -> Int {
            count += 1
            return count
        }
    }

    /// The task and actor types the benchmark's workers run.
    static var tasks: TaskRegistry {
        // Invariant: distinct types, so no duplicate names.
        try! TaskRegistry([NoOp.self, Link.self, Sum.self, NodeArray.self], actors: [Tally.self])
    }

    /// The sum of `values`, 4 x 8 lanes at a time (memory-bound on any machine).
    static func sum(_ values: UnsafeBufferPointer<Float>) -> Float {
        var lanes = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        let raw = UnsafeRawPointer(values.baseAddress!)  // Invariant: the bench's arrays are not empty.
        var index = 0
        while index + 32 <= values.count {
            lanes.0 += raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            lanes.1 += raw.loadUnaligned(fromByteOffset: index * 4 + 32, as: SIMD8<Float>.self)
            lanes.2 += raw.loadUnaligned(fromByteOffset: index * 4 + 64, as: SIMD8<Float>.self)
            lanes.3 += raw.loadUnaligned(fromByteOffset: index * 4 + 96, as: SIMD8<Float>.self)
            index += 32
        }
        var total = ((lanes.0 + lanes.1) + (lanes.2 + lanes.3)).sum()
        while index < values.count {
            total += values[index]
            index += 1
        }
        return total
    }

    func run(into report: inout BenchReport) async throws {
        let roundTrip = try LoopbackProbe.roundTrip()
        report.addDerived(
            "runtime/floor/loopback-tcp-round-trip", unit: "us", value: roundTrip * 1e6,
            note: "64 bytes between two threads")
        let ray = try rayFigures()
        let cluster = try await startup(ray: ray, into: &report)
        if selected("noop") { try await noOps(on: cluster, ray: ray, into: &report) }
        if selected("chain") { try await chain(on: cluster, roundTrip: roundTrip, ray: ray, into: &report) }
        if selected("object") { try await putThenSum(on: cluster, ray: ray, into: &report) }
        if selected("actor") { try await actorCalls(on: cluster, roundTrip: roundTrip, ray: ray, into: &report) }
        await cluster.shutdown()
        if selected("nodes") { try await crossNode(into: &report) }
    }

    /// Whether `--only` (if given) selects the section `name`.
    private func selected(_ name: String) -> Bool { only.map { name.contains($0) || $0.contains(name) } ?? true }

    /// Ray's figures on the same work (none without `--peers`).
    private func rayFigures() throws -> PeerFigures {
        guard peers else { return .none("ray") }
        let lines = try PeerScript.run(
            python, script: "Benchmarks/peers/runtime.py",
            arguments: ["--repeats", "\(repeats)", "--only", only ?? ""] + (quick ? ["--quick"] : []))
        return PeerFigures(peer: "ray", lines: lines, requirements: "requirements.txt")
    }

    /// Local cluster start-up, repeated; returns the last cluster.
    private func startup(ray: PeerFigures, into report: inout BenchReport) async throws -> Cluster {
        var startups: [Double] = []
        var cluster: Cluster?
        for _ in 0..<max(1, repeats) {
            await cluster?.shutdown()
            let start = ContinuousClock.now
            cluster = try await Cluster.local(workers: 2, tasks: Self.tasks)
            startups.append((ContinuousClock.now - start).inSeconds)
        }
        startups.sort()
        let name = "runtime/local-cluster/startup"
        report.add(name, unit: "s", median: startups[startups.count / 2], best: startups[0], note: "2 workers")
        ray.compare(name, ours: startups[startups.count / 2], unit: "s", higherIsBetter: false, into: &report)
        return cluster!  // Invariant: at least one round ran.
    }

    /// No-op tasks submitted in a burst, then gathered.
    private func noOps(on cluster: Cluster, ray: PeerFigures, into report: inout BenchReport) async throws {
        let count = quick ? 2_000 : 10_000
        var rates: [Double] = []
        for round in 0...max(1, repeats) {
            let start = ContinuousClock.now
            let refs = try (0..<count).map { _ in try cluster.submit(NoOp()) }
            _ = try await cluster.get(refs)
            if round > 0 { rates.append(Double(count) / (ContinuousClock.now - start).inSeconds) }  // round 0 warms up
        }
        rates.sort()
        let median = rates[rates.count / 2]
        report.add(
            "runtime/noop-tasks/throughput", unit: "tasks/s", median: median, best: rates.last!,
            note: "\(count) submitted then gathered")
        ray.compare("runtime/noop-tasks/throughput", ours: median, unit: "tasks/s", higherIsBetter: true, into: &report)
    }

    /// Sequential actor calls (each waits for the reply) and pipelined ones (all in flight).
    private func actorCalls(
        on cluster: Cluster, roundTrip: Double, ray: PeerFigures, into report: inout BenchReport
    ) async throws {
        let count = quick ? 2_000 : 10_000
        let tally = try await cluster.spawn(Tally.self)
        var (latencies, rates) = ([Double](), [Double]())
        for round in 0...max(1, repeats) {
            let start = ContinuousClock.now
            for _ in 0..<count { _ = try await tally.bump() }
            let sequential = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<count { group.addTask { try await tally.bump() } }
                for try await _ in group {}
            }
            guard round > 0 else { continue }
            latencies.append((sequential - start).inSeconds / Double(count))
            rates.append(Double(count) / (ContinuousClock.now - sequential).inSeconds)
        }
        latencies.sort()
        rates.sort()
        let latency = latencies[latencies.count / 2] * 1e6
        report.add(
            "runtime/actor-calls/sync-latency", unit: "us", median: latency, best: latencies[0] * 1e6,
            note: "\(count) calls, one at a time")
        ray.compare("runtime/actor-calls/sync-latency", ours: latency, unit: "us", higherIsBetter: false, into: &report)
        report.add(
            "runtime/actor-calls/pipelined", unit: "calls/s", median: rates[rates.count / 2], best: rates.last!,
            note: "\(count) calls in flight")
        ray.compare(
            "runtime/actor-calls/pipelined", ours: rates[rates.count / 2], unit: "calls/s", higherIsBetter: true,
            into: &report)
        report.addRatio(
            "runtime/actor-calls/sync-latency/over-round-trip", value: latencies[latencies.count / 2] / roundTrip,
            note: "in loopback TCP round trips; target <= 1.5")
    }

    /// A chain of dependent tasks, each waiting for the one before: latency per link.
    private func chain(
        on cluster: Cluster, roundTrip: Double, ray: PeerFigures, into report: inout BenchReport
    ) async throws {
        let length = quick ? 200 : 1_000
        var latencies: [Double] = []
        for round in 0...max(1, repeats) {
            let start = ContinuousClock.now
            var link = try cluster.submit(NoOp())
            for _ in 0..<length { link = try cluster.submit(Link(previous: link)) }
            guard try await link.get() == length else { throw RuntimeError.taskFailed("the chain ended wrong") }
            if round > 0 { latencies.append((ContinuousClock.now - start).inSeconds / Double(length + 1)) }
        }
        latencies.sort()
        let median = latencies[latencies.count / 2]
        report.add(
            "runtime/chained-tasks/latency", unit: "us", median: median * 1e6, best: latencies[0] * 1e6,
            note: "\(length) dependent tasks")
        ray.compare(
            "runtime/chained-tasks/latency", ours: median * 1e6, unit: "us", higherIsBetter: false, into: &report)
        report.addRatio(
            "runtime/chained-tasks/latency/over-round-trip", value: median / roundTrip,
            note: "in loopback TCP round trips")
    }

    /// `put` of a 100 MiB float32 array, then a task that sums it from the store; and the
    /// driver reading it back in place.
    private func putThenSum(on cluster: Cluster, ray: PeerFigures, into report: inout BenchReport) async throws {
        let count = (quick ? 16 : 100) << 18  // float32s: 100 MiB
        let values = [Float](repeating: 1, count: count)
        let bytes = Double(count * 4)
        var (putRates, sumRates, bothRates, readRates) = ([Double](), [Double](), [Double](), [Double]())
        for round in 0...max(1, repeats) {
            let start = ContinuousClock.now
            let ref = try cluster.put(values)
            let stored = ContinuousClock.now
            let total = try await cluster.submit(Sum(data: ref)).get()
            let summed = ContinuousClock.now
            let local = try await ref.withUnsafeElements(Self.sum)
            let read = ContinuousClock.now
            guard total == Float(count), local == Float(count) else {
                throw RuntimeError.taskFailed("the sums are \(total) and \(local), not \(count)")
            }
            guard round > 0 else { continue }
            putRates.append(bytes / (stored - start).inSeconds / 1e9)
            sumRates.append(bytes / (summed - stored).inSeconds / 1e9)
            bothRates.append(bytes / (summed - start).inSeconds / 1e9)
            readRates.append(bytes / (read - summed).inSeconds / 1e9)
        }
        let size = "\(count >> 18)MiB"
        for (name, rates, note) in [
            ("put", putRates, "driver -> /dev/shm"), ("task-sum", sumRates, "a worker sums it in place"),
            ("put-then-sum", bothRates, "put, then a worker sums it"),
            ("driver-read-sum", readRates, "the driver sums it in place"),
        ] {
            let sorted = rates.sorted()
            report.add(
                "runtime/object/\(size)/\(name)", unit: "GB/s", median: sorted[sorted.count / 2], best: sorted.last!,
                note: note)
        }
        let median = bothRates.sorted()[bothRates.count / 2]
        ray.compare(
            "runtime/object/\(size)/put-then-sum", ours: median, unit: "GB/s", higherIsBetter: true, into: &report)
        let copy = copyRate(bytes: count * 4, repeats: max(3, repeats)) / 1e9
        report.addDerived(
            "runtime/floor/memcpy-\(size)", unit: "GB/s", value: copy, note: "bytes copied per second, one thread")
        report.addRatio(
            "runtime/object/\(size)/put/vs-memcpy", value: putRates.sorted()[putRates.count / 2] / copy,
            note: "put copies once")
    }
}
