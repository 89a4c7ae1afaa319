/// Hive-style partition folders (`sales/year=2024/month=1/part-0.parquet`, as Spark,
/// Hive, DuckDB and Polars write them): each `key=value` folder between the table's root
/// and a file becomes a column of that file's rows, holding the value. A key whose values
/// all read as integers is an int64 column, else text (categorical: one value per file);
/// `__HIVE_DEFAULT_PARTITION__` (Hive's name for null) is null; values are percent-decoded.
enum HivePartitions {
    static let nullValue = "__HIVE_DEFAULT_PARTITION__"

    /// The `key=value` folders of `file` below `root`, outermost first.
    static func values(of file: String, under root: String) -> [(key: String, value: String?)] {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard file.hasPrefix(prefix) else { return [] }
        let folders = file.dropFirst(prefix.count).split(separator: "/").dropLast()
        return folders.compactMap { folder in
            guard let equals = folder.firstIndex(of: "="), equals != folder.startIndex else { return nil }
            let key = String(folder[..<equals])
            let raw = String(folder[folder.index(after: equals)...])
            return (key, raw == nullValue ? nil : (raw.removingPercentEncoding ?? raw))
        }
    }

    /// Each file's batches with a column per partition key appended.
    /// - Throws: `DataError.unreadableFile` when files sit under different keys, or a key
    ///   is also a column of the file.
    /// `typedBy` are the files whose values decide each key's type (default: `files`).
    static func appending(
        _ perFile: [[RecordBatch]], files: [String], root: String, typedBy allFiles: [String]? = nil
    ) throws -> [[RecordBatch]] {
        let partitions = files.map { values(of: $0, under: root) }
        guard let keys = partitions.first?.map(\.key), !keys.isEmpty else {
            if let file = zip(files, partitions).first(where: { !$0.1.isEmpty })?.0 {
                throw DataError.unreadableFile(path: file, "it sits in key=value folders that other files lack")
            }
            return perFile
        }
        for (file, values) in zip(files, partitions) where values.map(\.key) != keys {
            throw DataError.unreadableFile(
                path: file,
                "its partition folders [\(values.map(\.key).joined(separator: ", "))] differ from "
                    + "[\(keys.joined(separator: ", "))] of \(files[0])")
        }
        let integers = integerKeys(allFiles ?? files, root: root)
        return try zip(files, zip(perFile, partitions)).map { file, pair in
            let (batches, values) = pair
            return try batches.map { batch in
                var names = batch.names
                var columns = batch.columns
                for (k, (key, value)) in values.enumerated() {
                    guard !names.contains(key) else {
                        throw DataError.unreadableFile(
                            path: file, "partition key \"\(key)\" is also a column of the file")
                    }
                    let count = batch.rowCount
                    names.append(key)
                    columns.append(
                        integers[k]
                            ? Column([Int64?](repeating: value.flatMap { Int64($0) }, count: count))
                            : Column(categorical: [String?](repeating: value, count: count)))
                }
                return try RecordBatch(names: names, columns: columns)
            }
        }
    }

    /// Whether each partition key (in folder order) has only integer values in `files`.
    private static func integerKeys(_ files: [String], root: String) -> [Bool] {
        let partitions = files.map { values(of: $0, under: root) }
        guard let keys = partitions.first else { return [] }
        return keys.indices.map { k in
            partitions.allSatisfy { k < $0.count ? $0[k].value.map { Int64($0) != nil } ?? true : true }
        }
    }

    /// The partition columns `files` get under `root`: int64 where every value is an
    /// integer, else categorical.
    static func fields(files: [String], root: String) -> [Schema.Field] {
        guard let first = files.first else { return [] }
        return zip(values(of: first, under: root), integerKeys(files, root: root)).map { entry, integer in
            Schema.Field(name: entry.key, type: integer ? .int64 : .categorical)
        }
    }

    /// The folder a pattern's matches are read under: the path up to the first component
    /// with a wildcard (the path itself for a directory).
    static func root(of path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let wild = components.firstIndex(where: { $0.contains(where: { "*?[".contains($0) }) }) else {
            return path
        }
        return components[..<wild].joined(separator: "/")
    }
}
