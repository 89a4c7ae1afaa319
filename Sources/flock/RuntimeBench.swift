import Flock
import Foundation

/// `flock bench runtime`: a local cluster of 2 workers (this binary again): start-up
/// time, and 10,000 no-op tasks submitted then gathered, next to Ray's and Dask's numbers
/// on this machine kind (from the issue).
struct RuntimeBench {
    let repeats: Int
    let quick: Bool

    /// A task that does nothing: measures the runtime's own cost per task.
    struct NoOp: RemoteTask {
        func run() async throws -> Int { 0 }
    }

    /// The task types the benchmark's workers run.
    static var tasks: TaskRegistry {
        // Invariant: one type, so no duplicate names.
        try! TaskRegistry([NoOp.self])
    }

    func run(into report: inout BenchReport) async throws {
        var startups: [Double] = []
        var cluster: Cluster?
        for _ in 0..<max(1, repeats) {
            await cluster?.shutdown()
            let start = ContinuousClock.now
            cluster = try await Cluster.local(workers: 2, tasks: Self.tasks)
            startups.append(seconds(ContinuousClock.now - start))
        }
        guard let cluster else { return }
        startups.sort()
        report.add(
            "runtime/local-cluster/startup", unit: "s", median: startups[startups.count / 2], best: startups[0],
            note: "2 workers; Ray 2.4 s, Dask 0.64 s")
        let count = quick ? 2_000 : 10_000
        var rates: [Double] = []
        for round in 0...max(1, repeats) {
            let start = ContinuousClock.now
            let refs = try (0..<count).map { _ in try cluster.submit(NoOp()) }
            _ = try await cluster.get(refs)
            if round > 0 { rates.append(Double(count) / seconds(ContinuousClock.now - start)) }  // round 0 warms up
        }
        await cluster.shutdown()
        rates.sort()
        let median = rates[rates.count / 2]
        report.add(
            "runtime/noop-tasks/throughput", unit: "tasks/s", median: median, best: rates.last!,
            note: "\(count) submitted then gathered")
        report.addRatio("runtime/noop-tasks/throughput/vs-ray", value: median / 2_050, note: "Ray 2.60: 2,050 tasks/s")
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
