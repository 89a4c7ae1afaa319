/// The columns a hash partitioning splits rows by, for key expressions: a plain column as
/// it is, any other expression computed on the map side as `__key<i>`. Used by the
/// cluster's shuffles and by spilling, which both split rows by key before a blocking step.
struct ShuffleKeys {
    /// The hashed column of each key, in order.
    private(set) var names: [String] = []
    /// The map side's computed keys, aliased to their names.
    private(set) var computed: [Expr] = []
    /// The keys that are input columns.
    private(set) var plainColumns: Set<String> = []
    /// The keys as the reduce side groups by them: plain columns as they are, computed
    /// ones read from their `__key<i>` column under the key's own name.
    private(set) var reduceKeys: [Expr] = []

    init(_ keys: [Expr]) {
        for (index, key) in keys.enumerated() {
            if case .column(let name) = key {
                names.append(name)
                plainColumns.insert(name)
                reduceKeys.append(key)
            } else {
                names.append("__key\(index)")
                computed.append(key.alias("__key\(index)"))
                reduceKeys.append(col("__key\(index)").alias(key.name))
            }
        }
    }

    /// What the map side keeps of `input`: the columns that the keys and `exprs` read,
    /// then the computed keys; at least one column, so that rows still count.
    func mapProjection(input: Schema, reading exprs: [Expr]) -> [Expr] {
        let needed = exprs.reduce(into: plainColumns) { $0.formUnion($1.columnNames) }
        var kept = input.names.filter(needed.contains)
        if kept.isEmpty && computed.isEmpty, let first = input.names.first { kept = [first] }
        return kept.map(col) + computed
    }
}
