/// A parsed SQL query, before its names are resolved against tables. Expressions are
/// FlockData's own `Expr`; a qualified name `t.c` is kept as one column reference
/// (`SQLName`) until the planner knows what `t` is. Offsets point into the query text for
/// errors.
struct SQLQuery: Sendable {
    /// The SELECTs joined by UNION ALL (one for a plain query).
    var selects: [SQLSelect]
    /// ORDER BY and LIMIT of a union (a single SELECT keeps its own).
    var orderBy: [SQLOrderKey] = []
    var limit: Int?
}

/// One `SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ... ORDER BY ... LIMIT`.
struct SQLSelect: Sendable {
    var distinct = false
    var items: [SQLSelectItem] = []
    var from: SQLFrom?
    var filter: SQLClause?
    var groupBy: [SQLClause] = []
    var having: SQLClause?
    var orderBy: [SQLOrderKey] = []
    var limit: Int?
    /// Where the SELECT keyword is.
    var offset = 0
}

/// An expression and where it starts in the query.
struct SQLClause: Sendable {
    var expr: Expr
    var offset: Int
}

/// One entry of the select list.
enum SQLSelectItem: Sendable {
    /// `*` or `t.*`: every column (of table `t`).
    case all(qualifier: String?, offset: Int)
    /// An expression with an optional `AS` name.
    case expr(SQLClause, alias: String?)
}

/// One ORDER BY key: an expression (or a select-list position), direction, nulls.
struct SQLOrderKey: Sendable {
    var key: SQLClause
    var descending: Bool
    var nullsFirst: Bool
}

/// The FROM clause: a table, then joins.
struct SQLFrom: Sendable {
    var first: SQLTableReference
    var joins: [SQLJoin] = []
}

/// A table in FROM: a registered name, a file path in quotes, or a subquery; with an alias.
struct SQLTableReference: Sendable {
    /// Where the rows come from.
    indirect enum Source: Sendable {
        case table(String)
        case file(String)
        case subquery(SQLQuery)
    }
    var source: Source
    var alias: String?
    var offset: Int
}

/// `[INNER|LEFT|RIGHT|FULL|SEMI|ANTI] JOIN table ON a = b AND ...`.
struct SQLJoin: Sendable {
    var kind: JoinKind
    var table: SQLTableReference
    var on: SQLClause
}

/// How a qualified column reference (`t.c`) is held in an `Expr` until it is resolved.
enum SQLName {
    private static let separator: Character = "\u{1F}"

    /// The reference `qualifier.name` as one column name.
    static func qualified(_ qualifier: String, _ name: String) -> String { "\(qualifier)\(separator)\(name)" }

    /// The qualifier (nil when there is none) and the name of a reference.
    static func parts(_ reference: String) -> (qualifier: String?, name: String) {
        guard let split = reference.firstIndex(of: separator) else { return (nil, reference) }
        return (String(reference[..<split]), String(reference[reference.index(after: split)...]))
    }

    /// The reference as the user wrote it (`t.c`).
    static func written(_ reference: String) -> String {
        let (qualifier, name) = parts(reference)
        return qualifier.map { "\($0).\(name)" } ?? name
    }
}
