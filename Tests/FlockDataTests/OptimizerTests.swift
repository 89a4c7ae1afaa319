import Testing

@testable import FlockData

@Suite("The optimizer: same rows, less work")
struct OptimizerTests {
    static let table = ReferenceTable(rows: 400, seed: 5)
    static var frame: DataFrame { DataFrame(table.batch, morselRows: 53) }
    static let labels = try! RecordBatch([
        "small": Column((-2...3).map { Int64($0) } as [Int64?]),
        "label": Column((-2...3).map { $0 == 0 ? nil : "l\($0)" } as [String?]),
        "value": Column((-2...3).map { Double($0) * 10 } as [Double?]),
    ])

    /// The rows a frame makes as written and as optimized, as sorted text.
    static func both(_ frame: DataFrame) throws -> (plain: [String], optimized: [String]) {
        func lines(_ batches: [RecordBatch]) -> [String] {
            batches.flatMap { batch in
                (0..<batch.rowCount).map { i in
                    batch.columns.map { "\($0[i].map { "\($0)" } ?? "null")" }.joined(separator: "|")
                }
            }.sorted()
        }
        return (lines(try Executor().run(frame.plan).batches), lines(try frame.collectBatches()))
    }

    @Test("filters over projections, sorts, unions, aggregates and joins of every kind: the same rows, 300 predicates")
    func sameRows() throws {
        let t = Self.frame
        let d = DataFrame(Self.labels, name: "labels")
        let predicates: [Expr] = [
            col("small") > 0, col("value").isNull(), col("name") == "k1" || col("small") == -2, col("count") % 3 == 1,
            col("value") > 5 && col("text") != "t2", !(col("small") < 1), col("value_right").isNotNull(),
            col("label") == "l2", col("value_right") > col("value"), lit(1) + lit(1) == lit(2),
        ]
        let shapes: [(String, (Expr) throws -> DataFrame)] =
            [
                (
                    "project",
                    {
                        try t.select(
                            col("small"), col("value"), col("name"), col("text"), col("count"),
                            (col("count") * 2).alias("double")
                        ).filter($0)
                    }
                ),
                (
                    "renamed",
                    { p in
                        try t.select(
                            col("small").alias("s2"), col("value"), col("name"), col("text"), col("count"), col("small")
                        ).filter(p)
                    }
                ),
                ("sort", { try t.sort(col("value").descending()).filter($0) }),
                ("union", { try t.union(t.filter(col("small") == 1)).filter($0) }),
                (
                    "aggregate",
                    { p in
                        try t.groupBy(col("small"), col("name")).agg(
                            col("value").sum().alias("value"), count().alias("count"), col("text").first().alias("text")
                        ).filter(p)
                    }
                ),
                ("limit", { try t.limit(77).filter($0) }),
            ]
            + [JoinKind.inner, .left, .right, .full, .semi, .anti].map { kind in
                ("\(kind) join", { try t.join(d, on: ["small"], how: kind).filter($0) })
            }
        var checked = 0
        for (label, shape) in shapes {
            for (i, first) in predicates.enumerated() {
                for second in predicates[i...] {
                    // A predicate that names a column the shape lacks is refused when built.
                    guard let frame = try? shape(first && second) else { continue }
                    let (plain, optimized) = try Self.both(frame)
                    #expect(plain == optimized, "\(label): \(first && second)")
                    checked += 1
                }
            }
        }
        #expect(checked > 300, "only \(checked) combinations were checked")
    }

    @Test("explain shows filters moved into both join sides, below projections and aggregates, constants folded")
    func explain() throws {
        let d = DataFrame(Self.labels, name: "labels")
        let joined = try Self.frame.join(d, on: ["small"]).select(col("small"), col("count"), col("label"))
            .filter(col("count") > lit(2) * lit(3) && col("label") == "l1" && col("small") > 0)
        let optimized = Optimizer.optimize(joined.plan).description
        let lines = optimized.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("Project") == true, "\(optimized)")
        #expect(
            lines.contains {
                $0.hasPrefix("    Filter ((small > 0) AND (count > 6))")
                    || $0.hasPrefix("    Filter ((count > 6) AND (small > 0))")
            }, "\(optimized)")
        #expect(lines.contains { $0.hasPrefix("    Filter (label = 'l1')") }, "\(optimized)")
        #expect(joined.explain().contains("== Optimized plan =="))
        // Below an aggregation only what tests its keys; an always-true filter goes away.
        let grouped = try Self.frame.groupBy(col("small")).agg(col("value").sum().alias("total"))
            .filter(col("small") == 1 && col("total") > 0).filter(lit(2) > lit(1))
        let aggregated = Optimizer.optimize(grouped.plan).description.split(separator: "\n").map(String.init)
        #expect(
            aggregated[0].hasPrefix("Filter (total > 0.0)") || aggregated[0].hasPrefix("Filter (total > 0)"),
            "\(aggregated)")
        #expect(aggregated.contains { $0.hasPrefix("    Filter (small = 1)") }, "\(aggregated)")
        #expect(Optimizer.fold((lit(2) * lit(3) + col("x")).alias("y")).description == "(6 + x) AS y")
        #expect(Optimizer.fold(lit(1) / lit(0) > lit(5)).description == "true")
    }
}
