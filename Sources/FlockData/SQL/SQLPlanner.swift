/// Turns a parsed query into `DataFrame` steps: FROM and joins with a scope of names,
/// WHERE, GROUP BY with the aggregates found anywhere in the select list, HAVING or ORDER
/// BY, then HAVING, the projection (window functions included), DISTINCT, ORDER BY, LIMIT.
/// Errors from the frame's own checks are re-thrown pointing at the clause they came from.
struct SQLPlanner {
    let query: String
    let referenceOffsets: [String: Int]
    /// The lowercased column names the query mentions (nil when it selects `*`).
    let mentionedColumns: Set<String>?
    let context: SQLContext

    /// The frame of `parsed` and the names it makes visible to an outer query.
    func plan(_ parsed: SQLQuery) throws -> (frame: DataFrame, scope: SQLScope) {
        var frame = try planSelect(parsed.selects[0])
        for select in parsed.selects.dropFirst() {
            let next = try planSelect(select)
            frame = try at(select.offset) { try frame.union(next) }
        }
        if !parsed.orderBy.isEmpty {
            let names = frame.schema.names
            let keys = try parsed.orderBy.map { key in
                guard let name = outputName(of: key.key.expr, in: names) else {
                    throw error(key.key.offset, "ORDER BY after UNION ALL takes output columns or their positions")
                }
                return SortKey(col(name), descending: key.descending, nullsFirst: key.nullsFirst)
            }
            frame = try frame.sort(keys)
        }
        if let limit = parsed.limit { frame = try frame.limit(limit) }
        return (frame, SQLScope(frame.schema, qualifier: nil))
    }

    // MARK: - SELECT

    /// One select-list column: its expression over the input, output name, and offset.
    private struct Item {
        var expr: Expr
        var name: String
        var offset: Int
    }

    private func planSelect(_ select: SQLSelect) throws -> DataFrame {
        guard let from = select.from else { throw error(select.offset, "a SELECT needs FROM") }
        var (frame, scope) = try planFrom(from)
        if let filter = select.filter {
            let predicate = try resolve(filter.expr, in: scope, from: filter.offset)
            guard !predicate.containsAggregateOrWindow else {
                throw error(
                    filter.offset, "WHERE cannot hold aggregates or window functions; use HAVING for aggregates")
            }
            frame = try at(filter.offset) { try frame.filter(predicate) }
        }
        let items = try selectItems(select.items, scope: scope)
        var hidden: [Item] = []
        var order: [SortKey] = []
        for (i, key) in select.orderBy.enumerated() {
            var name = outputName(of: key.key.expr, in: items.map(\.name))
            if case .literal(.int(let position)?, _) = key.key.expr, name == nil {
                throw error(key.key.offset, "ORDER BY \(position): the select list has \(items.count) columns")
            }
            if name == nil {
                guard !select.distinct else {
                    throw error(key.key.offset, "with SELECT DISTINCT, ORDER BY takes selected columns only")
                }
                hidden.append(
                    Item(
                        expr: try resolve(key.key.expr, in: scope, from: key.key.offset), name: "__order_\(i)",
                        offset: key.key.offset))
                name = hidden[hidden.count - 1].name
            }
            order.append(SortKey(col(name!), descending: key.descending, nullsFirst: key.nullsFirst))
        }
        let having = try select.having.map {
            SQLClause(expr: try resolve($0.expr, in: scope, from: $0.offset), offset: $0.offset)
        }
        var projected = items + hidden
        if !select.groupBy.isEmpty || having != nil || projected.contains(where: { $0.expr.containsAggregate }) {
            let groupKeys = try select.groupBy.map { try groupKey($0, items: items, scope: scope) }
            (frame, projected) = try aggregate(frame, keys: groupKeys, items: projected, having: having)
        }
        for item in projected { _ = try at(item.offset) { try item.expr.type(in: frame.schema) } }
        frame = try at(select.offset) {
            try frame.select(projected.map { $0.expr.name == $0.name ? $0.expr : $0.expr.alias($0.name) })
        }
        if select.distinct { frame = try frame.distinct() }
        if !order.isEmpty { frame = try frame.sort(order) }
        if let limit = select.limit { frame = try frame.limit(limit) }
        if !hidden.isEmpty { frame = try frame.select(items.map { col($0.name) }) }
        return frame
    }

