import Foundation

/// Runs SQL over named frames and files: the query becomes the same lazy `DataFrame` plan
/// the Swift API builds, so it is checked, explained and executed the same way.
///
/// ```swift
/// var sql = SQLContext()
/// sql.register("x", frame)
/// let top = try sql.query("SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1 ORDER BY v1 DESC LIMIT 3")
/// print(try top.show())
/// ```
/// `FROM 'data/*.parquet'` reads files through `fileReader` (CSV and Parquet by default),
/// telling it which column names the query mentions so a Parquet scan decodes only those
/// (projection push-down). Errors are `DataError.invalidSQL`, whose description points at
/// the offending token.
public struct SQLContext: Sendable {
    /// Reads the file (or pattern) named in quotes in FROM into a frame; the second
    /// argument is the lowercased column names the query mentions (nil: it may read all),
    /// a hint the reader may use to skip columns.
    public var fileReader: @Sendable (_ path: String, _ columns: Set<String>?) throws -> DataFrame
    private var tables: [String: DataFrame] = [:]

    /// A context with no tables, reading quoted paths with `fileReader`.
    public init(
        fileReader: @escaping @Sendable (_ path: String, _ columns: Set<String>?) throws -> DataFrame = TableFiles.read
    ) {
        self.fileReader = fileReader
    }

    /// Makes `frame` a table that queries name `name` (names compare ignoring case).
    public mutating func register(_ name: String, _ frame: DataFrame) { tables[name.lowercased()] = frame }

    /// The registered table `name`, if any.
    func table(_ name: String) -> DataFrame? { tables[name.lowercased()] }

    /// The names of the registered tables.
    var tableNames: [String] { tables.keys.sorted() }

    /// The lazy frame of `query`.
    /// - Throws: `DataError.invalidSQL` pointing at the token where the query cannot be
    ///   parsed, or at the name, clause or item that cannot be planned.
    public func query(_ query: String) throws -> DataFrame {
        var parser = try SQLParser(query)
        let parsed = try parser.parse()
        let mentioned =
            parser.selectsAll ? nil : Set(parser.referenceOffsets.keys.map { SQLName.parts($0).name.lowercased() })
        return try SQLPlanner(
            query: query, referenceOffsets: parser.referenceOffsets, mentionedColumns: mentioned, context: self
        ).plan(parsed).frame
    }
}
