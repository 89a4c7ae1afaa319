extension DataFrame {
    /// Summary statistics of the numeric columns, as pandas' `describe()`: one row per
    /// statistic (count, null_count, mean, std, min, 25%, 50%, 75%, max) and one float64
    /// column per numeric input column, after a `statistic` column naming the row. Runs
    /// the frame once (all aggregates in one pass).
    /// - Throws: `DataError.invalidPlan` when the frame has no numeric column.
    public func describe() throws -> RecordBatch {
        let numeric = schema.fields.filter { $0.type.isNumeric }.map(\.name)
        guard !numeric.isEmpty else {
            throw DataError.invalidPlan("describe needs a numeric column; the columns are [\(schema)]")
        }
        let statistics: [(String, (Expr) -> Expr)] = [
            ("count", { $0.count() }), ("null_count", { count() - $0.count() }), ("mean", { $0.mean() }),
            ("std", { $0.std() }), ("min", { $0.min() }), ("25%", { $0.quantile(0.25) }), ("50%", { $0.median() }),
            ("75%", { $0.quantile(0.75) }), ("max", { $0.max() }),
        ]
        let exprs = numeric.flatMap { name in
            statistics.map { statistic, make in make(col(name)).cast(.float64).alias("\(statistic)\u{1F}\(name)") }
        }
        let row = try select(exprs).collect()
        var columns = [Column(statistics.map(\.0))]
        for (c, _) in numeric.enumerated() {
            columns.append(
                Column(
                    statistics.indices.map { s in
                        if case .double(let value)? = row.columns[c * statistics.count + s][0] { return value }
                        return nil
                    }))
        }
        return try RecordBatch(names: ["statistic"] + numeric, columns: columns)
    }
}
