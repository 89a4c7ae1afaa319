import Foundation

/// Parquet files read when the query runs rather than when the frame is made: the schema
/// comes from the footers at plan time; at run time only the columns the plan reads are
/// decoded (`columns`, set by the optimizer's column pruning), and row groups whose
/// statistics prove a pushed-down filter false for every row are skipped without reading
/// their pages (`filters`, conjuncts the optimizer copies from filters above the scan; the
/// filters stay in the plan). Hive `key=value` folder values act as exact statistics, so a
/// filter on a partition key skips whole files.
///
/// Text columns are categorical when every row group lists a dictionary encoding for
/// them, else utf8; a row group that reads otherwise (a writer that fell back to plain
/// pages) is cast to the planned type, so every batch has the plan's schema.
public struct ParquetScan: Sendable, Codable {
    /// The path or pattern the user gave.
    public let path: String
    /// The files, sorted.
    let files: [String]
    /// The folder under which `key=value` folders are partition columns.
    let root: String
    /// Every column: the files' own, then the partition keys.
    let fullSchema: Schema
    /// The partition keys' names.
    let partitionKeys: Set<String>
    /// The columns read (all when nil); never empty, so rows still count.
    var columns: [String]?
    /// Conjuncts that let row groups be skipped.
    var filters: [Expr] = []
    /// When set, the scan reads these row groups of these files only (a cluster task's
    /// share, chosen on the driver from `keptRowGroups`), without pruning again.
    var share: [Share]?

    /// Row groups of one file.
    struct Share: Codable, Sendable, Equatable {
        /// The file.
        var file: String
        /// Its row groups to read, in order.
        var rowGroups: [Int]
    }

    /// The columns the scan makes.
    var schema: Schema {
        guard let columns else { return fullSchema }
        return Schema(fullSchema.fields.filter { columns.contains($0.name) })
    }

    /// The scan of the Parquet files `path` names (a file, a folder, a glob).
    /// - Throws: `DataError.unreadableFile` or `.malformedParquet` for missing or bad files,
    ///   or files whose columns differ.
    public init(_ path: String) throws {
        self.path = path
        files = try TableFiles.paths(matching: path)
        root = HivePartitions.root(of: path)
        var schema: Schema?
        for file in files {
            let own = try Self.footerSchema(of: file)
            guard let known = schema else {
                schema = own
                continue
            }
            // Text that is categorical in one file and utf8 in another reads as utf8.
            func text(_ type: DataType) -> DataType { type == .categorical ? .utf8 : type }
            guard known.names == own.names, zip(known.fields, own.fields).allSatisfy({ text($0.type) == text($1.type) })
            else {
                throw DataError.unreadableFile(path: file, "its columns [\(own)] differ from \(files[0])'s [\(known)]")
            }
            schema = Schema(
                zip(known.fields, own.fields).map { $0.type == $1.type ? $0 : .init(name: $0.name, type: .utf8) })
        }
        let keys = HivePartitions.fields(files: files, root: root)
        partitionKeys = Set(keys.map(\.name))
        // Invariant: `paths(matching:)` returns at least one file.
        fullSchema = Schema(schema!.fields + keys)
    }

    /// The schema a file's footer describes (text typed as the scan reads it).
    private static func footerSchema(of file: String) throws -> Schema {
        let parquet = try ParquetFile.opening(file)
        return Schema(
            try parquet.leaves.enumerated().map { index, leaf in
                var type = try ParquetColumnType(leaf).type
                if type == .utf8
                    && parquet.metadata.rowGroups.allSatisfy({ group in
                        group.columns.indices.contains(index)
                            && group.columns[index].encodings.contains {
                                $0 == .plainDictionary || $0 == .rleDictionary
                            }
                    })
                {
                    type = .categorical
                }
                return Schema.Field(name: leaf.name, type: type)
            })
    }

    /// Reads the scan: the kept row groups of every file, in file order, with `columns`.
    func read() throws -> [RecordBatch] {
        let output = schema
        let fileColumns = output.names.filter { !partitionKeys.contains($0) }
        var batches: [RecordBatch] = []
        for (file, parquet, groups) in try keptRowGroups() where !groups.isEmpty {
            // A scan of partition keys only still reads a file column, for row counts.
            let read = fileColumns.isEmpty ? [fullSchema.names[0]] : fileColumns
            let fileBatches = try parquet.batches(columns: read, rowGroups: groups)
            let withKeys = try HivePartitions.appending([fileBatches], files: [file], root: root, typedBy: files)[0]
            batches += try withKeys.map { try Self.conforming($0, to: output) }
        }
        return batches.isEmpty ? [try RecordBatch.empty(output)] : batches
    }

