import Testing

@testable import FlockData

@Suite("Row-number limits: each partition's first k rows found without sorting it")
struct WindowLimitTests {
    /// `frame`'s rows as the plan says, without the optimizer (every row numbered, then filtered).
    static func unoptimized(_ frame: DataFrame) throws -> RecordBatch {
        try RecordBatch.concatenate(Executor().run(frame.plan).batches, schema: frame.schema)
    }

    /// A table of `rows` rows: `key` of `groups` values, `score` with many ties (integers
    /// 0..<9, or floats with NaN and -0 when `floats`), in morsels of 10,000 rows.
    static func table(rows: Int, groups: Int, floats: Bool) throws -> DataFrame {
        var random = RandomStream(seed: UInt64(rows + groups))
        let keys = (0..<rows).map { _ in Int64(random.next() % UInt64(groups)) }
        let scores: Column =
            floats
            ? Column(
                (0..<rows).map { _ -> Double in
                    let pick = random.next() % 12
                    return pick == 10 ? .nan : pick == 11 ? -0.0 : Double(pick) / 4
                })
            : Column((0..<rows).map { _ in Int64(random.next() % 9) })
        let batch = try RecordBatch(["key": Column(keys), "score": scores, "row": Column((0..<rows).map(Int64.init))])
        return try DataFrame(batches: DataFrame.morsels(of: batch, rows: 10_000))
    }

    @Test(
        "rn <= k, rn < k, rn = k and k >= rn give the rows the full numbering gives, ties to the earlier row",
        arguments: [(150_000, 40, false), (150_000, 40, true), (150_000, 100_000, false), (5_000, 3, true)])
    func sameRows(rows: Int, groups: Int, floats: Bool) throws {
        let frame = try Self.table(rows: rows, groups: groups, floats: floats)
        for descending in [false, true] {
            let ranked = try frame.select(
                col("key"), col("score"), col("row"),
                WindowFunction.rowNumber.over(
                    partitionBy: [col("key")], orderBy: [SortKey(col("score"), descending: descending)]
                ).alias("rn"))
            for predicate in [col("rn") <= 3, col("rn") < 2, col("rn") == 2, lit(1) >= col("rn"), col("rn") <= 0] {
                let query = try ranked.filter(predicate)
                let fast = try query.collect()
                let reference = try Self.unoptimized(query)
                #expect(fast.rowCount == reference.rowCount, "\(predicate), descending \(descending)")
                #expect(
                    Reference.sortedRows(fast) == Reference.sortedRows(reference),
                    "\(predicate), descending \(descending)")
            }
        }
    }

    @Test("the optimizer marks only row_number windows capped by a conjunct above them")
    func marking() throws {
        let frame = try Self.table(rows: 100, groups: 3, floats: false)
        func ranked(_ function: WindowFunction) throws -> DataFrame {
            try frame.select(
                col("key"), function.over(partitionBy: [col("key")], orderBy: [col("score").descending()]).alias("rn"))
        }
        #expect(try ranked(.rowNumber).filter(col("rn") <= 2 && col("key") > 0).explain().contains("[first 2 rows"))
        #expect(try ranked(.rowNumber).filter(col("rn") < 5).explain().contains("[first 4 rows"))
        #expect(try !ranked(.rowNumber).filter(col("rn") <= 2 || col("key") > 0).explain().contains("[first"))
        #expect(try !ranked(.rowNumber).filter(col("rn") >= 2).explain().contains("[first"))
        #expect(try !ranked(.rank).filter(col("rn") <= 2).explain().contains("[first"))
        #expect(Optimizer.rowLimit(col("rn") <= lit(2.5), on: "rn") == 2)
        #expect(Optimizer.rowLimit(col("rn") < lit(2.5), on: "rn") == 2)
        #expect(Optimizer.rowLimit(lit(3) > col("rn"), on: "rn") == 2)
        #expect(Optimizer.rowLimit(col("rn") <= lit(-4), on: "rn") == 0)
        #expect(Optimizer.rowLimit(col("other") <= lit(2), on: "rn") == nil)
    }

    @Test("on a cluster, map tasks keep their own first k rows per partition only for a lone capped row_number")
    func mapSideLimit() {
        var capped = Window(partitionBy: [col("key")], orderBy: [col("score").descending()])
        capped.topRows = 2
        let number = Expr.window(.rowNumber, capped).alias("rn")
        let kept = ["key", "score"]
        #expect(ClusterExecutor.localLimit([col("key"), number], keptNames: kept) != nil)
        let uncapped = WindowFunction.rowNumber.over(partitionBy: [col("key")], orderBy: [col("score").descending()])
        #expect(ClusterExecutor.localLimit([col("key"), uncapped.alias("rn")], keptNames: kept) == nil)
        let lag = WindowFunction.lag(col("score"), offset: 1).over(capped).alias("previous")
        #expect(ClusterExecutor.localLimit([number, lag], keptNames: kept) == nil, "other windows need every row")
    }

}
