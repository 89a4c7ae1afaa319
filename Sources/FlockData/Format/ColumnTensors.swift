import FlockNN
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
    /// features of a training set): each column read once from its buffer and written
    /// straight into the tensor, converted on the way.
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
        let width = names.count
        var matrix = Tensor(uninitializedShape: [rowCount, width], dtype: dtype)
        matrix.withUnsafeMutableBytes { raw in
            for (j, column) in columns.enumerated() {
                column.withDoubles { values in
                    if dtype == .float64 {
                        let out = raw.bindMemory(to: Double.self)
                        for i in 0..<values.count { out[i * width + j] = values[i] }
                    } else {
                        let out = raw.bindMemory(to: Float.self)
                        for i in 0..<values.count { out[i * width + j] = Float(values[i]) }
                    }
                }
            }
        }
        return matrix
    }

    /// A training set: columns `features` as a [rows, features.count] float32 matrix and
    /// column `label` as [rows] labels: class indices (int64) from an integer or
    /// categorical column (a categorical's codes, in the order of its categories), float32
    /// targets from a float column. Feeds `DataLoader` and, sharded, `DistributedSampler`.
    /// - Throws: as `matrix`, or `.notConvertible` for a label with nulls or of another type.
    public func dataset(features: [String], label: String) throws -> TensorDataset {
        let column = try self.column(label)
        guard column.nullCount == 0 else {
            throw DataError.notConvertible("the label column \"\(label)\" has \(column.nullCount) nulls")
        }
        let labels: Tensor
        switch column.type {
        case .categorical, .int8, .int16, .int32, .int64:
            labels = column.withInt64s { Tensor(Array($0)) }
        case .float32, .float64:
            labels = column.withDoubles { Tensor($0.map { Float($0) }) }
        default:
            throw DataError.notConvertible(
                "the label column \"\(label)\" is \(column.type); labels are numbers or categories")
        }
        return try TensorDataset(features: try matrix(features), labels: labels)
    }
}
