import FlockData
import Testing

@Suite("Group-by aggregation against a row-at-a-time reference")
struct AggregationTests {
    /// 60,000 rows (enough for the parallel paths) in morsels of 4,099 (uneven splits).
    static let table = ReferenceTable(rows: 60_000, seed: 7)

    @Test(
        "every aggregate, for categorical, small-integer, wide-integer and multi-column keys",
        arguments: [
            ["name"], ["small"], ["wide"], ["name", "small"], ["text", "small", "wide"], [],
        ])
    func aggregates(keys: [String]) throws {
        let frame = DataFrame(Self.table.batch, morselRows: 4_099)
        let result = try frame.groupBy(keys.map(col)).agg(
            count().alias("count"), col("value").count().alias("n"), col("value").sum().alias("sum"),
            col("count").sum().alias("isum"), col("value").mean().alias("mean"), col("value").min().alias("min"),
            col("value").max().alias("max"), col("value").median().alias("median"), col("value").std().alias("std"),
            col("text").countDistinct().alias("distinct"), col("value").first().alias("first"),
            col("value").last().alias("last"), corr(col("value"), col("count")).alias("corr"),
            (col("count").max() - col("small").min()).alias("range"), col("text").max().alias("maxtext")
        ).collect()
        // Reference: rows grouped by key values in a dictionary, in first-appearance order.
        let names = Self.table.batch.names
        let rows = Self.table.rows
        var groups: [[Value?]: [[Value?]]] = [:]
        for row in rows { groups[keys.map { row[names.firstIndex(of: $0)!] }, default: []].append(row) }
        #expect(result.rowCount == groups.count)
        func values(_ groupRows: [[Value?]], _ name: String) -> [Value?] {
            groupRows.map { $0[names.firstIndex(of: name)!] }
        }
        for i in 0..<result.rowCount {
            let key = keys.map { try! result.column($0)[i] }
            let members = try #require(groups[key])
            let value = values(members, "value").compactMap(Reference.number)
            func got(_ name: String) -> Value? { try! result.column(name)[i] }
            #expect(got("count") == .int(Int64(members.count)))
            #expect(got("n") == .int(Int64(value.count)))
            #expect(Reference.close(Reference.number(got("sum")), value.isEmpty ? nil : value.reduce(0, +)))
            #expect(
                got("isum")
                    == .int(values(members, "count").compactMap(Reference.number).map { Int64($0) }.reduce(0, +)))
            #expect(
                Reference.close(
                    Reference.number(got("mean")), value.isEmpty ? nil : value.reduce(0, +) / Double(value.count)))
            #expect(Reference.number(got("min")) == value.min())
            #expect(Reference.number(got("max")) == value.max())
            #expect(Reference.close(Reference.number(got("median")), Reference.median(value)))
            #expect(Reference.close(Reference.number(got("std")), Reference.std(value), 1e-7))
            #expect(got("distinct") == .int(Int64(Set(values(members, "text").compactMap { $0 }).count)))
            #expect(got("first") == members.first![names.firstIndex(of: "value")!])
            #expect(got("last") == members.last![names.firstIndex(of: "value")!])
            let texts = values(members, "text").compactMap { value -> String? in
                if case .string(let text)? = value { return text }
                return nil
            }
            #expect(got("maxtext") == texts.max().map { .string($0) })
            let smallest = values(members, "small").compactMap(Reference.number).min()
            let largest = values(members, "count").compactMap(Reference.number).max()
            #expect(Reference.number(got("range")) == smallest.flatMap { s in largest.map { $0 - s } })
        }
    }

    @Test("keys packed into one wide code group as the small-code path does")
    func packedKeys() throws {
        let frame = try DataFrame(Self.table.batch, morselRows: 777)
            .withColumn("id", col("count") * 1000 + col("small"))
        let values = [col("value").sum().alias("total"), count().alias("n"), col("value").first().alias("first")]
        // `id` is a function of count and small: the same groups, but a bound over 65,536.
        let wide = try frame.groupBy(col("count"), col("small"), col("name"), col("id")).agg(values)
            .select(col("count"), col("small"), col("name"), col("total"), col("n"), col("first")).collect()
        let small = try frame.groupBy(col("count"), col("small"), col("name")).agg(values).collect()
        // Wide codes go through hash tables, so groups come in another order.
        #expect(small.rowCount > 100 && Reference.sortedRows(wide) == Reference.sortedRows(small))
    }

    @Test("min, max, counts and integer sums folded in chunks over 120K rows equal a reference")
    func chunkedFolds() throws {
        var random = RandomStream(seed: 17)
        let count = 120_000
        let keys = (0..<count).map { _ in Int64(random.next() % 70_000) }
        let ints = (0..<count).map { _ in random.next() % 9 == 0 ? nil : Int64(random.next() % 1_000) - 500 }
        let floats = (0..<count).map { _ in random.next() % 11 == 0 ? nil : Double(random.next() % 4_000) / 8 }
        let whole = (0..<count).map { _ in Int32(random.next() % 2_000) - 1_000 }
        let frame = DataFrame(
            try RecordBatch(["k": Column(keys), "i": Column(ints), "f": Column(floats), "w": Column(whole)]),
            morselRows: 10_000)
        for key in [col("k"), (col("k") % 3).alias("k")] {
            let result = try frame.groupBy(key).agg(
                col("i").min().alias("imin"), col("i").max().alias("imax"), col("f").min().alias("fmin"),
                col("f").max().alias("fmax"), col("i").sum().alias("isum"), col("i").count().alias("n"),
                col("w").mean().alias("wmean")
            ).collect()
            // Means of integers without nulls: the float sum in row order, bit for bit.
            var rowOrder: [Int64: (Double, Double)] = [:]
            for row in 0..<count {
                let k = key.description.contains("%") ? keys[row] % 3 : keys[row]
                let (sum, n) = rowOrder[k] ?? (0, 0)
                rowOrder[k] = (sum + Double(whole[row]), n + 1)
            }
            var expected: [Int64: (Int64?, Int64?, Double?, Double?, Int64?, Int64)] = [:]
            for row in 0..<count {
                let k = key.description.contains("%") ? keys[row] % 3 : keys[row]
                var e = expected[k] ?? (nil, nil, nil, nil, nil, 0)
                if let i = ints[row] { e = (min(e.0 ?? i, i), max(e.1 ?? i, i), e.2, e.3, (e.4 ?? 0) + i, e.5 + 1) }
                if let f = floats[row] { (e.2, e.3) = (min(e.2 ?? f, f), max(e.3 ?? f, f)) }
                expected[k] = e
            }
            #expect(result.rowCount == expected.count)
            for g in 0..<result.rowCount {
                guard case .int(let k)? = try result.column("k")[g], let e = expected[k] else {
                    Issue.record("group \(g) has no reference")
                    continue
                }
                #expect(try result.column("imin")[g] == e.0.map { .int($0) })
                #expect(try result.column("imax")[g] == e.1.map { .int($0) })
                #expect(try result.column("fmin")[g] == e.2.map { .double($0) })
                #expect(try result.column("fmax")[g] == e.3.map { .double($0) })
                #expect(try result.column("isum")[g] == e.4.map { .int($0) })
                #expect(try result.column("n")[g] == .int(e.5))
                let (sum, n) = rowOrder[k] ?? (0, 0)
                #expect(try result.column("wmean")[g] == .double(sum / n))
            }
        }
    }

    @Test("float sums, counts and means of a column without nulls, on one thread's rows and on many, equal a reference")
    func floatSumsWithoutNulls() throws {
        for rows in [1_000, 120_000] {
            let values = (0..<rows).map { Double($0 % 101) * 0.25 }
            let batch = try RecordBatch(
                names: ["k", "v"], columns: [Column((0..<rows).map { Int64($0 % 37) }), Column(values)])
            let result = try DataFrame(batches: [batch], name: "t").groupBy([col("k")])
                .agg(col("v").sum().alias("s"), col("v").count().alias("n"), col("v").mean().alias("m")).collect()
            var (sums, counts) = ([Double](repeating: 0, count: 37), [Int64](repeating: 0, count: 37))
            for (i, value) in values.enumerated() {
                sums[i % 37] += value
                counts[i % 37] += 1
            }
            #expect(result.rowCount == 37)
            for g in 0..<37 {  // Groups in first-row order: key g first appears at row g.
                #expect(try result.column("k")[g] == .int(Int64(g)))
                #expect(try result.column("s")[g] == .double(sums[g]))
                #expect(try result.column("n")[g] == .int(counts[g]))
                #expect(Reference.close(Reference.number(try result.column("m")[g]), sums[g] / Double(counts[g])))
            }
        }
    }

    @Test("results do not depend on how rows are split into morsels")
    func morselIndependence() throws {
        func run(_ morselRows: Int) throws -> RecordBatch {
            try DataFrame(Self.table.batch, morselRows: morselRows).groupBy(col("wide"))
                .agg(col("value").sum().alias("s"), col("value").std().alias("d"))
                .sort(col("wide").ascending()).collect()
        }
        #expect(try run(60_000) == run(1_000))
    }

    @Test("a global aggregate of no rows is one row of nulls and zero counts")
    func emptyGlobal() throws {
        let frame = try DataFrame(Self.table.batch).filter(col("count") > 1000)
        let result = try frame.select(count(), col("value").sum(), col("value").max()).collect()
        #expect(result.rowCount == 1)
        #expect(result.columns[0][0] == .int(0))
        #expect(result.columns[1][0] == nil && result.columns[2][0] == nil)
        #expect(try frame.groupBy(col("name")).agg(count()).collect().rowCount == 0)
    }
}

