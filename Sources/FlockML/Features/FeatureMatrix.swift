import FlockData

/// Numeric columns of a frame as one row-major float64 matrix (what every estimator fits
/// on), read once from the collected rows and checked: every column present, numeric,
/// without nulls, and every value finite.
struct FeatureMatrix {
    let rows: Int
    let width: Int
    /// Row-major values, `rows * width`.
    let values: [Double]

    /// Columns `names` of `batch`, whose first row is row `firstRow` of the training set
    /// (for error messages).
    /// - Throws: `MLError.invalidData` naming the column (and the row of a NaN or infinity).
    init(_ batch: RecordBatch, columns names: [String], firstRow: Int = 0) throws {
        rows = batch.rowCount
        width = names.count
        let columns = names.compactMap { try? batch.column($0) }
        if columns.count == names.count, columns.allSatisfy({ $0.type == .float64 && $0.nullCount == 0 }) {
            values = try Self.interleaved(columns, rows: rows)
        } else {
            do {
                values = try batch.matrix(names, dtype: .float64).scalars(as: Double.self)
            } catch let error as DataError {
                throw MLError.invalidData("\(error)")
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw MLError.invalidData(
                "column \"\(names[bad % width])\" holds \(values[bad]) at row \(firstRow + bad / width); the estimator takes finite numbers only"
            )
        }
    }

    /// Float64 columns without nulls written row-major, a block of rows at a time so each
    /// block of the output stays in cache while every column fills its slots.
    private static func interleaved(_ columns: [Column], rows: Int) throws -> [Double] {
        let width = columns.count
        return try [Double](unsafeUninitializedCapacity: rows * width) { out, initialized in
            let block = 1_024
            for start in stride(from: 0, to: rows, by: block) {
                let end = Swift.min(rows, start + block)
                for (j, column) in columns.enumerated() {
                    try column.withValues(as: Double.self) { values in
                        for i in start..<end { out[i * width + j] = values[i] }
                    }
                }
            }
            initialized = rows * width
        }
    }

    /// `values`, `rows` rows of `width`, row-major.
    init(rows: Int, width: Int, values: [Double]) {
        self.rows = rows
        self.width = width
        self.values = values
    }

    /// The rows of `parts`, one after another (all of one width).
    init(concatenating parts: [FeatureMatrix]) {
        rows = parts.reduce(0) { $0 + $1.rows }
        width = parts.first?.width ?? 0
        values = parts.count == 1 ? parts[0].values : parts.flatMap(\.values)
    }
}

extension RecordBatch {
    /// The batch with `column` added (or replaced) under `name`.
    func adding(_ name: String, _ column: Column) throws -> RecordBatch {
        var names = self.names
        var columns = self.columns
        if let at = names.firstIndex(of: name) {
            columns[at] = column
        } else {
            names.append(name)
            columns.append(column)
        }
        return try RecordBatch(names: names, columns: columns)
    }

    /// Rows `kept` (ascending row numbers) of the batch, through a filter on a row marker.
    func keeping(rows kept: [Int]) throws -> RecordBatch {
        guard kept.count < rowCount else { return self }
        let marker = "__flock_ml_kept_row"
        var keep = [Bool?](repeating: false, count: rowCount)
        for row in kept { keep[row] = true }
        return try DataFrame(try adding(marker, Column(keep))).filter(col(marker)).select(names.map(col)).collect()
    }
}
