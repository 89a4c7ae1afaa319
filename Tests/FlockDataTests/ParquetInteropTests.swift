import FlockData
import FlockTestSupport
import Foundation
import Testing

/// A Python that has pyarrow: `FLOCK_PYTHON`, the venv `.ci/run` makes, or the system's.
enum PythonWithPyArrow {
    static let path: String? = {
        let candidates = [
            ProcessInfo.processInfo.environment["FLOCK_PYTHON"], ".build/peers-venv/bin/python3", "/usr/bin/python3",
        ]
        return candidates.compactMap { $0 }.first { candidate in
            guard FileManager.default.isExecutableFile(atPath: candidate),
                let probe = try? TestProcess(candidate, ["-c", "import pyarrow"])
            else { return false }
            return probe.finish(within: 60) == 0
        }
    }()
}

@Suite("Parquet interoperability with pyarrow, Polars and DuckDB")
struct ParquetInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/parquet_interop.py").path

    @Test(
        "pyarrow's files (each codec, dictionary and plain, pages v1 and v2, delta, INT96, dictionary fallback) read exactly; Flock's files read back the same in pyarrow, Polars and DuckDB",
        .enabled(
            if: PythonWithPyArrow.path != nil,
            "skipped: no Python with pyarrow (set FLOCK_PYTHON; .ci/run installs one)"))
    func interop() throws {
        let python = try #require(PythonWithPyArrow.path)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flock-parquet-interop-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let write = try TestProcess(python, [Self.script, "write", folder.path])
        try #require(write.finish(within: 120) == 0, "\(write.output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".parquet") }
        #expect(files.count == 19)
        for (i, name) in files.sorted().enumerated() {
            let batches = try ParquetReader.read(path: folder.appendingPathComponent(name).path)
            #expect(batches.reduce(0) { $0 + $1.rowCount } == 3000, "\(name)")
            let compression = ParquetWriter.Compression.allCases[i % ParquetWriter.Compression.allCases.count]
            try ParquetWriter.write(
                batches, to: folder.appendingPathComponent("flock-" + name).path, compression: compression,
                rowGroupRows: 1000)
        }
        let check = try TestProcess(python, [Self.script, "check", folder.path])
        #expect(check.finish(within: 300) == 0, "\(check.output)")
        #expect(check.output.contains("checked 19 files"), "\(check.output)")
    }
}
