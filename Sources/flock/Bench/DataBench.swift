import Flock
import FlockData
import Foundation

/// `flock bench data`: the db-benchmark group-by queries q1..q10 on Flock's in-memory
/// table and scans of it as CSV and Parquet, and with `--peers` the same in DuckDB, Polars
/// and pandas on the same rows (files Flock writes), in the same invocation: Flock runs before and after
/// the peers, and each ratio comes from this run only. Answers are compared: row counts
/// and the sums of each value column, to 1e-9 relative.
struct DataBench {
    let rows: Int
    let groups: Int
    let repeats: Int
    let peers: Bool
    let python: String
    /// The only queries and scans to run (all when nil); totals need all ten.
    var only: Set<String>? = nil

    /// The ten queries as Flock frames, with the value columns whose sums check answers.
    static func queries(_ x: DataFrame) throws -> [(String, DataFrame)] {
        [
            ("q1", try x.groupBy(col("id1")).agg(col("v1").sum().alias("v1"))),
            ("q2", try x.groupBy(col("id1"), col("id2")).agg(col("v1").sum().alias("v1"))),
            ("q3", try x.groupBy(col("id3")).agg(col("v1").sum().alias("v1"), col("v3").mean().alias("v3"))),
            (
                "q4",
                try x.groupBy(col("id4")).agg(
                    col("v1").mean().alias("v1"), col("v2").mean().alias("v2"), col("v3").mean().alias("v3"))
            ),
            (
                "q5",
                try x.groupBy(col("id6")).agg(
                    col("v1").sum().alias("v1"), col("v2").sum().alias("v2"), col("v3").sum().alias("v3"))
            ),
            (
                "q6",
                try x.groupBy(col("id4"), col("id5")).agg(
                    col("v3").median().alias("median_v3"), col("v3").std().alias("sd_v3"))
            ),
            ("q7", try x.groupBy(col("id3")).agg((col("v1").max() - col("v2").min()).alias("range_v1_v2"))),
            (
                "q8",
                try x.filter(col("v3").isNotNull()).select(
                    col("id6"), col("v3").alias("largest2_v3"),
                    WindowFunction.rowNumber.over(partitionBy: [col("id6")], orderBy: [col("v3").descending()])
                        .alias("order_v3")
                ).filter(col("order_v3") <= 2).select(col("id6"), col("largest2_v3"))
            ),
            (
                "q9",
                try x.groupBy(col("id2"), col("id4")).agg(
                    (corr(col("v1"), col("v2")) * corr(col("v1"), col("v2"))).alias("r2"))
            ),
            (
                "q10",
                try x.groupBy(["id1", "id2", "id3", "id4", "id5", "id6"].map(col)).agg(
                    col("v3").sum().alias("v3"), count().alias("count"))
            ),
        ]
    }

    /// The name of q10 run under a 512 MiB memory limit.
    static let spillQuery = "q10-spill-512MiB"

    /// What an answer must match: its rows and the sums of its value columns.
    struct Answer {
        let rows: Int
        let sums: [Double]

