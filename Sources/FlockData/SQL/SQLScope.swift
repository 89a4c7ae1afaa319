/// The columns a FROM clause makes visible, each under the table (or alias) it came from,
/// so `t.c` and `c` resolve to the frame's column, and an ambiguous or unknown name is an
/// error that says so.
struct SQLScope: Sendable {
    /// A visible column: its table, its name there, and the frame column holding it.
    struct Entry: Sendable {
        var qualifier: String?
        var name: String
        var column: String
    }

    var entries: [Entry]

    /// The columns of `schema`, all under `qualifier`.
    init(_ schema: Schema, qualifier: String?) {
        entries = schema.names.map { Entry(qualifier: qualifier, name: $0, column: $0) }
    }

    init(entries: [Entry]) { self.entries = entries }

    /// The frame column that `reference` (a name, or `SQLName.qualified`) stands for.
    /// - Throws: a message (the planner adds where): an unknown table or column (with the
    ///   names there are and a near match), or a name two tables have.
    func column(for reference: String) throws(SQLScopeError) -> String {
        let (qualifier, name) = SQLName.parts(reference)
        let inTable = entries.filter { qualifier == nil || Self.same($0.qualifier, qualifier) }
        if let qualifier, inTable.isEmpty {
            let tables = Set(entries.compactMap(\.qualifier)).sorted()
            throw SQLScopeError(
                "no table \"\(qualifier)\" in FROM; the tables are \(tables.map { "\"\($0)\"" }.joined(separator: ", "))"
            )
        }
        var matches = inTable.filter { $0.name == name }
        if matches.isEmpty { matches = inTable.filter { Self.same($0.name, name) } }
        let columns = matches.reduce(into: [String]()) { if !$0.contains($1.column) { $0.append($1.column) } }
        if columns.count == 1 { return columns[0] }
        if columns.isEmpty {
            let known = inTable.map(\.name)
            throw SQLScopeError(DataError.unknownColumn(SQLName.written(reference), available: known).description)
        }
        let tables = matches.compactMap(\.qualifier).map { "\($0).\(name)" }
        throw SQLScopeError(
            "column \"\(name)\" is ambiguous: it is in more than one table; write \(tables.joined(separator: " or "))")
    }

    /// The entries of table `qualifier` (all when nil), in order.
    func entries(of qualifier: String?) -> [Entry] {
        entries.filter { qualifier == nil || Self.same($0.qualifier, qualifier) }
    }

    private static func same(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return false }
        return a.caseInsensitiveCompare(b) == .orderedSame
    }
}

/// Why a name did not resolve in a scope.
struct SQLScopeError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
