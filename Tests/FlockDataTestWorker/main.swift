// The program FlockDataTests run: a driver that starts a local cluster of two workers (this
// same binary again, serving FlockData's tasks), runs a SCENARIO of distributed queries and
// compares every answer with the in-process one; prints "ok" and exits 0 when all agree,
// prints what differed and exits 1 otherwise.
import FlockData
import FlockRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

try await Cluster.serveIfWorker(try TaskRegistry(DataTasks.all))
let scenario = CommandLine.arguments.dropFirst().first ?? "operators"
let cluster = try await Cluster.local(workers: 2, tasks: try TaskRegistry(DataTasks.all))

/// Fails the scenario with `message` unless `condition` holds.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        print("check failed: \(message())")
        exit(1)
    }
}

/// The rows of `batch` as sorted text lines (order-free comparison; doubles print exactly,
/// or to 10 significant digits when `rounded`).
func rows(_ batch: RecordBatch, rounded: Bool = false) -> [String] {
    func text(_ value: Value?) -> String {
        switch value {
        case nil: "null"
        case .double(let x)? where rounded: String(format: "%.10g", x)
        case let value?: "\(value)"
        }
    }
    return (0..<batch.rowCount).map { i in
        zip(batch.names, batch.columns).map { "\($0)=\(text($1[i]))" }.joined(separator: " ")
    }.sorted()
}

/// Runs `frame` in-process and on the cluster (with `partitions` pieces) and checks that
/// the answers are the same rows: bit for bit, or to rounding where sums of floats were
/// split before the shuffle (`exact: false`).
func agree(
    _ label: String, _ frame: DataFrame, partitions: Int? = nil, exact: Bool = true,
    decisions: AdaptiveDecisions? = nil
) async throws {
    let local = try frame.collect()
    let distributed = try await frame.collect(on: cluster, partitions: partitions, decisions: decisions)
    check(distributed.names == local.names, "\(label): columns \(distributed.names) vs \(local.names)")
    let (l, d) = (rows(local, rounded: !exact), rows(distributed, rounded: !exact))
    if l != d {
        let first = zip(l, d).first { $0 != $1 }
        check(
            false, "\(label): \(d.count) rows vs \(l.count) in-process; first difference: \(String(describing: first))")
    }
}

/// A random table: a categorical key with skew, small integers, a utf8 key, floats with
/// nulls everywhere, in many small morsels.
func table(rows count: Int, seed: UInt64) throws -> [RecordBatch] {
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    func maybe<T>(_ value: T) -> T? { next() % 10 == 0 ? nil : value }
    let names = (0..<count).map { _ in maybe("k\(next() % 2 == 0 ? 0 : next() % 9)") }
    let small = (0..<count).map { _ in maybe(Int64(next() % 7) - 3) }
    let texts = (0..<count).map { _ in maybe("t\(next() % 40)") }
    let values = (0..<count).map { _ in maybe(Double(Int(next() % 20_000)) / 7 - 1000) }
    let counts = (0..<count).map { _ in Int64(next() % 100) }
    let batch = try RecordBatch([
        "name": Column(categorical: names), "small": Column(small), "text": Column(texts), "value": Column(values),
        "count": Column(counts),
    ])
    return stride(from: 0, to: count, by: 997).map { batch.slice($0..<min($0 + 997, count)) }
}

