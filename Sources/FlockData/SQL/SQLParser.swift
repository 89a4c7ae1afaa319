/// A recursive-descent parser for FlockData's SQL: SELECT [DISTINCT] ... FROM (tables,
/// 'files', subqueries, joins) WHERE ... GROUP BY ... HAVING ... ORDER BY ... LIMIT, and
/// UNION ALL. Every error names what it expected and points at the token it found.
struct SQLParser {
    let query: String
    private let tokens: [SQLToken]
    private var at = 0
    /// How deep the expression being parsed nests (parentheses, NOT, unary minus,
    /// subqueries), bounded so a hostile query cannot exhaust the stack.
    private var depth = 0
    private static let maximumDepth = 200
    /// Where each column reference first appears, for errors the planner finds later.
    private(set) var referenceOffsets: [String: Int] = [:]
    /// Whether a select list has `*` or `t.*` (every column may be read).
    private(set) var selectsAll = false

    /// Words that end an expression or table, so they are never taken as an alias.
    private static let reserved: Set<String> = [
        "select", "from", "where", "group", "by", "having", "order", "limit", "join", "inner", "left", "right",
        "full", "outer", "semi", "anti", "cross", "on", "union", "all", "as", "asc", "desc", "nulls", "and", "or",
        "not", "is", "in", "between", "like", "over", "distinct", "case", "when", "then", "else", "end",
    ]

    /// A parser of `query`.
    /// - Throws: `DataError.invalidSQL` for text that is not tokens of SQL.
    init(_ query: String) throws {
        self.query = query
        tokens = try SQLLexer.tokens(of: query)
    }

    /// The whole query (an optional `;` may end it).
    mutating func parse() throws -> SQLQuery {
        let parsed = try parseQuery()
        if current.isSymbol(";") { at += 1 }
        guard current.kind == .end else { throw error("expected the end of the query") }
        return parsed
    }

    // MARK: - Statements

    private mutating func parseQuery() throws -> SQLQuery {
        var selects = [try parseSelect()]
        while accept("union") {
            guard accept("all") else {
                throw error("only UNION ALL is supported (UNION without ALL would also remove duplicates)")
            }
            selects.append(try parseSelect())
        }
        var query = SQLQuery(selects: selects)
        if selects.count > 1 {
            // ORDER BY and LIMIT parsed into the last SELECT belong to the whole union.
            query.orderBy = selects[selects.count - 1].orderBy
            query.limit = selects[selects.count - 1].limit
            query.selects[selects.count - 1].orderBy = []
            query.selects[selects.count - 1].limit = nil
        }
        return query
    }

    private mutating func parseSelect() throws -> SQLSelect {
        try deeper()
        defer { depth -= 1 }
        var select = SQLSelect(offset: current.offset)
        try expect("select")
        select.distinct = accept("distinct")
        repeat { select.items.append(try parseSelectItem()) } while acceptSymbol(",")
        if accept("from") { select.from = try parseFrom() }
        if accept("where") { select.filter = try parseClause() }
        if accept("group") {
            try expect("by")
            repeat { select.groupBy.append(try parseClause()) } while acceptSymbol(",")
        }
        if accept("having") { select.having = try parseClause() }
        if accept("order") {
            try expect("by")
            repeat { select.orderBy.append(try parseOrderKey()) } while acceptSymbol(",")
        }
        if accept("limit") {
            guard current.kind == .number, let count = Int(current.text), count >= 0 else {
                throw error("LIMIT needs a whole number of rows")
            }
            at += 1
            select.limit = count
        }
        return select
    }

    private mutating func parseSelectItem() throws -> SQLSelectItem {
        let offset = current.offset
        if acceptSymbol("*") {
            selectsAll = true
            return .all(qualifier: nil, offset: offset)
        }
        if isName(current), tokens[at + 1].isSymbol("."), tokens[at + 2].isSymbol("*") {
            let qualifier = current.text
            selectsAll = true
            at += 3
            return .all(qualifier: qualifier, offset: offset)
        }
        let clause = try parseClause()
        return .expr(clause, alias: try parseAlias())
    }

    private mutating func parseAlias() throws -> String? {
        if accept("as") { return try parseName("a name after AS") }
        if isName(current) { return try parseName("a name") }
        return nil
    }

    private mutating func parseOrderKey() throws -> SQLOrderKey {
        let key = try parseClause()
        var descending = false
        if accept("desc") { descending = true } else { _ = accept("asc") }
        var nullsFirst = false
        if accept("nulls") {
            if accept("first") {
                nullsFirst = true
            } else if !accept("last") {
                throw error("expected FIRST or LAST after NULLS")
            }
        }
        return SQLOrderKey(key: key, descending: descending, nullsFirst: nullsFirst)
    }

