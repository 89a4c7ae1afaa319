import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Tables stored as files: one file, a directory of files (with its subfolders, hive-style
/// `key=value` folders becoming columns: `HivePartitions`), or a glob pattern
/// (`data/*.csv`), read as one frame whose batches are the files.
public enum TableFiles {
    /// The frame of the files `path` names: CSV (`.csv`), Parquet (`.parquet`, each row
    /// group a batch; Parquet files alone are scanned lazily, `ParquetScan`) and NDJSON (`.ndjson`, `.jsonl`, `.json`: one object per line).
    /// - Throws: `DataError.unreadableFile` when nothing matches, a file has a format Flock
    ///   cannot read, or the files' columns differ; `DataError.malformedCSV` for bad CSV.
    ///   `columns` (lowercased names) is a hint: Parquet files decode only the columns named
    ///   there (at least one, so rows still count); nil reads every column.
    @Sendable public static func read(_ path: String, columns: Set<String>? = nil) throws -> DataFrame {
        let files = try paths(matching: path)
        if files.allSatisfy({ ["parquet", "pq"].contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }) {
            // Parquet alone: a lazy scan (columns and row groups chosen when the query runs).
            var scan = try ParquetScan(path)
            if let columns {
                let kept = scan.fullSchema.names.filter { columns.contains($0.lowercased()) }
                scan.columns = kept.isEmpty ? Array(scan.fullSchema.names.prefix(1)) : kept
            }
            return DataFrame(plan: LogicalPlan(.parquet(scan), inputs: [], schema: scan.schema))
        }
        let perFile = try files.map { file -> [RecordBatch] in
            switch URL(fileURLWithPath: file).pathExtension.lowercased() {
            case "csv", "tsv", "txt": return try CSVReader.readBatches(path: file)
            case "parquet", "pq": return try ParquetReader.read(path: file, keeping: columns)
            case "ndjson", "jsonl", "json": return [try NDJSONReader.read(path: file)]
            default:
                throw DataError.unreadableFile(path: file, "unknown file type (expected .csv, .parquet or .ndjson)")
            }
        }
        let sources = zip(files, perFile).flatMap { file, batches in batches.map { _ in file } }
        let partitioned = try HivePartitions.appending(perFile, files: files, root: HivePartitions.root(of: path))
        let batches = harmonizingTypes(partitioned.flatMap { $0 })
        guard let first = batches.first else {
            throw DataError.unreadableFile(path: path, "the files hold no row groups")
        }
        let schema = Schema(of: first)
        for (file, batch) in zip(sources, batches) where Schema(of: batch) != schema {
            throw DataError.unreadableFile(
                path: file, "its columns [\(Schema(of: batch))] differ from \(sources[0])'s [\(schema)]")
        }
        return try DataFrame(batches: batches.flatMap { DataFrame.morsels(of: $0) }, name: path)
    }

    /// The file at `path`, memory-mapped (what every reader here reads files through).
    /// - Throws: `DataError.unreadableFile` with the file system's reason.
    static func mapped(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw DataError.unreadableFile(path: path, error.localizedDescription)
        }
    }

    /// `batches` with every column of one type across them where that can be: where files
    /// or row groups inferred or stored a column differently, it takes the type that holds
    /// every batch's values (`commonType`) and the others are cast to it.
    static func harmonizingTypes(_ batches: [RecordBatch]) -> [RecordBatch] {
        guard let first = batches.first else { return batches }
        let targets = first.names.indices.map { j in
            commonType(Set(batches.map { $0.columns.indices.contains(j) ? $0.columns[j].type : .utf8 }))
        }
        guard batches.contains(where: { batch in zip(batch.columns, targets).contains { $1 != nil && $0.type != $1 } })
        else { return batches }
        return batches.map { batch in
            let columns = zip(batch.columns, targets).map { column, target in
                target.map { Cast.apply(column, to: $0) } ?? column
            }
            // Invariant: casting keeps each column's length and the names.
            return try! RecordBatch(names: batch.names, columns: columns)
        }
    }

    /// The type for a column seen as each of `types`: itself when one; int64 for integers of
    /// several widths; float64 for integers and floats (a CSV file whose values happen to be
    /// whole); utf8 for text beside anything; nil for other mixes (dates beside numbers),
    /// left for the reader to report.
    static func commonType(_ types: Set<DataType>) -> DataType? {
        if types.count == 1, let only = types.first { return only }
        if types.allSatisfy(\.isInteger) { return .int64 }
        if types.allSatisfy({ $0.isInteger || $0 == .float32 || $0 == .float64 }) { return .float64 }
        return types.contains(where: \.isText) ? .utf8 : nil
    }

    /// The files `path` stands for, sorted: itself, the files of a directory and its
    /// subfolders (skipping names that start with "." or "_", as `_SUCCESS`), or the
    /// matches of a glob pattern.
    static func paths(matching path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return [path] }
            let files = try filesBelow(path)
            guard !files.isEmpty else { throw DataError.unreadableFile(path: path, "the directory is empty") }
            return files
        }
        guard path.contains(where: { "*?[".contains($0) }) else {
            throw DataError.unreadableFile(path: path, "no such file or directory")
        }
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(path, 0, nil, &matches) == 0, matches.gl_pathc > 0 else {
            throw DataError.unreadableFile(path: path, "no file matches the pattern")
        }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// The files in `folder` and its subfolders, sorted by path.
    /// - Throws: `DataError.unreadableFile` past 32 levels of folders (a link loop).
    private static func filesBelow(_ folder: String, depth: Int = 0) throws -> [String] {
        guard depth < 32 else { throw DataError.unreadableFile(path: folder, "folders nest more than 32 deep") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw DataError.unreadableFile(path: folder, error.localizedDescription)
        }
        return try names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") }.sorted().flatMap { name -> [String] in
            let path = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            return isDirectory.boolValue ? try filesBelow(path, depth: depth + 1) : [path]
        }
    }
}
