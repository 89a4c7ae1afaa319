/// An n-dimensional array of one element type: the value every Flock computation passes
/// around.
///
/// A tensor is a strided, row-major view (`shape`, `strides` in elements, `offset`) of a
/// shared storage. Views (reshape, transpose, slicing, expand) share the storage without
/// copying; the storage is copied only when a tensor that shares it is mutated, so tensors
/// behave as values. Operations that can fail on their inputs' shapes throw `TensorError`.
public struct Tensor: Sendable {
    var storage: TensorStorage
    /// The size of each dimension.
    public internal(set) var shape: [Int]
    /// The distance, in elements, between neighbours along each dimension (0 for a
    /// broadcast dimension).
    public internal(set) var strides: [Int]
    /// The position of element [0, 0, ...] in the storage, in elements.
    public internal(set) var offset: Int

    init(storage: TensorStorage, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A new contiguous tensor whose elements are not initialised (kernels fill it).
    package init(uninitializedShape shape: [Int], dtype: DType) {
        let count = shape.reduce(1, *)
        self.init(
            storage: TensorStorage(count: count, dtype: dtype, zeroed: false),
            shape: shape, strides: Tensor.contiguousStrides(for: shape), offset: 0)
    }

    /// The element type.
    public var dtype: DType { storage.dtype }
    /// The number of dimensions.
    public var rank: Int { shape.count }
    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Row-major strides for a shape.
    public static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= Swift.max(shape[axis], 1)
        }
        return strides
    }

    /// Whether the elements lie in row-major order without gaps (size-1 dimensions may
    /// have any stride).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// This tensor if it is contiguous, else a contiguous copy.
    public func contiguous() -> Tensor {
        isContiguous ? self : copied()
    }

    /// A contiguous copy with its own storage.
    public func copied() -> Tensor {
        var result = Tensor(uninitializedShape: shape, dtype: dtype)
        result.assignElements(from: self)
        return result
    }

    // MARK: Element access

    /// Creates a tensor of `shape` from row-major scalars.
    /// - Throws: `TensorError.invalidShape` when the counts differ or a size is negative.
    public init<T: TensorElement>(_ scalars: [T], shape: [Int]) throws {
        try Tensor.validate(shape, op: "Tensor.init")
        let count = shape.reduce(1, *)
        guard count == scalars.count else {
            throw TensorError.invalidShape(
                op: "Tensor.init", shape: shape,
                reason: "it holds \(count) elements but \(scalars.count) scalars were given")
        }
        self.init(uninitializedShape: shape, dtype: T.dtype)
        let destination = storage.typed(T.self)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { destination.initialize(from: base, count: count) }
        }
    }

    /// Creates a 1-D tensor from scalars.
    public init<T: TensorElement>(_ scalars: [T]) {
        self.init(uninitializedShape: [scalars.count], dtype: T.dtype)
        let destination = storage.typed(T.self)
        for (index, value) in scalars.enumerated() { destination[index] = value }
    }

    /// Creates a 2-D tensor from rows of equal length.
    /// - Throws: `TensorError.invalidShape` when the rows differ in length.
    public init<T: TensorElement>(rows: [[T]]) throws {
        let columns = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != columns }) {
            throw TensorError.invalidShape(
                op: "Tensor.init(rows:)", shape: [rows.count, columns],
                reason: "row \(bad) has \(rows[bad].count) elements, row 0 has \(columns)")
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, columns])
    }

    /// Creates a 0-dimensional tensor holding one scalar.
    public init<T: TensorElement>(scalar: T) {
        self.init(uninitializedShape: [], dtype: T.dtype)
        storage.typed(T.self).initialize(to: scalar)
    }

    /// The elements in row-major order.
    /// - Throws: `TensorError.unsupportedDType` when `T` is not this tensor's element type.
    public func scalars<T: TensorElement>(as _: T.Type = T.self) throws -> [T] {
        try checkElementType(T.self, op: "scalars")
        let source = contiguous()
        let base = source.storage.typed(T.self) + source.offset
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// The elements converted to Double, in row-major order (any dtype).
    public func doubleScalars() -> [Double] {
        (try? casted(to: .float64).scalars(as: Double.self)) ?? []
    }

    /// The single element of a tensor with one element.
    /// - Throws: when the tensor does not have exactly one element or `T` is wrong.
    public func item<T: TensorElement>(as _: T.Type = T.self) throws -> T {
        guard count == 1 else {
            throw TensorError.invalidShape(op: "item", shape: shape, reason: "item() needs exactly one element")
        }
        try checkElementType(T.self, op: "item")
        return storage.typed(T.self)[offset]
    }

    /// The element at a full index (negative indices count from the end).
    /// - Throws: on a wrong number of indices, an index out of range or a wrong `T`.
    public func scalar<T: TensorElement>(at index: [Int], as _: T.Type = T.self) throws -> T {
        try checkElementType(T.self, op: "scalar(at:)")
        return storage.typed(T.self)[try storageOffset(of: index, op: "scalar(at:)")]
    }

    /// Writes one element at a full index, copying the storage first if it is shared.
    public mutating func setScalar<T: TensorElement>(_ value: T, at index: [Int]) throws {
        try checkElementType(T.self, op: "setScalar")
        let position = try storageOffset(of: index, op: "setScalar")
        makeStorageUnique()
        storage.typed(T.self)[position] = value
    }

    /// Calls `body` with the elements as a contiguous mutable buffer; copies the storage
    /// first if it is shared or not contiguous, so other tensors never see the writes.
    public mutating func withUnsafeMutableScalars<T: TensorElement, R>(
        as _: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) throws -> R {
        try checkElementType(T.self, op: "withUnsafeMutableScalars")
        if !isContiguous || storage.count != count { self = copied() }
        makeStorageUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.typed(T.self) + offset, count: count))
    }

    /// Calls `body` with the elements as a contiguous buffer (copying only if this view is
    /// not contiguous).
    public func withUnsafeScalars<T: TensorElement, R>(
        as _: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) throws -> R {
        try checkElementType(T.self, op: "withUnsafeScalars")
        let source = contiguous()
        return try withExtendedLifetime(source) {
            try body(UnsafeBufferPointer(start: source.storage.typed(T.self) + source.offset, count: count))
        }
    }

    /// Calls `body` with the elements' bytes, contiguous and row-major (copying first
    /// only if this view is not contiguous): for I/O and communication.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let source = contiguous()
        return try withExtendedLifetime(source) {
            try body(
                UnsafeRawBufferPointer(
                    start: source.storage.pointer + source.offset * dtype.byteSize, count: count * dtype.byteSize))
        }
    }

    /// Calls `body` with the elements' bytes as a contiguous mutable buffer; copies the
    /// storage first if it is shared or not contiguous, so other tensors never see writes.
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        if !isContiguous || storage.count != count { self = copied() }
        makeStorageUnique()
        return try body(
            UnsafeMutableRawBufferPointer(
                start: storage.pointer + offset * dtype.byteSize, count: count * dtype.byteSize))
    }

    /// Whether two tensors have the same dtype, shape and elements (NaN equals nothing).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.dtype == rhs.dtype, lhs.shape == rhs.shape else { return false }
        if lhs.dtype == .bool { return (lhs.casted(to: .int32) == rhs.casted(to: .int32)) }
        // Invariant: equal shapes broadcast and equal numeric dtypes compare.
        return (try! lhs .== rhs).all()
    }

    // MARK: Internals

    mutating func makeStorageUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(count: storage.count, dtype: dtype, zeroed: false)
            copy.pointer.copyMemory(from: storage.pointer, byteCount: storage.count * dtype.byteSize)
            storage = copy
        }
    }

    func checkElementType<T: TensorElement>(_: T.Type, op: String) throws {
        guard T.dtype == dtype else {
            throw TensorError.unsupportedDType(
                op: op, dtype: dtype, reason: "the tensor holds \(dtype), not \(T.dtype)")
        }
    }

    func storageOffset(of index: [Int], op: String) throws -> Int {
        guard index.count == rank else {
            throw TensorError.invalidArgument(
                op: op, reason: "\(index.count) indices given for a tensor of shape \(shape)")
        }
        var position = offset
        for axis in 0..<rank {
            let size = shape[axis]
            let resolved = index[axis] < 0 ? index[axis] + size : index[axis]
            guard resolved >= 0, resolved < size else {
                throw TensorError.indexOutOfRange(op: op, index: index[axis], size: size)
            }
            position += resolved * strides[axis]
        }
        return position
    }

    /// Pointer to element [0, 0, ...] of this view.
    @inline(__always)
    func elementPointer<T: TensorElement>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.typed(T.self) + offset
    }
}

extension Tensor: Equatable {}
