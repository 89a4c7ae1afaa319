import FlockData
import Testing

@Suite("Filters, projections, sorts, joins and windows against references")
struct OperatorTests {
    static let table = ReferenceTable(rows: 3_000, seed: 11)
    static var frame: DataFrame { DataFrame(table.batch, morselRows: 257) }
    static func index(_ name: String) -> Int { table.batch.names.firstIndex(of: name)! }

    @Test("filter and arithmetic follow SQL's null rules and three-valued logic")
    func filterAndArithmetic() throws {
        let result = try Self.frame.filter(col("value") > 10 || col("small") == 1)
            .select((col("value") * 2 + col("count")).alias("x"), (col("count") % col("small")).alias("m")).collect()
        var expected: [(Double?, Int64?)] = []
        for row in Self.table.rows {
            let value = Reference.number(row[Self.index("value")])
            let small = row[Self.index("small")].flatMap(Reference.number)
            // OR is true when either side is true, whatever the other (null included).
            guard (value.map { $0 > 10 } ?? false) || (small.map { $0 == 1 } ?? false) else { continue }
            let count = Reference.number(row[Self.index("count")])!
            let modulo: Int64? = small.flatMap { $0 == 0 ? nil : Int64(count) % Int64($0) }
            expected.append((value.map { $0 * 2 + count }, modulo))
        }
        #expect(result.rowCount == expected.count)
        for (i, (x, m)) in expected.enumerated() {
            #expect(Reference.number(try result.column("x")[i]) == x)
            #expect(try result.column("m")[i] == m.map { .int($0) })
        }
    }

    @Test("one numeric key sorts by order keys as the comparator does: NaN, -0, ties, both directions")
    func singleKeySorts() throws {
        var random = RandomStream(seed: 5)
        let specials: [Double] = [.nan, -0.0, 0.0, .infinity, -.infinity, 1.5, -1.5]
        let values = (0..<2_000).map { _ in
            random.next() % 4 == 0 ? specials[Int(random.next() % 7)] : Double(Int(random.next() % 50)) - 25
        }
        let integers = values.map { $0.isFinite ? Int64($0) : 99 }
        let frame = DataFrame(
            try RecordBatch(["x": Column(values), "i": Column(integers), "row": Column((0..<2_000).map { Int64($0) })]),
            morselRows: 300)
        for key in ["x", "i"] {
            for descending in [false, true] {
                let order = descending ? col(key).descending() : col(key).ascending()
                // A second, constant key sends the same order through the comparator.
                let fast = try frame.sort(order).collect()
                let compared = try frame.sort(order, lit(0).ascending()).collect()
                #expect(try fast.column("row") == compared.column("row"), "\(key) descending: \(descending)")
            }
        }
    }

    @Test("multi-key sorts: ascending and descending, nulls first or last, stable")
    func sorting() throws {
        let keys = [col("name").ascending(nullsFirst: true), col("value").descending(), col("small").ascending()]
        let result = try Self.frame.select(col("name"), col("value"), col("small"), col("count")).sort(keys).collect()
        let rows = Self.table.rows.enumerated().map { ($0.offset, $0.element) }
        func compare(_ a: Value?, _ b: Value?, descending: Bool, nullsFirst: Bool) -> Int {
            switch (a, b) {
            case (nil, nil): return 0
            case (nil, _): return nullsFirst ? -1 : 1
            case (_, nil): return nullsFirst ? 1 : -1
            case (.string(let x)?, .string(let y)?): return (x == y ? 0 : x < y ? -1 : 1) * (descending ? -1 : 1)
            default:
                let (x, y) = (Reference.number(a)!, Reference.number(b)!)
                return (x == y ? 0 : x < y ? -1 : 1) * (descending ? -1 : 1)
            }
        }
        let expected = rows.sorted { a, b in
            for (name, descending, nullsFirst) in [
                ("name", false, true), ("value", true, false), ("small", false, false),
            ] {
                let order = compare(
                    a.1[Self.index(name)], b.1[Self.index(name)], descending: descending, nullsFirst: nullsFirst)
                if order != 0 { return order < 0 }
            }
            return a.0 < b.0
        }
        for (i, (_, row)) in expected.enumerated() {
            #expect(try result.column("count")[i] == row[Self.index("count")])
        }
    }

