/// Rewrites a checked plan into one that makes the same rows with less work, before it
/// runs (in-process or on a cluster): constant subexpressions are folded into literals,
/// and filters move toward the scans: through projections that pass their columns on,
/// below sorts, into both sides of a union, below an aggregation when they test only its
/// keys, and into the side of a join that holds their columns (both for inner joins; only
/// the side whose rows are all kept otherwise). A filter that splits into conjuncts moves
/// each conjunct as far as it can go. Parquet scans then read only the columns the plan
/// above them needs (`pruneColumns`) and skip row groups by the filters right above them.
/// `explain()` prints the result.
enum Optimizer {
    /// The optimized plan.
    static func optimize(_ plan: LogicalPlan) -> LogicalPlan { pruneColumns(rewrite(plan), needed: nil) }

    /// `plan` with constants folded and filters pushed down.
    private static func rewrite(_ plan: LogicalPlan) -> LogicalPlan {
        let inputs = plan.inputs.map(rewrite)
        switch plan.step {
        case .filter(let predicate):
            let folded = fold(predicate)
            if case .literal(.bool(true)?, _) = folded { return inputs[0] }
            return pushFilter(conjuncts(folded), into: inputs[0])
        case .project(let exprs): return LogicalPlan(.project(exprs.map(fold)), inputs: inputs, schema: plan.schema)
        case .aggregate(let keys, let aggregates):
            return LogicalPlan(
                .aggregate(keys: keys.map(fold), aggregates: aggregates.map(fold)), inputs: inputs, schema: plan.schema)
        default: return LogicalPlan(plan.step, inputs: inputs, schema: plan.schema)
        }
    }

    /// `predicates` (all must hold) applied to `plan`'s rows, each as deep as it can go.
    private static func pushFilter(_ predicates: [Expr], into plan: LogicalPlan) -> LogicalPlan {
        guard !predicates.isEmpty else { return plan }
        var stay: [Expr] = []
        var rebuilt = plan
        switch plan.step {
        case .filter(let inner):
            return pushFilter(predicates + conjuncts(inner), into: plan.inputs[0])
        case .sort, .union:
            rebuilt = LogicalPlan(
                plan.step, inputs: plan.inputs.map { pushFilter(predicates, into: $0) }, schema: plan.schema)
        case .project(let exprs) where !exprs.contains(where: \.containsWindow):
            // Output name -> the input column it passes on unchanged.
            var passed: [String: String] = [:]
            for expr in exprs {
                switch expr {
                case .column(let name): passed[name] = name
                case .alias(.column(let source), let name): passed[name] = source
                default: break
                }
            }
            var below: [Expr] = []
            for predicate in predicates {
                if predicate.columnNames.allSatisfy({ passed[$0] != nil }) {
                    below.append(renamed(predicate, passed))
                } else {
                    stay.append(predicate)
                }
            }
            rebuilt = LogicalPlan(plan.step, inputs: [pushFilter(below, into: plan.inputs[0])], schema: plan.schema)
        case .project(let exprs):
            // Windows: nothing passes below, but a row-number limit tells them what is kept.
            rebuilt = LogicalPlan(
                .project(limitingWindows(exprs, by: predicates)), inputs: plan.inputs, schema: plan.schema)
            stay = predicates
        case .aggregate(let keys, _):
            let keyColumns = Set(
                keys.compactMap { key -> String? in
                    if case .column(let name) = key { return name }
                    return nil
                })
            let below = predicates.filter { $0.columnNames.isSubset(of: keyColumns) && !$0.columnNames.isEmpty }
            stay = predicates.filter { p in !below.contains { $0.description == p.description } }
            rebuilt = LogicalPlan(plan.step, inputs: [pushFilter(below, into: plan.inputs[0])], schema: plan.schema)
        case .join(let kind, _, _):
            let left = plan.inputs[0].schema
            // Join output names of the right side's columns -> their names in the right input.
            let rightOutput = Dictionary(
                uniqueKeysWithValues: zip(plan.schema.names.dropFirst(left.names.count), rightNames(plan)))
            let keepsLeft = [.inner, .left, .semi, .anti].contains(kind)
            let keepsRight = kind == .inner || kind == .right
            var toLeft: [Expr] = []
            var toRight: [Expr] = []
            for predicate in predicates {
                let names = predicate.columnNames
                if keepsLeft, names.isSubset(of: Set(left.names)) {
                    toLeft.append(predicate)
                } else if keepsRight, !names.isEmpty, names.allSatisfy({ rightOutput[$0] != nil }) {
                    toRight.append(renamed(predicate, rightOutput))
                } else {
                    stay.append(predicate)
                }
            }
            rebuilt = LogicalPlan(
                plan.step,
                inputs: [pushFilter(toLeft, into: plan.inputs[0]), pushFilter(toRight, into: plan.inputs[1])],
                schema: plan.schema)
        case .parquet(var scan):
            // The filter stays; the scan also uses it to skip row groups.
            scan.filters += predicates
            rebuilt = LogicalPlan(.parquet(scan), inputs: [], schema: plan.schema)
            stay = predicates
        default:
            stay = predicates
        }
        guard let predicate = stay.reduce(nil, { (all: Expr?, next: Expr) in all.map { $0 && next } ?? next }) else {
            return rebuilt
        }
        return LogicalPlan(.filter(predicate), inputs: [rebuilt], schema: plan.schema)
    }

    /// The right input's column names, in the order the join appends them to its output.
    private static func rightNames(_ plan: LogicalPlan) -> [String] {
        guard case .join(let kind, let leftKeys, let rightKeys) = plan.step, kind != .semi, kind != .anti else {
            return []
        }
        return plan.inputs[1].schema.names.filter { !HashJoin.sharedKey($0, leftKeys, rightKeys) }
    }

    /// `expr` reading column `names[c]` wherever it read column c (others unchanged).
    private static func renamed(_ expr: Expr, _ names: [String: String]) -> Expr {
        expr.rewritten { part in
            if case .column(let name) = part { return .column(names[name] ?? name) }
            return nil
        }
    }

    /// The parts of an AND chain.
    static func conjuncts(_ predicate: Expr) -> [Expr] {
        if case .binary(.and, let lhs, let rhs) = predicate { return conjuncts(lhs) + conjuncts(rhs) }
        return [predicate]
    }

    /// `expr` with every subexpression that reads no column, aggregate or window
    /// evaluated into a literal (one that fails to evaluate stays as it is, to fail at run time).
    static func fold(_ expr: Expr) -> Expr {
        expr.rewritten { part in
            switch part {
            case .column, .literal, .aggregate, .window, .alias: return nil
            default:
                guard part.columnNames.isEmpty, !part.containsAggregateOrWindow,
                    let type = try? part.type(in: Schema([])),
                    let one = try? RecordBatch(names: ["_"], columns: [Column([true])]),
                    let value = try? Evaluator.evaluate(part, one)
                else { return nil }
                return .literal(value[0], type)
            }
        }
    }
}
