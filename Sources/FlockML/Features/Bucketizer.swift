import FlockData

/// Maps numeric columns to bucket numbers by given splits (Spark ML's `Bucketizer`): with
/// splits s0 < s1 < ... < sn, a value x goes to bucket i when s_i <= x < s_(i+1), the last
/// bucket also taking x = sn. Use -∞ and +∞ as the outer splits to cover every number.
/// A missing value (null or NaN) is an error, a dropped row, or bucket n, as
/// `handleInvalid` says; a number outside the splits is always an error.
///
///     let ages = Bucketizer(inputColumns: ["age"], splits: [[-.infinity, 18, 65, .infinity]])
///     let banded = try ages.transform(people)        // age_bucket: 0, 1 or 2 (float64)
public struct Bucketizer: Transformer, Codable, Equatable {
    public var inputColumns: [String]
    /// Where the bucket numbers go; default: each input name with `_bucket` appended.
    public var outputColumns: [String]
    /// Per input column, its strictly increasing splits (at least two: one bucket).
    public var splits: [[Double]]
    public var handleInvalid: StringIndexer.InvalidValues

    /// A bucketizer of `inputColumns` by `splits` (one list per column).
    public init(
        inputColumns: [String], outputColumns: [String]? = nil, splits: [[Double]],
        handleInvalid: StringIndexer.InvalidValues = .error
    ) {
        self.inputColumns = inputColumns
        self.outputColumns = outputColumns ?? inputColumns.map { $0 + "_bucket" }
        self.splits = splits
        self.handleInvalid = handleInvalid
    }

    /// The frame with each column's bucket numbers added (as float64, as Spark writes them).
    /// - Throws: `MLError.invalidParameter` for bad splits; `.invalidData` for a missing or
    ///   non-numeric column, a value outside the splits, or a missing value under `.error`.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        try Parameter.columnPairs(inputColumns, outputColumns)
        guard splits.count == inputColumns.count else {
            throw MLError.invalidParameter(
                name: "splits", value: "\(splits.count) lists",
                allowed: "one list per input column (\(inputColumns.count))")
        }
        for (j, list) in splits.enumerated() {
            guard list.count >= 2, !list.contains(where: \.isNaN), zip(list, list.dropFirst()).allSatisfy({ $0 < $1 })
            else {
                throw MLError.invalidParameter(
                    name: "splits", value: "\(list) for \"\(inputColumns[j])\"",
                    allowed: "at least two strictly increasing numbers")
            }
        }
        var batch = try frame.collect()
        let columns = try FeatureColumns.read(batch, inputColumns)
        var buckets = [[Double?]](repeating: [], count: columns.count)
        var kept: [Int] = []
        rows: for row in 0..<batch.rowCount {
            var values: [Double?] = []
            for (j, column) in columns.enumerated() {
                let x = column[row]
                if x.isNaN {
                    switch handleInvalid {
                    case .error:
                        throw MLError.invalidData(
                            "column \"\(inputColumns[j])\" is missing a value at row \(row); set handleInvalid to skip or keep"
                        )
                    case .skip: continue rows
                    case .keep: values.append(Double(splits[j].count - 1))
                    }
                } else if let bucket = Self.bucket(x, splits[j]) {
                    values.append(Double(bucket))
                } else {
                    throw MLError.invalidData(
                        "column \"\(inputColumns[j])\" holds \(x) at row \(row), outside the splits [\(splits[j].first!), \(splits[j].last!)]"
                    )
                }
            }
            kept.append(row)
            for j in values.indices { buckets[j].append(values[j]) }
        }
        batch = try batch.keeping(rows: kept)
        for (j, name) in outputColumns.enumerated() { batch = try batch.adding(name, Column(buckets[j])) }
        return DataFrame(batch)
    }

    /// The bucket of `x` in `splits` (nil outside them): the last split at or below x,
    /// found by binary search; x equal to the last split joins the last bucket.
    static func bucket(_ x: Double, _ splits: [Double]) -> Int? {
        guard let first = splits.first, let last = splits.last, x >= first, x <= last else { return nil }
        if x == last { return splits.count - 2 }
        var (low, high) = (0, splits.count - 1)  // splits[low] <= x < splits[high]
        while high - low > 1 {
            let middle = (low + high) / 2
            if splits[middle] <= x { low = middle } else { high = middle }
        }
        return low
    }
}

extension Bucketizer: SavableModel { public static let modelType = "Bucketizer" }
