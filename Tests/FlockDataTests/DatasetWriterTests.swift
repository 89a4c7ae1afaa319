import FlockTestSupport
import Foundation
import Testing

@testable import FlockData

@Suite("Dataset folders: hive partitions written atomically, read back as the same table")
struct DatasetWriterTests {
    /// A fresh empty parent folder (removed by the caller).
    static func parent() throws -> String {
        let folder = NSTemporaryDirectory() + "flock-dataset-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// `batch`'s columns in `names`' order.
    static func reordered(_ batch: RecordBatch, _ names: [String]) throws -> RecordBatch {
        try RecordBatch(names: names, columns: names.map { try batch.column($0) })
    }

    @Test("partitioned by a categorical and an integer key with nulls, in Parquet and CSV: the rows read back equal")
    func roundTrip() throws {
        let root = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let table = ReferenceTable(rows: 3_000, seed: 7).batch
        let frame = try DataFrame(batches: DataFrame.morsels(of: table, rows: 500))
        for format in [DatasetWriter.Format.parquet(.zstd), .csv] {
            let folder = root + "/out-\(format.fileExtension)"
            let files = try frame.write(
                to: folder, DatasetWriter(format: format, partitionBy: ["name", "small"], rowsPerFile: 100))
            #expect(files.allSatisfy { $0.hasPrefix("name=") && $0.contains("/small=") })
            #expect(files.contains { $0.hasPrefix("name=__HIVE_DEFAULT_PARTITION__/") })
            #expect(files.contains { $0.hasSuffix("part-00001.\(format.fileExtension)") }, "100-row files")
            #expect(FileManager.default.fileExists(atPath: folder + "/_SUCCESS"))
            let back = try TableFiles.read(folder).collect()
            #expect(back.names.suffix(2) == ["name", "small"], "partition columns come last")
            let expected = format == .csv ? try Self.asCSVReadsIt(table) : table
            #expect(Reference.sortedRows(try Self.reordered(back, table.names)) == Reference.sortedRows(expected))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["out-csv", "out-parquet"])
    }

    /// `table` as a CSV read gives it back: text columns without categories.
    static func asCSVReadsIt(_ table: RecordBatch) throws -> RecordBatch {
        let path = NSTemporaryDirectory() + "flock-dataset-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try CSVWriter.write([table], to: path)
        return try RecordBatch.concatenate(CSVReader.readBatches(path: path), schema: Schema(of: table))
    }

    @Test("text keys with slashes, equals, percent and spaces name folders and read back unchanged")
    func awkwardValues() throws {
        let root = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let keys = ["a/b", "x=y", "50%", "two words", "é", ""]
        let batch = try RecordBatch([
            "key": Column(keys.map { Optional($0) }), "value": Column(keys.indices.map { Int64($0) }),
        ])
        try DatasetWriter(format: .parquet(.none), partitionBy: ["key"]).write([batch], to: root + "/t")
        let back = try TableFiles.read(root + "/t").sort(SortKey(col("value"))).collect()
        #expect((0..<back.rowCount).map { try? back.column("key").text($0) } == keys)
    }

    @Test("an existing dataset is refused, or replaced whole with .overwrite; nothing staged is left behind")
    func modes() throws {
        let root = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/sales"
        let old = try RecordBatch(["year": Column([Int64(2023), 2024]), "amount": Column([1.5, 2.5])])
        let new = try RecordBatch(["year": Column([Int64(2025)]), "amount": Column([9.0])])
        try DataFrame(old).write(to: folder, DatasetWriter(partitionBy: ["year"]))
        #expect(throws: DataError.self) { try DataFrame(new).write(to: folder, DatasetWriter(partitionBy: ["year"])) }
        #expect(try TableFiles.read(folder).collect().rowCount == 2)
        try DataFrame(new).write(to: folder, DatasetWriter(partitionBy: ["year"], mode: .overwrite))
        let back = try TableFiles.read(folder).collect()
        #expect(back.rowCount == 1)
        #expect(try back.column("year")[0] == .int(2025))
        #expect(!FileManager.default.fileExists(atPath: folder + "/year=2023"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["sales"])
    }

    @Test("a failure halfway (a folder name too long) leaves the old dataset whole and no staging folder")
    func failureLeavesNothing() throws {
        let root = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/t"
        let old = try RecordBatch(["key": Column(["kept"]), "value": Column([Int64(1)])])
        try DatasetWriter(partitionBy: ["key"]).write([old], to: folder)
        let bad = try RecordBatch([
            "key": Column(["a", "b", String(repeating: "x", count: 300)]), "value": Column([Int64(1), 2, 3]),
        ])
        for mode in [DatasetWriter.Mode.overwrite, .errorIfExists] {
            #expect(throws: (any Error).self) {
                try DatasetWriter(partitionBy: ["key"], mode: mode).write(
                    [bad], to: mode == .overwrite ? folder : root + "/new")
            }
        }
        #expect(try TableFiles.read(folder).collect().rowCount == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["t"])
    }

    @Test("bad partition columns are named: unknown, float, or every column")
    func badPartitions() throws {
        let root = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let batch = try RecordBatch(["k": Column([Int64(1)]), "v": Column([1.0])])
        #expect(throws: DataError.unknownColumn("kk", available: ["k", "v"])) {
            try DatasetWriter(partitionBy: ["kk"]).write([batch], to: root + "/a")
        }
        #expect { try DatasetWriter(partitionBy: ["v"]).write([batch], to: root + "/a") } throws: { error in
            "\(error)".contains("\"v\" is float64")
        }
        #expect(throws: DataError.self) { try DatasetWriter(partitionBy: ["k", "v"]).write([batch], to: root + "/a") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }

    @Test(
        "pyarrow reads a partitioned dataset Flock wrote as the same rows",
        .enabled(if: PythonWithPyArrow.path != nil, "skipped: no Python with pyarrow (set FLOCK_PYTHON)"))
    func pyarrowReads() throws {
        let python = try #require(PythonWithPyArrow.path)
        let root = try Self.parent()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let table = ReferenceTable(rows: 2_000, seed: 3).batch
        try DatasetWriter(partitionBy: ["name"], rowsPerFile: 300).write([table], to: root + "/t")
        let script = """
            import sys, pyarrow.dataset as ds
            t = ds.dataset(sys.argv[1], format="parquet", partitioning="hive").to_table()
            print(t.num_rows, t.column("value").to_pylist().count(None), round(sum(v for v in t.column("value").to_pylist() if v is not None), 6))
            """
        let check = try TestProcess(python, ["-c", script, root + "/t"])
        #expect(check.finish(within: 120) == 0, "\(check.output)")
        let values = try table.column("value")
        let nulls = (0..<values.count).filter { values.isNull($0) }.count
        let sum = (0..<values.count).compactMap { Reference.number(values[$0]) }.reduce(0, +)
        #expect(check.output.contains("2000 \(nulls) \((sum * 1e6).rounded() / 1e6)"), "\(check.output)")
    }
}
