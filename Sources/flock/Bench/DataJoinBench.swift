import Flock
import Foundation

/// `flock bench data --join`: the db-benchmark join queries q1..q5 (x with its small,
/// medium and big tables, inner and left, on integer and text keys) on Flock's in-memory
/// tables, and with `--peers` the same in DuckDB and Polars on the same rows (Parquet files
/// Flock writes), in the same invocation: Flock runs before and after the peers, and each
/// ratio comes from this run only. Answers are compared: row counts and the sums of v1, v2 (`DataBench.answer`).
struct DataJoinBench {
    let rows: Int
    let repeats: Int
    let peers: Bool
    let python: String

    /// The five queries as Flock frames.
    static func queries(_ tables: JoinData.Tables) throws -> [(String, DataFrame)] {
        let x = DataFrame(tables.x, name: "x")
        let (small, medium, big) = (
            DataFrame(tables.small, name: "small"), DataFrame(tables.medium, name: "medium"),
            DataFrame(tables.big, name: "big")
        )
        return [
            ("q1", try x.join(small, on: ["id1"])),
            ("q2", try x.join(medium, on: ["id2"])),
            ("q3", try x.join(medium, on: ["id2"], how: .left)),
            ("q4", try x.join(medium, on: ["id5"])),
            ("q5", try x.join(big, on: ["id3"])),
        ]
    }

    func run(into report: inout BenchReport) throws {
        let label = "data/join/\(rows / 1_000_000 > 0 ? "\(rows / 1_000_000)M" : "\(rows)")"
        let start = DispatchTime.now().uptimeNanoseconds
        let tables = JoinData.generate(rows: rows)
        report.addDerived(
            "\(label)/generate", unit: "s", value: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            note: "x, small, medium, big in memory")
        let queries = try Self.queries(tables)
        var medians: [String: [Double]] = [:]
        var bests: [String: [Double]] = [:]
        var answers: [String: DataBench.Answer] = [:]
        func flockRound() throws {
            for (name, frame) in queries {
                var batches: [RecordBatch] = []
                // The answer stays in its morsels, as DuckDB's table stays in its row groups.
                let timing = try measure(repeats: repeats) { batches = try frame.collectBatches() }
                medians[name, default: []].append(timing.median)
                bests[name, default: []].append(timing.best)
                answers[name] = DataBench.answer(batches)
            }
        }
        try flockRound()
        var peerResults: [[String: Any]] = []
        if peers {
            let folder = try files(tables)
            peerResults = try PeerScript.run(
                python, script: "Benchmarks/peers/data_join.py",
                arguments: [
                    "--folder", folder, "--repeats", "\(repeats)", "--threads", "\(ThreadPool.shared.threadCount)",
                ])
            try flockRound()
        }
        var total = 0.0
        for (name, _) in queries {
            let median = DataBench.ourMedian(medians[name])
            total += median
            report.add(
                "\(label)/\(name)/seconds", unit: "s", median: median, best: bests[name]?.min() ?? median,
                note: "flock, \(answers[name]?.rows ?? 0) rows")
        }
        report.addDerived("\(label)/total/seconds", unit: "s", value: total, note: "flock, q1..q5 medians")
        DataBench.addPeerRatios(
            peerResults, label: label, queries: queries.map(\.0), total: total, medians: medians, answers: answers,
            into: &report)
    }

    /// The four tables as Parquet files that the peers read, written once per size.
    private func files(_ tables: JoinData.Tables) throws -> String {
        let folder = NSTemporaryDirectory() + "/flock-join-\(rows)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, batch) in [("x", tables.x), ("small", tables.small), ("medium", tables.medium), ("big", tables.big)]
        {
            let path = "\(folder)/\(name).parquet"
            if !FileManager.default.fileExists(atPath: path) {
                try ParquetWriter.write([batch], to: path, compression: .snappy)
            }
        }
        return folder
    }
}
