import Flock
import FlockData
import Foundation

/// `flock bench data --cluster`: the ten group-by queries on `Cluster.local` (two worker
/// processes, one thread each) from a persisted table, beside the same queries in this
/// process on all cores, answers compared; with `--peers`, Dask (two worker processes, one
/// thread each) and Spark (`local[2]`) on the same Parquet file in the same invocation.
struct DataClusterBench {
    let rows: Int
    let groups: Int
    let repeats: Int
    let peers: Bool
    let python: String
    /// The only queries to run (all when nil); totals and peers need all ten.
    var only: Set<String>? = nil

    func run(into report: inout BenchReport) async throws {
        let label = "data/cluster2/groupby/\(rows / 1_000_000 > 0 ? "\(rows / 1_000_000)M" : "\(rows)")/k\(groups)"
        let batches = GroupByData.generate(rows: rows, groups: groups)
        let frame = try DataFrame(batches: batches, name: "x")
        // The workers inherit this: one thread each (this process keeps its pool, made now).
        let threads = ThreadPool.shared.threadCount
        setenv("FLOCK_NUM_THREADS", "1", 1)
        let cluster = try await Cluster.local(workers: 2, tasks: try TaskRegistry(DataTasks.all))
        let start = DispatchTime.now().uptimeNanoseconds
        let persisted = try await frame.persist(on: cluster, partitions: 4)
        report.addDerived(
            "\(label)/persist", unit: "s", value: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            note: "encode + store 4 partitions, once")
        var (localTotal, clusterTotal) = (0.0, 0.0)
        var answers: [String: DataBench.Answer] = [:]
        for ((name, local), (_, remote)) in zip(try DataBench.queries(frame), try DataBench.queries(persisted))
        where only?.contains(name) ?? true {
            var expected: [RecordBatch] = []
            let inProcess = try measure(repeats: repeats) { expected = [try local.collect()] }
            var answer: [RecordBatch] = []
            let distributed = try await measure(repeats: repeats) {
                answer = [try await remote.collect(on: cluster, partitions: 4)]
            }
            let agrees = DataBench.answer(answer).matches(DataBench.answer(expected))
            answers[name] = DataBench.answer(answer)
            localTotal += inProcess.median
            clusterTotal += distributed.median
            report.add(
                "\(label)/\(name)/seconds", unit: "s", median: distributed.median, best: distributed.best,
                note: "in-process \(String(format: "%.3f", inProcess.median)) s; answers \(agrees ? "agree" : "DIFFER")"
            )
        }
        await cluster.shutdown()
        guard only == nil else { return }
        report.addDerived(
            "\(label)/total/seconds", unit: "s", value: clusterTotal, note: "flock on 2 workers x 1 thread")
        report.addDerived(
            "\(label)/in-process/total/seconds", unit: "s", value: localTotal,
            note: "flock in-process, \(threads) threads")
        report.addRatio(
            "\(label)/total/vs-in-process", value: localTotal / clusterTotal,
            note: "target: above 1/1.5 = 0.67")
        guard peers else { return }
        for result in PeerScript.measurements(try runPeers(), requirements: "requirements-data.txt") {
            guard let engine = result["engine"] as? String else { continue }
            guard let total = result["total"] as? Double else { continue }
            let agree = (result["answers"] as? [String: [String: Any]] ?? [:]).allSatisfy { query, fields in
                guard let rowCount = fields["rows"] as? Int, let sums = fields["sums"] as? [Double] else {
                    return false
                }
                return answers[query]?.matches(DataBench.Answer(rows: rowCount, sums: sums)) ?? false
            }
            report.addRatio(
                "\(label)/total/vs-\(engine)", value: total / clusterTotal,
                note: "\(engine) total \(String(format: "%.2f", total)) s; answers \(agree ? "agree" : "DIFFER")")
        }
    }

    /// Runs the distributed peers on the benchmark's Parquet file.
    private func runPeers() throws -> [[String: Any]] {
        let script = "Benchmarks/peers/data_cluster.py"
        let parquet = DataBench.fileBase(rows: rows, groups: groups) + ".parquet"
        guard FileManager.default.fileExists(atPath: parquet) else {
            print("no \(parquet): run `flock bench data` of the same size first (it writes the file)")
            return []
        }
        return try PeerScript.run(
            python, script: script, arguments: ["--parquet", parquet, "--repeats", "\(repeats)"])
    }
}
