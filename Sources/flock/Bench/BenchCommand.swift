import ArgumentParser
import Flock
import Foundation

/// `flock bench AREA`: prints a table of measurements and optionally writes JSON records.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run benchmarks for an area (tensor, train, comm, ddp, runtime, data, ml).")

    @Argument(help: "The area to benchmark: tensor, train, comm, ddp, runtime, data or ml.")
    var area: String

    @Option(name: .long, help: "Write the results as a JSON list of {name, unit, value} records.")
    var json: String?

    @Option(name: .long, help: "Timed repetitions per measurement (after one warm-up).")
    var repeats: Int = 5

    @Option(
        name: .long,
        help:
            "bench train, comm, ddp, runtime: only the cases whose name contains this text (lenet5-1x28x28/t1, allreduce/world4/16MiB); bench data: only the queries named, comma-separated (q1,q10); bench ml: kmeans, logistic or gbt."
    )
    var only: String?

    /// The Python that runs the peers: `--python`, else the project's `.venv`, else `python3`.
    private var peerPython: String {
        python ?? (FileManager.default.fileExists(atPath: ".venv/bin/python") ? ".venv/bin/python" : "python3")
    }

    /// `--only` as the comma-separated query names that `bench data` takes.
    private var onlyQueries: Set<String>? { only.map { Set($0.split(separator: ",").map(String.init)) } }

    @Flag(name: .long, help: "Smaller sizes, for a quick check.")
    var quick = false

    @Option(name: .long, help: "bench comm: the number of local processes.")
    var world = 2

    @Flag(
        name: .long,
        help:
            "Run the peers in the same invocation (train, ddp: PyTorch; comm: Gloo; runtime: Ray; data: DuckDB, Polars, pandas; ml: scikit-learn, LightGBM)."
    )
    var peers = false

    @Flag(
        name: .long,
        help:
            "bench data: run the queries on a local cluster of 2 workers x 1 thread (peers: Dask, Spark); bench ml: fit there beside in-process."
    )
    var cluster = false

    @Flag(name: .long, help: "bench data: the db-benchmark join queries q1..q5 instead (peers: DuckDB, Polars).")
    var join = false

    @Option(name: .long, help: "bench data: the table's rows (db-benchmark's N); bench ml: the rows (default 1M).")
    var rows = 10_000_000

    @Option(name: .long, help: "bench data: the groups (db-benchmark's K).")
    var groups = 100

    @Option(
        name: .long, help: "--peers: the Python that has the peers (default: .venv's, else python3).")
    var python: String?

    @Flag(name: .long, help: .hidden)
    var commWorker = false

    @Option(name: .long, help: .hidden)
    var ddpWorker: String?

    @Option(name: .long, help: .hidden)
    var checkpoint: String?

    func run() async throws {
        // The runtime benchmark's workers are this command started again.
        if area == "runtime" { try await Cluster.serveIfWorker(RuntimeBench.tasks) }
        if area == "data" { try await Cluster.serveIfWorker(try TaskRegistry(DataTasks.all)) }
        if area == "ml" { try await Cluster.serveIfWorker(try TaskRegistry(MLTasks.all, actors: MLTasks.actors)) }
        if commWorker { return try CommBench.worker(repeats: repeats, quick: quick, only: only) }
        if let ddpWorker {
            return try DDPBench.worker(mode: ddpWorker, repeats: repeats, quick: quick, checkpoint: checkpoint)
        }
        var report = BenchReport()
        report.printHeader()
        switch area {
        case "tensor": try TensorBench(repeats: repeats, quick: quick).run(into: &report)
        case "train":
            try TrainBench(repeats: repeats, quick: quick, only: only, peers: peers, python: peerPython).run(
                into: &report)
        case "comm":
            try CommBench(world: world, repeats: repeats, quick: quick, only: only, peers: peers, python: peerPython)
                .run(into: &report)
        case "ddp":
            try DDPBench(repeats: repeats, quick: quick, only: only, peers: peers, python: peerPython).run(
                into: &report)
        case "runtime":
            try await RuntimeBench(repeats: repeats, quick: quick, only: only, peers: peers, python: peerPython)
                .run(into: &report)
        case "data":
            if join {
                try DataJoinBench(rows: quick ? 1_000_000 : rows, repeats: repeats, peers: peers, python: peerPython)
                    .run(into: &report)
            } else if cluster {
                try await DataClusterBench(
                    rows: quick ? 1_000_000 : rows, groups: groups, repeats: repeats, peers: peers, python: peerPython,
                    only: onlyQueries
                )
                .run(into: &report)
            } else {
                try DataBench(
                    rows: quick ? 1_000_000 : rows, groups: groups, repeats: repeats, peers: peers, python: peerPython,
                    only: onlyQueries
                )
                .run(into: &report)
            }
        case "ml" where cluster:
            try await MLClusterBench(rows: quick ? 100_000 : (rows == 10_000_000 ? 1_000_000 : rows), repeats: repeats)
                .run(into: &report)
        case "ml":
            try MLBench(
                rows: quick ? 100_000 : (rows == 10_000_000 ? 1_000_000 : rows), repeats: repeats, peers: peers,
                python: peerPython, only: only
            ).run(into: &report)
        default:
            throw ValidationError(
                "unknown benchmark area '\(area)' (known: tensor, train, comm, ddp, runtime, data, ml)")
        }
        if let json {
            try report.write(to: json)
            print("wrote \(report.records.count) records to \(json)")
        }
    }
}
