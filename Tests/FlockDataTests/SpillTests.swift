import FlockData
import Foundation
import Testing

@Suite("Aggregation, joins and sorts spilling to disk give the in-memory answers")
struct SpillTests {
    static let table = ReferenceTable(rows: 3_000, seed: 29)
    static var frame: DataFrame { DataFrame(table.batch, morselRows: 257) }
    /// Small enough that every blocking step here spills into many partitions or runs.
    static let tinyLimit = 48 << 10

    /// A fresh folder for spill files, removed with its contents by the caller.
    static func spillFolder() throws -> String {
        let path = NSTemporaryDirectory() + "flock-spill-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test("grouped aggregates of every kind, by every key coding, equal the in-memory run")
    func aggregation() throws {
        let folder = try Self.spillFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let aggregates: [Expr] = [
            col("value").sum().alias("sum"), col("value").mean().alias("mean"), col("count").sum().alias("isum"),
            col("value").min().alias("min"), col("text").max().alias("tmax"), count().alias("rows"),
            col("value").count().alias("n"), col("value").median().alias("median"), col("value").std().alias("sd"),
            col("text").countDistinct().alias("distinct"), col("value").first().alias("first"),
            col("value").last().alias("last"), corr(col("value"), col("count")).alias("r"),
        ]
        let keySets: [[Expr]] = [
            [col("name")], [col("small"), col("name")], [col("wide")],
            [(col("small") * 2).alias("twice"), col("text")],
        ]
        for keys in keySets {
            let query = try Self.frame.groupBy(keys).agg(aggregates)
            let policy = SpillPolicy(memoryLimit: Self.tinyLimit, directory: folder)
            let spilled = try query.collect(spill: policy)
            #expect(policy.statistics.filesCreated > 8 && policy.statistics.bytesWritten > 10_000)
            #expect(Reference.sortedRows(spilled) == Reference.sortedRows(try query.collect()), "keys \(keys)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
    }

    @Test("every join kind, on integer, categorical and mixed int/float keys, equals the in-memory join")
    func joins() throws {
        let right = try Self.frame.filter(col("count") < 2).select(
            col("small").alias("rsmall"), col("name").alias("rname"), col("value").alias("rvalue"),
            col("count").cast(.float64).alias("rcount"))
        for kind in [JoinKind.inner, .left, .right, .full, .semi, .anti] {
            for (left, rightKey) in [("small", "rsmall"), ("name", "rname"), ("count", "rcount")] {
                let query = try Self.frame.select(col("small"), col("name"), col("count"), col("value"))
                    .join(right, leftOn: [left], rightOn: [rightKey], how: kind)
                let policy = SpillPolicy(memoryLimit: Self.tinyLimit)
                let spilled = try query.collect(spill: policy)
                #expect(policy.statistics.filesCreated > 8)
                #expect(
                    Reference.sortedRows(spilled) == Reference.sortedRows(try query.collect()),
                    "\(kind) on \(left) = \(rightKey)"
                )
            }
        }
    }

    @Test("a multi-key sort merged from many sorted runs equals the in-memory sort row for row")
    func externalSort() throws {
        let query = try Self.frame.sort(
            col("name").ascending(nullsFirst: true), col("value").descending(), col("small").ascending())
        let policy = SpillPolicy(memoryLimit: 16 << 10)
        let spilled = try query.collect(spill: policy)
        #expect(policy.statistics.filesCreated > 3)
        let memory = try query.collect()
        #expect(spilled.rowCount == memory.rowCount)
        for column in memory.names { #expect(try spilled.column(column) == memory.column(column), "column \(column)") }
    }

    @Test("memory limits read as sizes; a bad limit or folder is a clear error")
    func policy() throws {
        #expect(try SpillPolicy.bytes("512MiB") == 512 << 20)
        #expect(try SpillPolicy.bytes("2G") == 2 << 30)
        #expect(try SpillPolicy.bytes("64k") == 64 << 10)
        #expect(try SpillPolicy.bytes("1000") == 1000)
        for bad in ["", "abc", "-5", "12 parsecs", "0", "99999999999999999999T"] {
            #expect(throws: DataError.self, "\(bad)") { try SpillPolicy.bytes(bad) }
        }
        let query = try Self.frame.groupBy(col("wide")).agg(count().alias("n"))
        #expect(throws: DataError.self) {
            try query.collect(spill: SpillPolicy(memoryLimit: Self.tinyLimit, directory: "/nonexistent/flock-spill"))
        }
    }
}
