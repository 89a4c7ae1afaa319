import CFlockFiles
import Foundation

/// Writing a frame as a dataset folder that Flock, Spark, DuckDB, Polars and pyarrow read
/// as one table: `part-00000.parquet`, ... of at most `rowsPerFile` rows each, under
/// hive-style `key=value/` folders for each `partitionBy` column (the column then lives in
/// the folder names, not in the files), and a `_SUCCESS` marker.
///
/// ```swift
/// try frame.write(to: "sales", DatasetWriter(partitionBy: ["year"], mode: .overwrite))
/// ```
///
/// Underneath, every file goes into a hidden staging folder beside the destination
/// (`.sales.staging-<pid>-<n>`, skipped by readers); only when all are written and synced is
/// the folder renamed into place in one step (`renameat2`: without replacing anything, or
/// swapped with the dataset it overwrites, which is then deleted). A reader sees the old
/// dataset or the new one, never part of one; a failure or crash leaves at most the hidden
/// staging folder. What can go wrong: the destination exists under `.errorIfExists`, a
/// partition column is missing or cannot name a folder (floats, dates, timestamps: cast
/// them first), or the file system fails; each throws and leaves the destination as it was.
public struct DatasetWriter: Sendable {
    /// The files' format.
    public enum Format: Sendable, Equatable {
        /// Parquet with the given page compression.
        case parquet(ParquetWriter.Compression)
        /// CSV with a header line.
        case csv

        var fileExtension: String {
            switch self {
            case .parquet: "parquet"
            case .csv: "csv"
            }
        }
    }

    /// What happens when the destination already exists.
    public enum Mode: Sendable {
        /// Throw and leave it alone (Spark's default).
        case errorIfExists
        /// Replace it as a whole with the new dataset.
        case overwrite
    }

    /// The files' format.
    public var format: Format
    /// Columns whose values name the folders (outermost first).
    public var partitionBy: [String]
    /// What to do when the destination exists.
    public var mode: Mode
    /// The most rows in one file (each Parquet file keeps 1M-row row groups).
    public var rowsPerFile: Int

    /// A writer; by default Snappy Parquet, no partition folders, refusing to overwrite.
    public init(
        format: Format = .parquet(.snappy), partitionBy: [String] = [], mode: Mode = .errorIfExists,
        rowsPerFile: Int = 1 << 22
    ) {
        self.format = format
        self.partitionBy = partitionBy
        self.mode = mode
        self.rowsPerFile = rowsPerFile
    }