    /// The select list's columns. A qualified column (`b.v`) whose name an earlier column
    /// has takes the frame's name for it (`v_right`), so `SELECT a.v, b.v` works.
    private func selectItems(_ items: [SQLSelectItem], scope: SQLScope) throws -> [Item] {
        var seen: Set<String> = []
        return try items.flatMap { item -> [Item] in
            switch item {
            case .all(let qualifier, let offset):
                let entries = scope.entries(of: qualifier)
                guard !entries.isEmpty else { throw error(offset, "no table \"\(qualifier ?? "")\" in FROM") }
                var columns: Set<String> = []
                return entries.filter { columns.insert($0.column).inserted }.map {
                    seen.insert($0.column)
                    return Item(expr: col($0.column), name: $0.column, offset: offset)
                }
            case .expr(let clause, let alias):
                let expr = try resolve(clause.expr, in: scope, from: clause.offset)
                let name: String
                if let alias {
                    name = alias
                } else if case .column(let reference) = clause.expr, case .column(let column) = expr {
                    name = seen.contains(SQLName.parts(reference).name) ? column : SQLName.parts(reference).name
                } else {
                    name = expr.name
                }
                seen.insert(name)
                return [Item(expr: expr, name: name, offset: clause.offset)]
            }
        }
    }

    /// A GROUP BY entry: a position in the select list, a select-list alias, or an
    /// expression over the input.
    private func groupKey(_ clause: SQLClause, items: [Item], scope: SQLScope) throws -> Expr {
        if case .literal(.int(let position)?, _) = clause.expr {
            guard position >= 1 && position <= items.count else {
                throw error(clause.offset, "GROUP BY \(position): the select list has \(items.count) columns")
            }
            return items[Int(position) - 1].expr
        }
        if case .column(let reference) = clause.expr, (try? scope.column(for: reference)) == nil,
            let item = items.first(where: { $0.name == reference })
        {
            return item.expr
        }
        let key = try resolve(clause.expr, in: scope, from: clause.offset)
        guard !key.containsAggregateOrWindow else { throw error(clause.offset, "GROUP BY cannot hold aggregates") }
        return key
    }

    /// Groups `frame` by `keys`, computing every aggregate that `items` and `having` use;
    /// returns the grouped (and HAVING-filtered) frame and the items rewritten over it.
    private func aggregate(_ frame: DataFrame, keys: [Expr], items: [Item], having: SQLClause?) throws
        -> (DataFrame, [Item])
    {
        for item in items where item.expr.containsAggregate {
            _ = try at(item.offset) { try item.expr.type(in: frame.schema) }
        }
        var keyNames: [String: String] = [:]
        var keyExprs: [Expr] = []
        for (i, key) in keys.enumerated() where keyNames[key.description] == nil {
            let name: String
            if case .column(let column) = key { name = column } else { name = "__key_\(i)" }
            keyNames[key.description] = name
            keyExprs.append(key.name == name ? key : key.alias(name))
        }
        var aggregateNames: [String: String] = [:]
        var aggregateExprs: [Expr] = []
        for expr in items.map(\.expr) + (having.map { [$0.expr] } ?? []) {
            for case .aggregate(let function, let arguments) in expr.subexpressions {
                let aggregate = Expr.aggregate(function, arguments)
                guard aggregateNames[aggregate.description] == nil else { continue }
                let name = "__agg_\(aggregateExprs.count)"
                aggregateNames[aggregate.description] = name
                aggregateExprs.append(aggregate.alias(name))
            }
        }
        func rewrite(_ expr: Expr, offset: Int) throws -> Expr {
            let rewritten = expr.rewritten { part in
                if let name = keyNames[part.description] { return col(name) }
                if case .aggregate = part { return col(aggregateNames[part.description]!) }
                return nil
            }
            let known = Set(keyNames.values).union(aggregateNames.values)
            if let stray = rewritten.columnNames.subtracting(known).sorted().first {
                throw error(
                    locate(stray, from: offset),
                    "column \"\(stray)\" must be in GROUP BY or inside an aggregate")
            }
            return rewritten
        }
        let rewrittenItems = try items.map {
            Item(expr: try rewrite($0.expr, offset: $0.offset), name: $0.name, offset: $0.offset)
        }
        var grouped = try at(items.first?.offset ?? 0) { try frame.groupBy(keyExprs).agg(aggregateExprs) }
        if let having {
            let predicate = try rewrite(having.expr, offset: having.offset)
            grouped = try at(having.offset) { try grouped.filter(predicate) }
        }
        return (grouped, rewrittenItems)
    }

    // MARK: - FROM

