import FlockData

/// Every product of the input columns up to `degree` factors (Spark ML's
/// `PolynomialExpansion`, in scikit-learn's order: degree 1 first, then each degree's
/// products in lexicographic order of the columns, without the constant): for (x, y) and
/// degree 2, x, y, x², xy, y² as `output_0` ... `output_4` (`terms` names them "x", "y",
/// "x^2", "x*y", "y^2"). A linear model on the outputs fits a polynomial.
public struct PolynomialExpansion: Transformer, Codable, Equatable {
    public var inputColumns: [String]
    /// Prefix of the output columns (default "poly").
    public var outputColumn: String
    /// Factors per product at most (1...10; default 2).
    public var degree: Int

    /// The expansion of `inputColumns` to `degree`.
    public init(inputColumns: [String], outputColumn: String = "poly", degree: Int = 2) {
        self.inputColumns = inputColumns
        self.outputColumn = outputColumn
        self.degree = degree
    }

    /// Each output's factors (column indices, ascending), in output order.
    var products: [[Int]] {
        var all: [[Int]] = []
        var level: [[Int]] = inputColumns.indices.map { [$0] }
        for _ in 1...Swift.max(degree, 1) {
            all += level
            level = level.flatMap { product in (product.last!..<inputColumns.count).map { product + [$0] } }
        }
        return all
    }

    /// What each output column holds, e.g. "x*y" or "x^2".
    public var terms: [String] {
        products.map { factors in
            var counts: [(Int, Int)] = []
            for f in factors {
                if let last = counts.last, last.0 == f {
                    counts[counts.count - 1].1 += 1
                } else {
                    counts.append((f, 1))
                }
            }
            return counts.map { $1 == 1 ? inputColumns[$0] : "\(inputColumns[$0])^\($1)" }.joined(separator: "*")
        }
    }

    /// The frame with the products added (float64; a null input makes the row's products
    /// that use it NaN).
    /// - Throws: `MLError.invalidParameter` for a degree outside 1...10 or no inputs (or
    ///   more than 10,000 outputs); `.invalidData` for a missing or non-numeric column.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        try Parameter.columns("inputColumns", inputColumns)
        try Parameter.atLeast("degree", degree, 1)
        try Parameter.atMost("degree", degree, 10)
        let products = self.products
        guard products.count <= 10_000 else {
            throw MLError.invalidParameter(
                name: "degree", value: "\(degree)",
                allowed: "a degree whose products of \(inputColumns.count) columns number at most 10,000")
        }
        var batch = try frame.collect()
        let columns = try FeatureColumns.read(batch, inputColumns)
        var values = [Double](repeating: 0, count: batch.rowCount)
        var previous: [[Int]: [Double]] = [:]  // Each product by its factors, to extend by one factor.
        for (o, factors) in products.enumerated() {
            let column = columns[factors.last!]
            if factors.count == 1 {
                values = column
            } else {
                // Invariant: the product without its last factor came earlier.
                let base = previous[Array(factors.dropLast())]!
                for i in values.indices { values[i] = base[i] * column[i] }
            }
            if factors.count < degree { previous[factors] = values }
            batch = try batch.adding("\(outputColumn)_\(o)", Column(values.map { Optional($0) }))
        }
        return DataFrame(batch)
    }
}

extension PolynomialExpansion: SavableModel {
    public static let modelType = "PolynomialExpansion"
}
