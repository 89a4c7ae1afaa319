import Foundation
import Testing

@testable import FlockData

@Suite("Lazy Parquet scans: column pruning, row groups and files skipped by statistics")
struct ParquetScanTests {
    /// A folder with `sales/region=<r>/part.parquet` files: per region 4,000 rows in row
    /// groups of 1,000, `day` increasing so each row group covers a distinct day range.
    static func dataset() throws -> String {
        let folder = NSTemporaryDirectory() + "flock-scan-\(UUID().uuidString)"
        for (r, region) in ["east", "west"].enumerated() {
            let directory = folder + "/region=\(region)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let days = (0..<4_000).map { Int64($0 / 10) }
            let amounts = (0..<4_000).map { $0 % 7 == 0 ? nil : Double($0 % 100) + Double(r) / 2 }
            let names = (0..<4_000).map { "c\($0 % 13)" }
            let batch = try RecordBatch(["day": Column(days), "amount": Column(amounts), "name": Column(names)])
            try ParquetWriter.write([batch], to: directory + "/part.parquet", rowGroupRows: 1_000)
        }
        return folder
    }

    @Test("a filter skips row groups and partition files, reads only used columns, and answers as an eager read")
    func skipping() throws {
        let folder = try Self.dataset()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lazy = try TableFiles.read(folder)
        guard case .parquet = lazy.plan.step else {
            Issue.record("a Parquet folder should scan lazily")
            return
        }
        let eager = try DataFrame(batches: try TableFiles.read(folder).collectBatches())
        for predicate in [
            col("day") >= 250 && col("region") == lit("west"), col("day") < 80, lit(120) > col("day"),
            col("day") == 399, col("amount").isNull(), col("region") != lit("east") || col("day") > 300,
        ] {
            let query = { (frame: DataFrame) in
                try frame.filter(predicate).groupBy(col("region"), col("name")).agg(
                    col("amount").sum().alias("total"), count().alias("n"))
            }
            #expect(Reference.sortedRows(try query(lazy).collect()) == Reference.sortedRows(try query(eager).collect()))
        }
        let optimized = Optimizer.optimize(
            try lazy.filter(col("day") >= 250 && col("region") == lit("west"))
                .select(col("amount")).plan)
        let scan = try #require(Self.scan(in: optimized))
        #expect(scan.columns == ["day", "amount", "region"])
        let kept = try scan.keptRowGroups()
        // East is ruled out by its folder; west keeps days 250..399: row groups 2 and 3.
        #expect(kept.map(\.groups) == [[], [2, 3]])
    }

    @Test("statistics decide only what they prove: nulls, NaN, legacy text and unknown columns keep row groups")
    func pruningRules() {
        let range = StatisticsPruning.Range(minimum: .int(10), maximum: .int(20), nullCount: 0, rowCount: 100)
        let rules = StatisticsPruning(ranges: [
            "x": range, "f": .init(minimum: .double(1), maximum: .double(1), nullCount: 0, rowCount: 5),
            "n": .init(minimum: nil, maximum: nil, nullCount: 5, rowCount: 5),
            "t": .init(minimum: .string("b"), maximum: .string("d"), nullCount: 0, rowCount: 5),
        ])
        #expect(!rules.mayMatch(col("x") > 20) && rules.mayMatch(col("x") >= 20))
        #expect(!rules.mayMatch(col("x") < 10) && rules.mayMatch(col("x") <= 10))
        #expect(!rules.mayMatch(col("x") == 9) && rules.mayMatch(col("x") == 15.5))
        #expect(!rules.mayMatch(lit(21) <= col("x")))
        #expect(!rules.mayMatch(col("x") > 30 || col("x") < 5) && rules.mayMatch(col("x") > 30 || col("x") < 11))
        #expect(rules.mayMatch(col("f") != 1.0))  // NaN rows would pass and are not in statistics.
        #expect(!rules.mayMatch(col("n") == 1) && rules.mayMatch(col("n").isNull()))
        #expect(!rules.mayMatch(col("x").isNull()) && rules.mayMatch(col("x").isNotNull()))
        #expect(!rules.mayMatch(col("t") == lit("a")) && rules.mayMatch(col("t") > lit("c")))
        #expect(rules.mayMatch(col("missing") == 1) && rules.mayMatch(col("x") + 1 > 100))
        #expect(rules.mayMatch(col("x") > lit(Double(Int64(1) << 60))) == false)
    }

    static func scan(in plan: LogicalPlan) -> ParquetScan? {
        if case .parquet(let scan) = plan.step { return scan }
        return plan.inputs.lazy.compactMap(scan).first
    }

    @Test("shares for cluster tasks: each kept row group once, in order, about equal rows; their reads make the whole")
    func shares() throws {
        let folder = try Self.dataset()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard case .parquet(var scan) = try TableFiles.read(folder).plan.step else {
            Issue.record("a Parquet folder should scan lazily")
            return
        }
        scan.filters = [col("day") >= 150]
        let whole = try scan.read()
        for count in [1, 3, 7, 50] {
            let (parts, rows) = try scan.shares(count)
            #expect(parts.count == min(count, 6), "two files of 3 kept row groups each")
            #expect(rows == 6_000)
            let kept = parts.flatMap { part in part.share!.flatMap { share in share.rowGroups.map { (share.file, $0) } }
            }
            let expected = try scan.keptRowGroups().flatMap { file, _, groups in groups.map { (file, $0) } }
            #expect(kept.map { "\($0.0)#\($0.1)" } == expected.map { "\($0.0)#\($0.1)" })
            let read = try parts.flatMap { try $0.read() }
            #expect(
                Reference.sortedRows(try RecordBatch.concatenate(read, schema: scan.schema))
                    == Reference.sortedRows(try RecordBatch.concatenate(whole, schema: scan.schema)))
            let encoded = try JSONEncoder().encode(parts[0])
            #expect(try JSONDecoder().decode(ParquetScan.self, from: encoded).share == parts[0].share)
        }
    }

}