    @Test(
        "joins of every kind match a nested-loop join", arguments: [JoinKind.inner, .left, .right, .full, .semi, .anti])
    func joins(kind: JoinKind) throws {
        let right = try RecordBatch([
            "small": Column([Int64(0), 1, 1, nil, 7]), "label": Column(["zero", "one", "uno", "null", "seven"]),
        ])
        let result = try Self.frame.select(col("small"), col("count")).join(DataFrame(right), on: ["small"], how: kind)
            .collect()
        let left = Self.table.rows.map { ($0[Self.index("small")], $0[Self.index("count")]) }
        let rightRows = (0..<right.rowCount).map { (right.columns[0][$0], right.columns[1][$0]) }
        var expected: [[Value?]] = []
        var matchedRight = Set<Int>()
        for (key, count) in left {
            let matches = rightRows.indices.filter { key != nil && rightRows[$0].0 == key }
            matchedRight.formUnion(matches)
            switch kind {
            case .semi: if !matches.isEmpty { expected.append([key, count]) }
            case .anti: if matches.isEmpty { expected.append([key, count]) }
            default:
                expected += matches.map { [key, count, rightRows[$0].1] }
                if matches.isEmpty && (kind == .left || kind == .full) { expected.append([key, count, nil]) }
            }
        }
        if kind == .right || kind == .full {
            for r in rightRows.indices where !matchedRight.contains(r) {
                expected.append([rightRows[r].0, nil, rightRows[r].1])
            }
        }
        let got = (0..<result.rowCount).map { i in result.columns.map { $0[i] } }
        #expect(got.count == expected.count)
        #expect(got.map { "\($0)" }.sorted() == expected.map { "\($0)" }.sorted())
    }

    @Test("window functions: row_number, rank, lag and running sums per partition")
    func windows() throws {
        let window = Window(partitionBy: [col("name")], orderBy: [col("count").descending()])
        let result = try Self.frame.select(
            col("name"), col("count"), col("value"), WindowFunction.rowNumber.over(window).alias("rn"),
            WindowFunction.rank.over(window).alias("rank"),
            WindowFunction.lag(col("count"), offset: 1).over(window).alias("previous"),
            WindowFunction.cumulativeSum(col("count")).over(window).alias("running")
        ).collect()
        var partitions: [Value?: [(Int, Int64)]] = [:]
        for (i, row) in Self.table.rows.enumerated() {
            partitions[row[Self.index("name")], default: []].append(
                (i, Int64(Reference.number(row[Self.index("count")])!)))
        }
        for (_, members) in partitions {
            let ordered = members.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            var running: Int64 = 0
            for (position, (row, count)) in ordered.enumerated() {
                running += count
                let rank = ordered.firstIndex { $0.1 == count }! + 1
                #expect(try result.column("rn")[row] == .int(Int64(position + 1)))
                #expect(try result.column("rank")[row] == .int(Int64(rank)))
                #expect(try result.column("previous")[row] == (position > 0 ? .int(ordered[position - 1].1) : nil))
                #expect(try result.column("running")[row] == .int(running))
            }
        }
    }

    @Test("top 2 per group: a window, then a filter on its rank")
    func topTwo() throws {
        let ranked = try Self.frame.filter(col("value").isNotNull())
            .select(
                col("small"), col("value"),
                WindowFunction.rowNumber.over(partitionBy: [col("small")], orderBy: [col("value").descending()]).alias(
                    "rn"))
        let result = try ranked.filter(col("rn") <= 2).collect()
        var byKey: [Value?: [Double]] = [:]
        for row in Self.table.rows {
            if let value = Reference.number(row[Self.index("value")]) {
                byKey[row[Self.index("small")], default: []].append(value)
            }
        }
        #expect(result.rowCount == byKey.values.reduce(0) { $0 + min(2, $1.count) })
        for i in 0..<result.rowCount {
            let top = byKey[try result.column("small")[i]]!.sorted(by: >)
            let rank = Int(Reference.number(try result.column("rn")[i])!)
            #expect(Reference.number(try result.column("value")[i]) == top[rank - 1])
        }
    }

    @Test("distinct, union and limit")
    func distinctUnionLimit() throws {
        let pairs = try Self.frame.select(col("name"), col("small"))
        let distinct = try pairs.distinct().collect()
        #expect(
            distinct.rowCount
                == Set(Self.table.rows.map { "\($0[Self.index("name")] as Any)\($0[Self.index("small")] as Any)" })
                .count)
        let doubled = try pairs.union(pairs)
        #expect(try doubled.collect().rowCount == 2 * Self.table.batch.rowCount)
        #expect(try doubled.distinct().collect().rowCount == distinct.rowCount)
        let limited = try doubled.limit(5).collect()
        #expect(limited.rowCount == 5)
        #expect(try limited.column("small") == Self.table.batch.column("small").slice(0..<5))
    }
}