@Suite("describe")
struct DescribeTests {
    @Test("describe gives count, nulls, mean, std, min, quartiles and max of each numeric column")
    func describe() throws {
        let batch = try RecordBatch([
            "k": Column(["a", "b", "c", "d", "e"]), "x": Column([1, 2, 3, 4, nil] as [Int64?]),
            "y": Column([0.5, 1.5, 2.5, 3.5, 4.5]),
        ])
        let summary = try DataFrame(batch).describe()
        #expect(summary.names == ["statistic", "x", "y"])
        let statistics = (0..<summary.rowCount).map { summary.columns[0][$0] }
        #expect(
            statistics.map { $0.map { "\($0)" } } == [
                "count", "null_count", "mean", "std", "min", "25%", "50%", "75%", "max",
            ])
        let xColumn = try summary.column("x")
        let x = (0..<summary.rowCount).map { row -> Double? in
            if case .double(let value)? = xColumn[row] { return value }
            return nil
        }
        #expect(x[0] == 4 && x[1] == 1 && x[2] == 2.5 && x[4] == 1 && x[6] == 2.5 && x[8] == 4)
        #expect(Reference.close(x[3], (5.0 / 3).squareRoot()))
        #expect(x[5] == 1.75 && x[7] == 3.25)
        #expect(throws: DataError.self) { try DataFrame(batch).select(col("k")).describe() }
    }
}

@Suite("The db-benchmark table generator")
struct GroupByDataTests {
    @Test("batches come from independent streams: the six ids of 100K rows make about 100K groups")
    func independentBatches() throws {
        let rows = 100_000
        let frame = try DataFrame(batches: GroupByData.generate(rows: rows, groups: 10, batchRows: 10_000), name: "x")
        let groups = try frame.groupBy(["id1", "id2", "id3", "id4", "id5", "id6"].map(col)).agg(count()).collect()
        // 10 x 10 x 10K x 10 x 10 x 10K combinations: nearly every row is its own group.
        #expect(groups.rowCount > rows * 99 / 100, "\(groups.rowCount) groups")
        let ids = try frame.groupBy(col("id3")).agg(count()).collect()
        #expect(ids.rowCount > 9_900, "\(ids.rowCount) of 10,000 id3 values drawn")
    }
}