switch scenario {
case "operators":
    let t = try DataFrame(batches: try table(rows: 20_000, seed: 7), name: "t")
    let d = try DataFrame(
        RecordBatch([
            "small": Column((-2...5).map { Int64($0) } as [Int64?]),
            "label": Column((-2...5).map { $0 == 1 ? nil : "label\($0)" } as [String?]),
        ]), name: "d")
    let aggregates: [Expr] = [
        col("value").sum().alias("sum"), count().alias("n"), col("value").mean().alias("mean"),
        col("value").min().alias("min"), col("count").max().alias("max"), col("value").median().alias("median"),
        col("text").countDistinct().alias("distinct"), col("value").std().alias("std"),
        col("value").first().alias("first"), col("value").last().alias("last"),
    ]
    try await agree("group by a categorical key", try t.groupBy(col("name")).agg(aggregates))
    try await agree(
        "group by two keys, 3 partitions", try t.groupBy(col("small"), col("text")).agg(aggregates),
        partitions: 3)
    try await agree(
        "group by a computed key", try t.groupBy((col("count") % 3).alias("m")).agg(count(), col("value").sum()),
        exact: false)
    try await agree(
        "aggregates that split before the shuffle",
        try t.groupBy(col("name"), col("small")).agg(
            col("value").sum(), col("value").mean(), col("count").sum(), col("count").mean().alias("icount"),
            col("value").min(), (col("value").max() - col("value").min()).alias("range"), count(),
            col("text").count()), partitions: 3, exact: false)
    try await agree(
        "variance, deviation and correlation merged from each task's moments (small groups, nulls)",
        try t.groupBy(col("small"), col("text")).agg(
            col("value").variance().alias("var"), col("value").std().alias("sd"),
            corr(col("value"), col("count")).alias("r"), corr(col("count"), col("small")).alias("constant")),
        partitions: 3, exact: false)
    try await agree(
        "nearly unique keys: map tasks ship their rows as one-row partials",
        try t.groupBy(col("count"), col("value"), col("text")).agg(
            count().alias("n"), col("small").sum().alias("s"), col("small").min().alias("lo"),
            col("value").std().alias("sd"), col("small").mean().alias("mean")),
        partitions: 3, exact: false)
    try await agree(
        "a global deviation and correlation",
        try t.select(col("value").std(), corr(col("value"), col("count")).alias("r")), exact: false)
    try await agree(
        "a global aggregate that splits", try t.select(col("value").sum(), count(), col("count").max()), exact: false)
    try await agree("a global aggregate", try t.select(col("value").sum(), count(), col("text").countDistinct()))
    try await agree(
        "filter, project, aggregate",
        try t.filter(col("value") > 0 && col("text") != "t3").withColumn("w", col("value") * 2)
            .groupBy(col("name")).agg(col("w").sum(), col("w").quantile(0.9)))
    for kind in [JoinKind.inner, .left, .right, .full, .semi, .anti] {
        try await agree(
            "\(kind) join with a small table (broadcast when it can be)", try t.join(d, on: ["small"], how: kind))
        let sums = try t.groupBy(col("text")).agg(col("value").sum().alias("total"))
        try await agree(
            "\(kind) join with an aggregate (measured, then broadcast or shuffled)",
            try t.join(sums, on: ["text"], how: kind),
            partitions: 3, exact: false)
    }
    // Adaptive joins: an aggregate's size is unknown until it runs; it is measured, then
    // broadcast when small (FLOCK_BROADCAST_ROWS), else both sides shuffle.
    let sums = try t.groupBy(col("text")).agg(col("value").sum().alias("total"))
    let groups = try sums.collect().rowCount
    for (limit, choice) in [(nil, "broadcast"), ("5", "shuffle both sides")] {
        if let limit { setenv("FLOCK_BROADCAST_ROWS", limit, 1) }
        let decisions = AdaptiveDecisions()
        try await agree(
            "a join with an aggregate (\(choice))", try t.join(sums, on: ["text"], how: .left), exact: false,
            decisions: decisions)
        check(
            decisions.lines == ["left join: right side measured \(groups) rows -> \(choice)"],
            "adaptive choice: \(decisions.lines)")
        unsetenv("FLOCK_BROADCAST_ROWS")
    }
    setenv("FLOCK_BROADCAST_ROWS", "many", 1)
    check(
        (try? await t.join(sums, on: ["text"]).collect(on: cluster)) == nil, "a bad FLOCK_BROADCAST_ROWS was accepted")
    unsetenv("FLOCK_BROADCAST_ROWS")
    // A Parquet dataset on disk: the workers read their share of its row groups.
    let folder = NSTemporaryDirectory() + "flock-cluster-scan-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try t.write(to: folder, DatasetWriter(partitionBy: ["name"], rowsPerFile: 1_500))
    let files = try TableFiles.read(folder)
    let scanDecisions = AdaptiveDecisions()
    try await agree(
        "a Parquet dataset read by the workers",
        try files.filter(col("small") > -2).groupBy(col("name"), col("small")).agg(col("value").sum(), count()),
        partitions: 3, exact: false, decisions: scanDecisions)
    check(
        scanDecisions.lines == ["parquet scan: 3 tasks read 20000 rows from the files"],
        "parquet scan: \(scanDecisions.lines)")
    try await agree(
        "a Parquet scan whose files are all skipped", try files.filter(col("name") == "none").select(col("value")))
    try await agree(
        "union and distinct",
        try t.select(col("name"), col("small")).union(t.select(col("name"), col("small"))).distinct())
    try await agree("top 5 by value", try t.sort(col("value").descending(), col("count").ascending()).limit(5))
    try await agree("a limit", try t.filter(col("small") == 1).select(col("small")).limit(7))
    try await agree(
        "a window over partitions",
        try t.select(
            col("name"), col("value"),
            WindowFunction.rowNumber.over(
                partitionBy: [col("name")], orderBy: [col("value").descending(), col("count").ascending()]
            ).alias("rn")
        ).filter(col("rn") <= 2))
    try await agree(
        "windows over computed partitions, and one over the whole table",
        try t.select(
            col("text"), col("count"),
            WindowFunction.lag(col("value"), offset: 1).over(
                partitionBy: [col("small") % 2, col("text")], orderBy: [col("count").ascending()]
            ).alias("previous"),
            WindowFunction.cumulativeSum(col("count")).over(
                partitionBy: [col("small") % 2, col("text")], orderBy: [col("count").ascending()]
            ).alias("running")))
    try await agree(
        "a window without partitions (gathered)",
        try t.select(col("count"), WindowFunction.denseRank.over(orderBy: [col("count").descending()]).alias("r")))
    // A persisted table: partitions kept in the store, queried twice.
    let persisted = try await t.filter(col("count") < 50).persist(on: cluster, name: "half")
    check((try? persisted.collect()) == nil, "an in-process collect of a persisted table did not refuse")
    let half = try t.filter(col("count") < 50)
    for (label, query) in [
        ("aggregate", { (f: DataFrame) in try f.groupBy(col("name")).agg(col("value").sum(), count()) }),
        ("join", { (f: DataFrame) in try f.join(d, on: ["small"], how: .left) }),
    ] {
        let expected = rows(try query(half).collect(), rounded: true)
        let answer = rows(try await query(persisted).collect(on: cluster), rounded: true)
        check(answer == expected, "persisted \(label) differs")
    }
    // An empty input, and a plan error raised on the driver, not in a task.
    try await agree("an empty filter", try t.filter(col("count") > 1000).groupBy(col("name")).agg(count()))
case "kill":
    // kill -9 of a worker while the shuffle of a 1M-row group-by runs: its tasks run again
    // on the other worker (and on its replacement) and the answer is the same.
    let base = try DataFrame(batches: GroupByData.generate(rows: 1_000_000, groups: 100), name: "x")
    let x = try await base.persist(on: cluster, partitions: 8)
    func query(_ frame: DataFrame) throws -> DataFrame {
        try frame.groupBy(col("id1"), col("id4")).agg(col("v3").sum(), col("v1").median(), count())
    }
    let expected = rows(try query(base).collect())
    let before = try await cluster.statistics()
    let distributed = try query(x)
    let running = Task { try await distributed.collect(on: cluster, partitions: 8) }
    var unfinished = 0
    while unfinished == 0 {
        try await Task.sleep(for: .milliseconds(2))
        unfinished = try await cluster.statistics().unfinishedTasks
    }
    kill(before.workerProcessIDs[0], SIGKILL)
    let answer = try await running.value
    check(rows(answer) == expected, "the answer after the kill differs")
    check(try await cluster.statistics().workerRestarts >= 1, "the killed worker was not replaced")
    print("killed worker \(before.workerProcessIDs[0]) with \(unfinished) tasks unfinished")
default:
    check(false, "unknown scenario \(scenario)")
}
await cluster.shutdown()
print("ok")
exit(0)