    private func planFrom(_ from: SQLFrom) throws -> (DataFrame, SQLScope) {
        var (frame, scope) = try planTable(from.first)
        for join in from.joins {
            let (right, rightScope) = try planTable(join.table)
            var leftKeys: [String] = []
            var rightKeys: [String] = []
            let both = SQLScope(entries: scope.entries + rightScope.entries)
            for (lhs, rhs) in try equalities(join.on) {
                for reference in [lhs, rhs] { _ = try resolve(.column(reference), in: both, from: join.on.offset) }
                if let l = try? scope.column(for: lhs), let r = try? rightScope.column(for: rhs) {
                    leftKeys.append(l)
                    rightKeys.append(r)
                } else if let l = try? scope.column(for: rhs), let r = try? rightScope.column(for: lhs) {
                    leftKeys.append(l)
                    rightKeys.append(r)
                } else {
                    throw error(
                        join.on.offset,
                        "\(SQLName.written(lhs)) = \(SQLName.written(rhs)) must compare a column of each side of the join"
                    )
                }
            }
            let joined = try at(join.table.offset) {
                try frame.join(right, leftOn: leftKeys, rightOn: rightKeys, how: join.kind)
            }
            if join.kind != .semi && join.kind != .anti {
                // The join's columns: the left's, then the right's (a key shared by name
                // once, others renamed where the left has the name).
                var added = joined.schema.names.dropFirst(frame.schema.names.count).makeIterator()
                for entry in rightScope.entries {
                    var moved = entry
                    if zip(leftKeys, rightKeys).contains(where: { $0 == entry.column && $1 == entry.column }) {
                        moved.column = entry.column
                    } else {
                        // Invariant: the join adds one column per right column but shared keys.
                        moved.column = added.next()!
                    }
                    scope.entries.append(moved)
                }
            }
            frame = joined
        }
        return (frame, scope)
    }

    /// The column pairs of `a = b AND c = d ...`.
    private func equalities(_ clause: SQLClause) throws -> [(String, String)] {
        func split(_ expr: Expr) throws -> [(String, String)] {
            switch expr {
            case .binary(.and, let lhs, let rhs): return try split(lhs) + split(rhs)
            case .binary(.equal, .column(let lhs), .column(let rhs)): return [(lhs, rhs)]
            default: throw error(clause.offset, "a join condition must be column = column, joined by AND")
            }
        }
        return try split(clause.expr)
    }

    private func planTable(_ table: SQLTableReference) throws -> (DataFrame, SQLScope) {
        switch table.source {
        case .table(let name):
            guard let frame = context.table(name) else {
                let near =
                    DataError.nearest(to: name, in: context.tableNames).map { " (did you mean \"\($0)\"?)" } ?? ""
                let known = context.tableNames.map { "\"\($0)\"" }.joined(separator: ", ")
                throw error(
                    table.offset, "no table \"\(name)\"\(near); the tables are \(known.isEmpty ? "none" : known)")
            }
            return (frame, SQLScope(frame.schema, qualifier: table.alias ?? name))
        case .file(let path):
            let frame = try at(table.offset) { try context.fileReader(path, mentionedColumns) }
            return (frame, SQLScope(frame.schema, qualifier: table.alias))
        case .subquery(let inner):
            let frame = try plan(inner).frame
            return (frame, SQLScope(frame.schema, qualifier: table.alias))
        }
    }

    // MARK: - Names and errors

    /// `expr` (written at `offset`) with every column reference replaced by the frame
    /// column it names.
    private func resolve(_ expr: Expr, in scope: SQLScope, from offset: Int) throws -> Expr {
        try expr.rewritten { part in
            guard case .column(let reference) = part else { return nil }
            do {
                return col(try scope.column(for: reference))
            } catch let failure as SQLScopeError {
                throw self.error(locate(reference, from: offset), failure.message)
            }
        }
    }

    /// Where `reference` is written at or after `offset` (as typed, ignoring case), else
    /// where it first appears in the query.
    private func locate(_ reference: String, from offset: Int) -> Int {
        let text = Array(SQLName.written(reference).lowercased().utf8)
        let bytes = Array(query.lowercased().utf8)
        if !text.isEmpty, offset + text.count <= bytes.count {
            for start in offset...(bytes.count - text.count) where bytes[start..<start + text.count].elementsEqual(text)
            {
                return start
            }
        }
        return referenceOffsets[reference] ?? offset
    }

    /// The output column an ORDER BY key names: a 1-based position, or an output name.
    private func outputName(of expr: Expr, in names: [String]) -> String? {
        switch expr {
        case .literal(.int(let position)?, _):
            return position >= 1 && position <= names.count ? names[Int(position) - 1] : nil
        case .column(let reference) where names.contains(reference):
            return reference
        default:
            return nil
        }
    }

    private func error(_ offset: Int, _ message: String) -> DataError {
        DataError.invalidSQL(query: query, offset: offset, message)
    }

    /// The value of `body`, with its errors re-thrown as pointing at `offset`.
    private func at<T>(_ offset: Int, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DataError {
            if case .invalidSQL = error { throw error }
            throw self.error(offset, error.description)
        }
    }
}
