import Foundation
import Testing

@testable import FlockData

@Suite("Hive-style key=value folders read as one partitioned table")
struct HivePartitionTests {
    /// A folder of CSV and Parquet files under year=/month= folders, with a _SUCCESS marker.
    static func dataset() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("flock-hive-\(UUID())").path
        for (folder, rows) in [("year=2024/month=1", "v\n1\n2\n"), ("year=2024/month=2", "v\n3\n")] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
            try rows.write(toFile: "\(root)/\(folder)/part-0.csv", atomically: true, encoding: .utf8)
        }
        let last = "\(root)/year=2025/month=\(HivePartitions.nullValue)"
        try FileManager.default.createDirectory(atPath: last, withIntermediateDirectories: true)
        try ParquetWriter.write(
            [try RecordBatch(["v": Column([Int64(4), 5, 6] as [Int64?])])], to: last + "/p.parquet")
        try "".write(toFile: "\(root)/_SUCCESS", atomically: true, encoding: .utf8)
        return root
    }

    @Test("keys become typed columns (integers, null for Hive's default partition) and SQL groups by them")
    func read() throws {
        let root = try Self.dataset()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let table = try TableFiles.read(root).collect()
        #expect(table.names == ["v", "year", "month"])
        #expect(try table.column("year").type == .int64 && table.column("month").type == .int64)
        let rows = (0..<table.rowCount).map { i in table.columns.map { $0[i] } }
        #expect(rows.count == 6)
        #expect(rows[0] == [.int(1), .int(2024), .int(1)] && rows[2] == [.int(3), .int(2024), .int(2)])
        #expect(rows[5] == [.int(6), .int(2025), nil])
        let sums = try SQLContext().query("SELECT year, sum(v) AS v FROM '\(root)' GROUP BY year ORDER BY year")
            .collect()
        #expect(try sums.column("v")[0] == .int(6) && sums.column("v")[1] == .int(15))
        // A glob reads the keys below its last folder without a wildcard.
        let glob = try TableFiles.read(root + "/year=2024/*/*.csv").collect()
        #expect(glob.names == ["v", "month"] && glob.rowCount == 3, "\(glob.names)")
    }

    @Test("text keys are percent-decoded; files under different keys, or a key that is also a column, are refused")
    func refusals() throws {
        let values = HivePartitions.values(of: "/d/city=New%20York/x=a%3Db/f.csv", under: "/d")
        #expect(values.map(\.key) == ["city", "x"] && values.map(\.value) == ["New York", "a=b"])
        let root = try Self.dataset()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "v\n9\n".write(toFile: "\(root)/stray.csv", atomically: true, encoding: .utf8)
        #expect(throws: DataError.self) { try TableFiles.read(root) }
        try FileManager.default.removeItem(atPath: "\(root)/stray.csv")
        try "v,year\n9,1\n".write(
            toFile: "\(root)/year=2024/month=1/part-1.csv", atomically: true, encoding: .utf8)
        do {
            _ = try TableFiles.read(root)
            Issue.record("a key that is also a column was accepted")
        } catch {
            #expect("\(error)".contains("partition key \"year\" is also a column"), "\(error)")
        }
    }
}
