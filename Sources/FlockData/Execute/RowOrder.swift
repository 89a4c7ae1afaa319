/// Comparing single values of columns of one type: numbers as numbers, text by UTF-8
/// bytes, bools false before true, dates and timestamps by time. Nulls are the caller's.
enum RowOrder {
    /// -1, 0 or 1 as value `i` of `a` is below, equal to or above value `j` of `b`.
    static func compare(_ a: Column, _ i: Int, _ b: Column, _ j: Int) -> Int {
        switch a.type {
        case .utf8, .categorical: return Comparison.compare(a.text(i), b.text(j))
        case .bool: return Comparison.ordering(a.boolValue(i) ? 1 : 0, b.boolValue(j) ? 1 : 0)
        case .float32, .float64:
            let (x, y) = (a.double(i), b.double(j))
            // NaN sorts after every number, as in Polars and DuckDB.
            if x.isNaN || y.isNaN { return x.isNaN ? (y.isNaN ? 0 : 1) : -1 }
            return Comparison.ordering(x, y)
        default: return Comparison.ordering(a.int64(i), b.int64(j))
        }
    }
}

extension Column {
    /// Value i of a numeric, date or timestamp column as int64.
    func int64(_ index: Int) -> Int64 {
        values.withUnsafeBytes { raw in
            switch type.byteWidth {
            case 1: Int64(raw.load(fromByteOffset: index, as: Int8.self))
            case 2: Int64(raw.load(fromByteOffset: 2 * index, as: Int16.self))
            case 4:
                type == .float32
                    ? Int64(raw.load(fromByteOffset: 4 * index, as: Float.self))
                    : Int64(raw.load(fromByteOffset: 4 * index, as: Int32.self))
            default:
                type == .float64
                    ? Int64(raw.load(fromByteOffset: 8 * index, as: Double.self))
                    : raw.load(fromByteOffset: 8 * index, as: Int64.self)
            }
        }
    }

    /// Value i of a numeric column as float64.
    func double(_ index: Int) -> Double {
        switch type {
        case .float64: values.withUnsafeBytes { $0.load(fromByteOffset: 8 * index, as: Double.self) }
        case .float32: Double(values.withUnsafeBytes { $0.load(fromByteOffset: 4 * index, as: Float.self) })
        default: Double(int64(index))
        }
    }
}
