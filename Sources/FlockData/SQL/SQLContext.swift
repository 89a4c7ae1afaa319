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
/// `FROM 'data/*.csv'` reads files through `fileReader` (CSV by default). Errors are
/// `DataError.invalidSQL`, whose description points at the offending token.
public struct SQLContext: Sendable {
    /// Reads the file (or pattern) named in quotes in FROM into a frame.
    public var fileReader: @Sendable (String) throws -> DataFrame
    private var tables: [String: DataFrame] = [:]

    /// A context with no tables, reading quoted paths with `fileReader`.
    public init(fileReader: @escaping @Sendable (String) throws -> DataFrame = TableFiles.read) {
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
        return try SQLPlanner(query: query, referenceOffsets: parser.referenceOffsets, context: self).plan(parsed).frame
    }
}