    private mutating func parseFrom() throws -> SQLFrom {
        var from = SQLFrom(first: try parseTable())
        while true {
            let kind: JoinKind
            if accept("join") {
                kind = .inner
            } else if accept("inner") {
                kind = .inner
            } else if accept("left") {
                kind = accept("semi") ? .semi : accept("anti") ? .anti : .left
            } else if accept("right") {
                kind = .right
            } else if accept("full") {
                kind = .full
            } else if accept("semi") {
                kind = .semi
            } else if accept("anti") {
                kind = .anti
            } else if current.isKeyword("cross") || current.isSymbol(",") {
                throw error("cross joins are not supported: join ON equal keys")
            } else {
                return from
            }
            if kind != .inner || !tokens[at - 1].isKeyword("join") {
                _ = accept("outer")
                try expect("join")
            }
            let table = try parseTable()
            try expect("on")
            from.joins.append(SQLJoin(kind: kind, table: table, on: try parseClause()))
        }
    }

    private mutating func parseTable() throws -> SQLTableReference {
        let offset = current.offset
        let source: SQLTableReference.Source
        if acceptSymbol("(") {
            source = .subquery(try parseQuery())
            try expectSymbol(")")
        } else if current.kind == .string {
            source = .file(current.text)
            at += 1
        } else {
            source = .table(try parseName("a table name, a 'file' in quotes, or a (subquery)"))
        }
        return SQLTableReference(source: source, alias: try parseAlias(), offset: offset)
    }

    // MARK: - Expressions, lowest precedence first

    private mutating func parseClause() throws -> SQLClause {
        let offset = current.offset
        return SQLClause(expr: try parseOr(), offset: offset)
    }

    private mutating func parseOr() throws -> Expr {
        try deeper()
        defer { depth -= 1 }
        var expr = try parseAnd()
        while accept("or") { expr = .binary(.or, expr, try parseAnd()) }
        return expr
    }

    private mutating func parseAnd() throws -> Expr {
        var expr = try parseNot()
        while accept("and") { expr = .binary(.and, expr, try parseNot()) }
        return expr
    }

    private mutating func parseNot() throws -> Expr {
        if accept("not") {
            try deeper()
            defer { depth -= 1 }
            return .unary(.not, try parseNot())
        }
        return try parseComparison()
    }

    private static let comparisons: [String: BinaryOperator] = [
        "=": .equal, "!=": .notEqual, "<>": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater,
        ">=": .greaterOrEqual,
    ]

    private mutating func parseComparison() throws -> Expr {
        let lhs = try parseAdditive()
        if current.kind == .symbol, let op = Self.comparisons[current.text] {
            at += 1
            return .binary(op, lhs, try parseAdditive())
        }
        if accept("is") {
            let negated = accept("not")
            try expect("null")
            return .unary(negated ? .isNotNull : .isNull, lhs)
        }
        let negated = accept("not")
        if accept("between") {
            let low = try parseAdditive()
            try expect("and")
            let range: Expr = .binary(
                .and, .binary(.greaterOrEqual, lhs, low), .binary(.lessOrEqual, lhs, try parseAdditive()))
            return negated ? .unary(.not, range) : range
        }
        if accept("in") {
            try expectSymbol("(")
            if current.isKeyword("select") { throw error("subqueries in IN are not supported") }
            var options: [Expr] = []
            repeat { options.append(.binary(.equal, lhs, try parseAdditive())) } while acceptSymbol(",")
            try expectSymbol(")")
            let any = options.dropFirst().reduce(options[0]) { .binary(.or, $0, $1) }
            return negated ? .unary(.not, any) : any
        }
        if current.isKeyword("like") { throw error("LIKE is not supported yet") }
        if negated { throw error("expected BETWEEN or IN after NOT") }
        return lhs
    }

    private mutating func parseAdditive() throws -> Expr {
        var expr = try parseMultiplicative()
        while true {
            if acceptSymbol("+") {
                expr = .binary(.add, expr, try parseMultiplicative())
            } else if acceptSymbol("-") {
                expr = .binary(.subtract, expr, try parseMultiplicative())
            } else if current.isSymbol("||") {
                throw error("string concatenation (||) is not supported yet")
            } else {
                return expr
            }
        }
    }

    private mutating func parseMultiplicative() throws -> Expr {
        var expr = try parseUnary()
        while true {
            if acceptSymbol("*") {
                expr = .binary(.multiply, expr, try parseUnary())
            } else if acceptSymbol("/") {
                expr = .binary(.divide, expr, try parseUnary())
            } else if acceptSymbol("%") {
                expr = .binary(.modulo, expr, try parseUnary())
            } else {
                return expr
            }
        }
    }

