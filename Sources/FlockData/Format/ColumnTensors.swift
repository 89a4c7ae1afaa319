import FlockTensor

extension Column {
    /// The values as a 1-d tensor: the value buffer copied once, no value converted. Dates
    /// and timestamps give their int32 days and int64 microseconds.
    /// - Throws: `DataError.notConvertible` for a column with nulls, or of a type no tensor
    ///   dtype holds (int8, int16, bool, utf8).
    public func tensor() throws -> Tensor {
        guard nullCount == 0 else {
            throw DataError.notConvertible(
                "a \(type) column with \(nullCount) nulls has no tensor form; fill or drop them")
        }
        let dtype: DType
        switch type.storageType {
        case .float32: dtype = .float32
        case .float64: dtype = .float64
        case .int32: dtype = .int32
        case .int64: dtype = .int64
        default: throw DataError.notConvertible("no tensor dtype holds \(type) values")
        }
        var tensor = Tensor(uninitializedShape: [count], dtype: dtype)
        tensor.withUnsafeMutableBytes { destination in
            values.withUnsafeBytes { destination.copyMemory(from: $0) }
        }
        return tensor
    }
}

extension RecordBatch {
    /// Numeric columns `names` as one [rows, names.count] float32 or float64 matrix (the
    /// features of a training set), each value converted once.
    /// - Throws: `DataError.unknownColumn`, or `.notConvertible` for a column with nulls or
    ///   of a non-numeric type, or a `dtype` other than float32 and float64.
    public func matrix(_ names: [String], dtype: DType = .float32) throws -> Tensor {
        guard dtype == .float32 || dtype == .float64 else {
            throw DataError.notConvertible("a feature matrix is float32 or float64, not \(dtype)")
        }
        let columns = try names.map { name in
            let column = try self.column(name)
            guard column.type.isNumeric, column.nullCount == 0 else {
                throw DataError.notConvertible(
                    "column \"\(name)\" (\(column.type), \(column.nullCount) nulls) is not a numeric column without nulls"
                )
            }
            return column
        }
        var matrix = [Double](repeating: 0, count: rowCount * names.count)
        for (j, column) in columns.enumerated() {
            for i in 0..<rowCount {
                switch column[i] {
                case .int(let value)?: matrix[i * names.count + j] = Double(value)
                case .double(let value)?: matrix[i * names.count + j] = value
                default: break  // Invariant: numeric columns without nulls hold ints and doubles.
                }
            }
        }
        let shape = [rowCount, names.count]
        return dtype == .float64 ? try Tensor(matrix, shape: shape) : try Tensor(matrix.map { Float($0) }, shape: shape)
    }
}