    /// Each file with the row groups that `filters` do not rule out (footers only).
    func keptRowGroups() throws -> [(file: String, parquet: ParquetFile, groups: [Int])] {
        if let share {
            return try share.map { ($0.file, try ParquetFile.opening($0.file), $0.rowGroups) }
        }
        return try files.map { file in
            let partition = HivePartitions.values(of: file, under: root)
            let parquet = try ParquetFile.opening(file)
            let groups = parquet.metadata.rowGroups.indices.filter { group in
                let pruning = StatisticsPruning(ranges: ranges(parquet, group: group, partition: partition))
                return filters.allSatisfy { pruning.mayMatch($0) }
            }
            return (file, parquet, groups)
        }
    }

    /// The row group's column ranges, partition values included as exact ones.
    private func ranges(_ parquet: ParquetFile, group: Int, partition: [(key: String, value: String?)])
        -> [String: StatisticsPruning.Range]
    {
        var ranges = parquet.statisticsRanges(group: group)
        let rowCount = parquet.metadata.rowGroups[group].rowCount
        for (key, value) in partition {
            let known: Value? = value.map { text in
                (try? fullSchema.type(of: key)) == .int64
                    ? Int64(text).map { .int($0) } ?? .string(text) : .string(text)
            }
            ranges[key] = .init(
                minimum: known, maximum: known, nullCount: value == nil ? rowCount : 0, rowCount: rowCount)
        }
        return ranges
    }

    /// The kept row groups dealt into at most `count` shares of about equal rows, each a
    /// run of consecutive row groups (file order kept), as scans of their own; with the
    /// rows they hold.
    func shares(_ count: Int) throws -> (scans: [ParquetScan], rows: Int) {
        let groups = try keptRowGroups().flatMap { file, parquet, groups in
            groups.map { (file: file, group: $0, rows: Int(parquet.metadata.rowGroups[$0].rowCount)) }
        }
        let total = groups.reduce(0) { $0 + $1.rows }
        var buckets = [[Share]](repeating: [], count: Swift.max(1, Swift.min(count, groups.count)))
        var seen = 0
        for entry in groups {
            let b = total == 0 ? 0 : Swift.min(buckets.count - 1, seen * buckets.count / total)
            if buckets[b].last?.file == entry.file {
                buckets[b][buckets[b].count - 1].rowGroups.append(entry.group)
            } else {
                buckets[b].append(Share(file: entry.file, rowGroups: [entry.group]))
            }
            seen += entry.rows
        }
        let scans = buckets.filter { !$0.isEmpty }.map { bucket in
            var scan = self
            scan.share = bucket
            return scan
        }
        return (scans, total)
    }

    /// `batch` with `schema`'s columns in its order and types (text cast as planned).
    private static func conforming(_ batch: RecordBatch, to schema: Schema) throws -> RecordBatch {
        try RecordBatch(
            names: schema.names,
            columns: try schema.fields.map { field in
                let column = try batch.column(field.name)
                return column.type == field.type ? column : Cast.apply(column, to: field.type)
            })
    }
}

extension ParquetScan: CustomStringConvertible {
    /// The scan as `explain()` prints it.
    public var description: String {
        var text = "ParquetScan \(path) (\(files.count) files"
        if let columns { text += ", columns [\(columns.joined(separator: ", "))]" }
        if !filters.isEmpty {
            text += ", row groups skipped by \(filters.map(\.description).joined(separator: " AND "))"
        }
        return text + ")"
    }
}

extension ParquetFile {
    /// The ranges that row group `group`'s statistics give its columns, by name (columns
    /// of types Flock does not read are left out).
    func statisticsRanges(group: Int) -> [String: StatisticsPruning.Range] {
        let rowGroup = metadata.rowGroups[group]
        var ranges: [String: StatisticsPruning.Range] = [:]
        for (index, leaf) in leaves.enumerated() where index < rowGroup.columns.count {
            guard let type = try? ParquetColumnType(leaf) else { continue }
            ranges[leaf.name] = StatisticsPruning.Range(
                rowGroup.columns[index].statistics, type: type, rowCount: rowGroup.rowCount)
        }
        return ranges
    }
}