        func matches(_ other: Answer) -> Bool {
            rows == other.rows && sums.count == other.sums.count
                && zip(sums, other.sums).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($0), abs($1)) }
        }
    }

    func run(into report: inout BenchReport) throws {
        let label = "data/groupby/\(rows / 1_000_000 > 0 ? "\(rows / 1_000_000)M" : "\(rows)")/k\(groups)"
        let start = DispatchTime.now().uptimeNanoseconds
        let batches = GroupByData.generate(rows: rows, groups: groups)
        let generateSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        report.addDerived("\(label)/generate", unit: "s", value: generateSeconds, note: "in memory, all cores")
        let (csv, parquet) = try files(batches, into: &report, label: label)
        let queries = try Self.queries(try DataFrame(batches: batches, name: "x"))
        // Each run returns batches whose row count and value sums check the answer.
        var runs: [(String, () throws -> [RecordBatch])] = queries.map { name, frame in
            (name, { [try frame.collect()] })
        }
        // q10 (about 10M groups) again with 512 MiB of working memory: it spills.
        var lastSpill: SpillStatistics?
        if let q10 = queries.last?.1 {
            runs.append(
                (
                    Self.spillQuery,
                    {
                        let policy = SpillPolicy(memoryLimit: 512 << 20)
                        lastSpill = policy.statistics
                        return [try q10.collect(spill: policy)]
                    }
                ))
        }
        runs.append(("scan-csv", { try CSVReader.readBatches(path: csv) }))
        runs.append(("scan-parquet", { try ParquetReader.read(path: parquet) }))
        if let only { runs = runs.filter { only.contains($0.0) } }
        var medians: [String: [Double]] = [:]
        var bests: [String: [Double]] = [:]
        var answers: [String: Answer] = [:]
        func flockRound() throws {
            for (name, run) in runs {
                var result: [RecordBatch] = []
                let timing = try measure(repeats: repeats) { result = try run() }
                medians[name, default: []].append(timing.median)
                bests[name, default: []].append(timing.best)
                answers[name] = Self.answer(result)
            }
        }
        try flockRound()
        var peerResults: [[String: Any]] = []
        if peers { peerResults = try runPeers(csv: csv, parquet: parquet) }
        if peers { try flockRound() }
        for scan in ["scan-csv", "scan-parquet"] where medians[scan] != nil {
            let median = Self.ourMedian(medians[scan])
            report.add(
                "\(label)/\(scan)/seconds", unit: "s", median: median, best: bests[scan]?.min() ?? median, note: "flock"
            )
        }
        if let spill = lastSpill, let median = medians[Self.spillQuery].map({ Self.ourMedian($0) }) {
            let agrees = answers[Self.spillQuery].map { answers["q10"]?.matches($0) ?? false } ?? false
            report.add(
                "\(label)/\(Self.spillQuery)/seconds", unit: "s", median: median,
                best: bests[Self.spillQuery]?.min() ?? median,
                note: "flock, \(spill.bytesWritten >> 20) MiB in \(spill.filesCreated) spill files; "
                    + "answer \(agrees ? "equals" : "DIFFERS from") q10's")
        }
        var total = 0.0
        for (name, _) in queries where medians[name] != nil {
            let median = Self.ourMedian(medians[name])
            let best = bests[name]?.min() ?? median
            total += median
            report.add("\(label)/\(name)/seconds", unit: "s", median: median, best: best, note: "flock")
        }
        guard only == nil else { return }
        report.addDerived("\(label)/total/seconds", unit: "s", value: total, note: "flock, q1..q10 medians")
        guard peers else { return }
        Self.addPeerRatios(
            peerResults, label: label, queries: queries.map(\.0), total: total, medians: medians, answers: answers,
            into: &report)
    }

    /// Adds, from the peers' JSON lines, a `vs-<engine>` ratio per query (peer median over
    /// Flock's, answers compared) and one per engine over the totals of `queries` (when it
    /// ran them all); says how to install a peer that is missing.
    static func addPeerRatios(
        _ results: [[String: Any]], label: String, queries: [String], total: Double, medians: [String: [Double]],
        answers: [String: Answer], into report: inout BenchReport
    ) {
        var peerTotals: [String: (Double, Int)] = [:]
        for result in PeerScript.measurements(results, requirements: "requirements-data.txt") {
            guard let engine = result["engine"] as? String else { continue }
            guard let query = result["query"] as? String, let median = result["median"] as? Double,
                let rowCount = result["rows"] as? Int, let sums = result["sums"] as? [Double]
            else { continue }
            let agrees = answers[query]?.matches(Answer(rows: rowCount, sums: sums)) ?? false
            report.addRatio(
                "\(label)/\(query)/vs-\(engine)", value: median / ourMedian(medians[query]),
                note: "\(engine) \(String(format: "%.3f", median)) s; answers \(agrees ? "agree" : "DIFFER")")
            guard queries.contains(query) else { continue }
            let (sum, count) = peerTotals[engine] ?? (0, 0)
            peerTotals[engine] = (sum + median, count + 1)
        }
        for (engine, (sum, count)) in peerTotals.sorted(by: { $0.key < $1.key }) where count >= queries.count {
            report.addRatio(
                "\(label)/total/vs-\(engine)", value: sum / total,
                note: "\(engine) total \(String(format: "%.2f", sum)) s")
        }
    }

    /// The lower median of Flock's round medians (before and after the peers).
    static func ourMedian(_ rounds: [Double]?) -> Double {
        guard let rounds, !rounds.isEmpty else { return .nan }
        return rounds.sorted()[(rounds.count - 1) / 2]
    }

    /// Row count and value-column sums of an answer's batches (key columns are id1..id6).
    static func answer(_ batches: [RecordBatch]) -> Answer {
        guard let first = batches.first else { return Answer(rows: 0, sums: []) }
        let values = first.names.indices.filter { !first.names[$0].hasPrefix("id") }
        let sums = values.map { j in
            batches.reduce(0.0) { total, batch in
                let column = batch.columns[j]
                return (0..<column.count).reduce(total) { sum, i in
                    switch column[i] {
                    case .int(let value)?: sum + Double(value)
                    case .double(let value)?: sum + value
                    default: sum
                    }
                }
            }
        }
        return Answer(rows: batches.reduce(0) { $0 + $1.rowCount }, sums: sums)
    }

    /// Where the table's files for `rows` and `groups` are kept (the path names the
    /// generator's version, so a changed generator writes new files).
    static func fileBase(rows: Int, groups: Int) -> String {
        NSTemporaryDirectory() + "/flock-groupby-v\(GroupByData.version)-\(rows)-\(groups)"
    }

    /// The table as CSV and as Parquet (snappy) files that every engine reads, written once
    /// per size and kept; the Parquet write is timed when it happens.
    private func files(_ batches: [RecordBatch], into report: inout BenchReport, label: String) throws
        -> (csv: String, parquet: String)
    {
        let base = Self.fileBase(rows: rows, groups: groups)
        let (csv, parquet) = (base + ".csv", base + ".parquet")
        if !FileManager.default.fileExists(atPath: csv) {
            print("writing \(csv)...")
            try CSVWriter.write(batches, to: csv)
        }
        if !FileManager.default.fileExists(atPath: parquet) {
            print("writing \(parquet)...")
            let start = DispatchTime.now().uptimeNanoseconds
            try ParquetWriter.write(batches, to: parquet, compression: .snappy)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            report.addDerived("\(label)/write-parquet", unit: "s", value: seconds, note: "snappy, once")
        }
        return (csv, parquet)
    }

    /// Runs the peer script on the CSV and Parquet files.
    private func runPeers(csv path: String, parquet: String) throws -> [[String: Any]] {
        try PeerScript.run(
            python, script: "Benchmarks/peers/data_groupby.py",
            arguments: [
                "--csv", path, "--parquet", parquet, "--repeats", "\(repeats)", "--threads",
                "\(ThreadPool.shared.threadCount)",
            ])
    }
}