    /// Writes `batches` (same columns) as the dataset folder `folder`; returns the data
    /// files' paths relative to it, sorted.
    /// - Throws: `DataError.unknownColumn` or `.invalidOperation` for a bad partition
    ///   column, `DataError.unreadableFile` for a destination that exists (`.errorIfExists`)
    ///   or a file-system failure; the destination is then as it was.
    @discardableResult
    public func write(_ batches: [RecordBatch], to folder: String) throws -> [String] {
        guard let first = batches.first else { throw DataError.malformedBatch("nothing to write to \(folder)") }
        let whole = try RecordBatch.concatenate(batches, schema: Schema(of: first))
        let keyIndices = try partitionBy.map { name -> Int in
            guard let index = whole.names.firstIndex(of: name) else {
                throw DataError.unknownColumn(name, available: whole.names)
            }
            guard Self.namesFolders(whole.columns[index].type) else {
                throw DataError.invalidOperation(
                    "partition column \"\(name)\" is \(whole.columns[index].type): only integer, bool and text "
                        + "values name folders (cast it first)")
            }
            return index
        }
        guard keyIndices.count < whole.columns.count else {
            throw DataError.invalidOperation("every column is a partition column: the files would hold none")
        }
        if mode == .errorIfExists, FileManager.default.fileExists(atPath: folder) {
            throw DataError.unreadableFile(
                path: folder, "the dataset exists (write with mode .overwrite to replace it)")
        }
        let staging = try Self.stagingFolder(for: folder)
        do {
            let written = try writeFiles(of: whole, keyIndices: keyIndices, into: staging)
            try AtomicFile.write(to: staging + "/_SUCCESS") { _ in }
            try publish(staging, as: folder)
            return written
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    /// Writes the files of `whole` below `root` (one set per partition); their relative paths.
    private func writeFiles(of whole: RecordBatch, keyIndices: [Int], into root: String) throws -> [String] {
        let kept = whole.columns.indices.filter { !keyIndices.contains($0) }
        let data = try RecordBatch(names: kept.map { whole.names[$0] }, columns: kept.map { whole.columns[$0] })
        var written: [String] = []
        for (rows, firstRow) in Self.partitions(of: whole, keyIndices: keyIndices) {
            let folder = keyIndices.map { Self.folderName(whole.names[$0], whole.columns[$0], firstRow) }
            let directory = ([root] + folder).joined(separator: "/")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let part = rows.map { data.gather($0) } ?? data
            let perFile = Swift.max(1, rowsPerFile)
            for (n, start) in stride(from: 0, to: Swift.max(part.rowCount, 1), by: perFile).enumerated() {
                let slice = part.slice(start..<Swift.min(start + perFile, part.rowCount))
                let name = String(format: "part-%05d.%@", n, format.fileExtension)
                switch format {
                case .parquet(let compression):
                    try ParquetWriter.write([slice], to: directory + "/" + name, compression: compression)
                case .csv: try CSVWriter.write([slice], to: directory + "/" + name)
                }
                written.append((folder + [name]).joined(separator: "/"))
            }
        }
        return written.sorted()
    }

    /// The rows of each distinct combination of the key columns (in input order) with the
    /// first of them; one partition of every row (nil rows) without keys.
    private static func partitions(of batch: RecordBatch, keyIndices: [Int]) -> [(rows: [Int32]?, firstRow: Int)] {
        guard !keyIndices.isEmpty else { return [(nil, 0)] }
        let groups = GroupIndex(keys: keyIndices.map { [batch.columns[$0]] }, morsels: Morsels([batch]))
        var rows = [[Int32]](repeating: [], count: groups.groupCount)
        for (row, id) in groups.ids.enumerated() { rows[Int(id)].append(Int32(row)) }
        return zip(rows, groups.firstRows).map { ($0, $1) }
    }

    /// Whether values of `type` can name a folder (and read back as the same value).
    private static func namesFolders(_ type: DataType) -> Bool {
        switch type {
        case .bool, .int8, .int16, .int32, .int64, .utf8, .categorical: true
        case .float32, .float64, .date32, .timestampMicroseconds: false
        }
    }

    /// `key=value` for row `row` of `column`: the value percent-encoded, null as Hive's
    /// default partition name.
    static func folderName(_ key: String, _ column: Column, _ row: Int) -> String {
        guard !column.isNull(row) else { return "\(key)=\(HivePartitions.nullValue)" }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")
        let value = column.text(orDescriptionOf: row)
        return "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
    }

    /// A new hidden folder beside `folder` (same file system, so the rename is one step).
    private static func stagingFolder(for folder: String) throws -> String {
        let url = URL(fileURLWithPath: folder)
        let parent = url.deletingLastPathComponent().path
        let staging = "\(parent)/.\(url.lastPathComponent).staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw DataError.unreadableFile(
                path: folder, "cannot stage the dataset beside it: \(error.localizedDescription)")
        }
        return staging
    }

    /// Moves the finished `staging` folder to `folder` in one step (two renames, with a
    /// moment of no dataset, where the file system lacks `renameat2`).
    private func publish(_ staging: String, as folder: String) throws {
        if flock_rename_noreplace(staging, folder) == 0 { return }
        var failure = errno
        if failure == EINVAL || failure == ENOSYS {
            failure =
                FileManager.default.fileExists(atPath: folder) ? EEXIST : (rename(staging, folder) == 0 ? 0 : errno)
            if failure == 0 { return }
        }
        guard failure == EEXIST || failure == ENOTEMPTY else {
            throw DataError.unreadableFile(path: folder, "cannot move the dataset into place: \(Self.reason(failure))")
        }
        guard mode == .overwrite else {
            throw DataError.unreadableFile(path: folder, "the dataset appeared while it was written; nothing replaced")
        }
        if flock_rename_exchange(staging, folder) != 0 {
            guard errno == EINVAL || errno == ENOSYS else {
                throw DataError.unreadableFile(path: folder, "cannot replace it: \(Self.reason(errno))")
            }
            let aside = staging + ".old"
            guard rename(folder, aside) == 0 else {
                throw DataError.unreadableFile(path: folder, "cannot replace it: \(Self.reason(errno))")
            }
            guard rename(staging, folder) == 0 else {
                let reason = Self.reason(errno)
                _ = rename(aside, folder)
                throw DataError.unreadableFile(path: folder, "cannot replace it: \(reason)")
            }
            try? FileManager.default.removeItem(atPath: aside)
            return
        }
        // `staging` now holds the old dataset.
        try? FileManager.default.removeItem(atPath: staging)
    }

    /// The system's words for an errno value.
    private static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}

extension DataFrame {
    /// Runs the plan and writes its rows as the dataset folder `folder` (see
    /// `DatasetWriter`); returns the data files' paths relative to it.
    @discardableResult
    public func write(to folder: String, _ writer: DatasetWriter = DatasetWriter()) throws -> [String] {
        try writer.write(collectBatches(), to: folder)
    }
}