    private mutating func parseUnary() throws -> Expr {
        try deeper()
        defer { depth -= 1 }
        if acceptSymbol("-") {
            let operand = try parseUnary()
            if case .literal(.int(let value)?, .int64) = operand { return .literal(.int(-value), .int64) }
            if case .literal(.double(let value)?, .float64) = operand { return .literal(.double(-value), .float64) }
            return .unary(.negate, operand)
        }
        if acceptSymbol("+") { return try parseUnary() }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .number:
            at += 1
            if let value = Int64(token.text) { return .literal(.int(value), .int64) }
            guard let value = Double(token.text) else { throw error("\(token.quoted) is not a number", at: token) }
            return .literal(.double(value), .float64)
        case .string:
            at += 1
            return .literal(.string(token.text), .utf8)
        case .symbol where token.text == "(":
            at += 1
            if current.isKeyword("select") {
                throw error("subqueries in expressions are not supported; use one in FROM")
            }
            let inner = try parseOr()
            try expectSymbol(")")
            return inner
        case .word where token.isKeyword("true"), .word where token.isKeyword("false"):
            at += 1
            return .literal(.bool(token.isKeyword("true")), .bool)
        case .word where token.isKeyword("null"):
            at += 1
            return .literal(nil, .int64)
        case .word where token.isKeyword("cast"):
            at += 1
            try expectSymbol("(")
            let operand = try parseOr()
            try expect("as")
            let type = try parseType()
            try expectSymbol(")")
            return .cast(operand, type)
        case .word where token.isKeyword("case"):
            throw error("CASE is not supported yet")
        case .word where token.kind == .word && tokens[at + 1].isSymbol("("):
            return try parseCall()
        case .word, .quotedName:
            guard isName(token) else { throw error("expected an expression") }
            return try parseColumnReference()
        default:
            throw error("expected an expression")
        }
    }

    private mutating func parseColumnReference() throws -> Expr {
        let token = current
        var reference = try parseName("a column name")
        if acceptSymbol(".") { reference = SQLName.qualified(reference, try parseName("a column name after the dot")) }
        if referenceOffsets[reference] == nil { referenceOffsets[reference] = token.offset }
        return .column(reference)
    }

    private mutating func parseCall() throws -> Expr {
        let nameToken = current
        at += 2
        var call = SQLCall(name: nameToken.text.lowercased(), offset: nameToken.offset)
        if acceptSymbol("*") {
            call.star = true
        } else if !current.isSymbol(")") {
            call.distinct = accept("distinct")
            repeat { call.arguments.append(try parseOr()) } while acceptSymbol(",")
        }
        try expectSymbol(")")
        if accept("over") { call.window = try parseWindow() }
        return try call.expr(in: query)
    }

    private mutating func parseWindow() throws -> Window {
        try expectSymbol("(")
        var window = Window()
        if accept("partition") {
            try expect("by")
            repeat { window.partitionBy.append(try parseOr()) } while acceptSymbol(",")
        }
        if accept("order") {
            try expect("by")
            repeat {
                let key = try parseOrderKey()
                window.orderBy.append(SortKey(key.key.expr, descending: key.descending, nullsFirst: key.nullsFirst))
            } while acceptSymbol(",")
        }
        if current.isKeyword("rows") || current.isKeyword("range") {
            throw error("window frames (ROWS/RANGE) are not supported yet")
        }
        try expectSymbol(")")
        return window
    }

    private static let types: [String: DataType] = [
        "int": .int64, "integer": .int64, "bigint": .int64, "int64": .int64, "smallint": .int16, "int32": .int32,
        "tinyint": .int8, "double": .float64, "float": .float64, "float64": .float64, "real": .float32,
        "float32": .float32, "varchar": .utf8, "text": .utf8, "string": .utf8, "boolean": .bool, "bool": .bool,
        "date": .date32, "timestamp": .timestampMicroseconds,
    ]

    private mutating func parseType() throws -> DataType {
        guard current.kind == .word, let type = Self.types[current.text.lowercased()] else {
            throw error("expected a type (\(Self.types.keys.sorted().joined(separator: ", ")))")
        }
        at += 1
        return type
    }

    // MARK: - Tokens

    private mutating func deeper() throws {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("the query nests deeper than \(Self.maximumDepth) levels")
        }
    }

    private var current: SQLToken { tokens[at] }

    private func isName(_ token: SQLToken) -> Bool {
        token.kind == .quotedName || (token.kind == .word && !Self.reserved.contains(token.text.lowercased()))
    }

    private mutating func parseName(_ what: String) throws -> String {
        guard isName(current) else { throw error("expected \(what)") }
        defer { at += 1 }
        return current.text
    }

    private mutating func accept(_ keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        at += 1
        return true
    }

    private mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        at += 1
        return true
    }

    private mutating func expect(_ keyword: String) throws {
        guard accept(keyword) else { throw error("expected \(keyword.uppercased())") }
    }

    private mutating func expectSymbol(_ symbol: String) throws {
        guard acceptSymbol(symbol) else { throw error("expected \"\(symbol)\"") }
    }

    /// An error at `token` (the current one by default) that says what was found.
    private func error(_ message: String, at token: SQLToken? = nil) -> DataError {
        let token = token ?? current
        return DataError.invalidSQL(query: query, offset: token.offset, "\(message), found \(token.quoted)")
    }
}
