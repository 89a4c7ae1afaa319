import Testing

@testable import FlockData

/// The map and reduce sides of a cluster's group-by, run in this process: map outputs
/// that aggregated their rows and map outputs that shipped each row as its own partial,
/// combined by the reducers' aggregates, give the one-step answer.
@Suite("Two-step aggregation")
struct PartialAggregationTests {
    let keys = [col("name"), col("small")]
    let aggregates: [Expr] = [
        count().alias("n"), col("value").count().alias("values"), col("value").sum().alias("sum"),
        col("count").sum().alias("isum"), col("value").mean().alias("mean"), col("value").min().alias("min"),
        col("text").max().alias("max"), col("value").variance().alias("var"), col("value").std().alias("sd"),
        corr(col("value"), col("count")).alias("r"),
    ]

    /// Each row of `batch` as its key columns' text and its numbers, ordered by key.
    func rows(_ batch: RecordBatch) -> [[Value?]] {
        (0..<batch.rowCount).map { i in batch.columns.map { $0[i] } }
            .sorted { "\($0[0] as Any)\($0[1] as Any)" < "\($1[0] as Any)\($1[1] as Any)" }
    }

    @Test("aggregated and one-row partials from three map tasks combine to the one-step answer")
    func combine() throws {
        let table = ReferenceTable(rows: 3_000, seed: 31)
        let frame = DataFrame(table.batch, morselRows: 256)
        let expected = rows(try frame.groupBy(keys).agg(aggregates).collect())
        let split = try #require(PartialAggregation(aggregates))
        let tasks = [0..<1_000, 1_000..<2_000, 2_000..<3_000].map { DataFrame(table.batch.slice($0), morselRows: 256) }
        let partials = [
            try tasks[0].groupBy(keys).agg(split.partials).collect(),
            try tasks[1].select(keys + split.rowWise(frame.schema)).collect(),
            try tasks[2].groupBy(keys).agg(split.partials).collect(),
        ]
        let combined = rows(
            try DataFrame(batches: partials, name: "partials").groupBy(keys).agg(split.finals).collect())
        #expect(combined.count == expected.count)
        for (got, want) in zip(combined, expected) {
            for (a, b) in zip(got, want) {
                if case .double? = a ?? b {
                    #expect(Reference.close(Reference.number(a), Reference.number(b)), "\(got) vs \(want)")
                } else {
                    #expect(a == b, "\(got) vs \(want)")
                }
            }
        }
    }

    @Test("a sample of the rows decides: keys shared by many rows shrink, unique keys do not")
    func sampleDecides() throws {
        let count = 100_000
        let batch = try RecordBatch([
            "unique": Column((0..<count).map { Int64($0 &* 7919 % count) } as [Int64?]),
            "shared": Column((0..<count).map { Int64($0 % 5_000) } as [Int64?]),
        ])
        let morsels = Morsels(DataFrame.morsels(of: batch, rows: 10_000))
        #expect(try !PartialAggregation.shrinks(morsels, keys: [col("unique")]))
        #expect(try PartialAggregation.shrinks(morsels, keys: [col("shared")]))
        #expect(try !PartialAggregation.shrinks(morsels, keys: [col("shared"), col("unique")]))
    }
}
