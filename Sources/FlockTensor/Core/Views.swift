/// One index expression in `tensor[...]`: an element, a range with an optional step, the
/// whole axis, or a new axis of size 1.
public enum TensorIndex: Sendable, ExpressibleByIntegerLiteral {
    /// One position along the axis (negative counts from the end); removes the axis.
    case at(Int)
    /// Positions `start..<end` every `step` (negative bounds count from the end; bounds
    /// are clipped to the axis like Python slices; step must be positive).
    case range(Int?, Int?, step: Int = 1)
    /// The whole axis.
    case all
    /// Inserts an axis of size 1.
    case newAxis

    public init(integerLiteral value: Int) { self = .at(value) }

    /// `start..<end`.
    public static func range(_ range: Range<Int>) -> TensorIndex { .range(range.lowerBound, range.upperBound) }
}

extension Tensor {
    /// The same elements with another shape; one size may be -1 (inferred). Shares the
    /// storage when the strides allow it, otherwise copies.
    /// - Throws: when the element counts differ or more than one size is -1.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1, target.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidShape(
                op: "reshape", shape: newShape, reason: "at most one size may be -1 and none below -1")
        }
        try Tensor.validate(target.map { Swift.max($0, 0) }, op: "reshape")
        if let axis = inferred.first {
            let known = target.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(
                    op: "reshape", lhs: shape, rhs: newShape, reason: "cannot infer the -1 size")
            }
            target[axis] = count / known
        }
        guard target.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(
                op: "reshape", lhs: shape, rhs: newShape,
                reason: "\(count) elements cannot take a shape of \(target.reduce(1, *))")
        }
        if let strides = viewStrides(for: target) {
            return Tensor(storage: storage, shape: target, strides: strides, offset: offset)
        }
        let source = copied()
        return Tensor(storage: source.storage, shape: target, strides: Tensor.contiguousStrides(for: target), offset: 0)
    }

    /// Strides that read this view's elements in row-major order with `target` shape, or
    /// nil when no such strides exist (then reshape copies). Each run of target dims must
    /// map onto a run of source dims that is contiguous within itself.
    private func viewStrides(for target: [Int]) -> [Int]? {
        if isContiguous { return Tensor.contiguousStrides(for: target) }
        let source = zip(shape, strides).filter { $0.0 != 1 }
        var result = [Int](repeating: 0, count: target.count)
        var sourceAxis = 0
        var targetAxis = 0
        while targetAxis < target.count {
            if target[targetAxis] == 1 {
                result[targetAxis] = 1
                targetAxis += 1
                continue
            }
            guard sourceAxis < source.count else { return nil }
            // Grow a group of source dims and target dims until their sizes agree.
            var sourceSize = source[sourceAxis].0
            var targetSize = target[targetAxis]
            var groupSource = [sourceAxis]
            var groupTarget = [targetAxis]
            while sourceSize != targetSize {
                if sourceSize < targetSize {
                    sourceAxis += 1
                    guard sourceAxis < source.count else { return nil }
                    let (size, stride) = source[sourceAxis]
                    guard source[sourceAxis - 1].1 == stride * size else { return nil }
                    sourceSize *= size
                    groupSource.append(sourceAxis)
                } else {
                    targetAxis += 1
                    guard targetAxis < target.count else { return nil }
                    targetSize *= target[targetAxis]
                    groupTarget.append(targetAxis)
                }
            }
            var running = source[groupSource.last!].1  // Invariant: groups are non-empty.
            for axis in groupTarget.reversed() {
                result[axis] = target[axis] == 1 ? 1 : running
                running *= target[axis]
            }
            sourceAxis += 1
            targetAxis += 1
        }
        return sourceAxis >= source.count ? result : nil
    }

    /// The elements as a 1-D tensor.
    public func flattened() -> Tensor {
        // Invariant: [-1] always matches the element count.
        try! reshaped([-1])
    }

    /// A view with the axes reordered: axis i of the result is axis `order[i]` of this one.
    /// - Throws: unless `order` is a permutation of the axes.
    public func permuted(_ order: [Int]) throws -> Tensor {
        let axes = try order.map { try normalizeAxis($0, rank: rank, op: "permute") }
        guard axes.count == rank, Set(axes).count == rank else {
            throw TensorError.invalidArgument(op: "permute", reason: "\(order) is not a permutation of \(rank) axes")
        }
        return Tensor(
            storage: storage, shape: axes.map { shape[$0] }, strides: axes.map { strides[$0] }, offset: offset)
    }

    /// A view with two axes swapped.
    public func transposed(_ axis0: Int, _ axis1: Int) throws -> Tensor {
        var order = Array(0..<rank)
        let a = try normalizeAxis(axis0, rank: rank, op: "transpose")
        let b = try normalizeAxis(axis1, rank: rank, op: "transpose")
        order.swapAt(a, b)
        return try permuted(order)
    }

    /// The transpose of a matrix (the last two axes swapped; a 1-D tensor is unchanged).
    /// Named `T` as in NumPy, PyTorch and MLX.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    public var T: Tensor {
        rank < 2
            ? self
            : Tensor(
                storage: storage,
                shape: shape[..<(rank - 2)] + [shape[rank - 1], shape[rank - 2]],
                strides: strides[..<(rank - 2)] + [strides[rank - 1], strides[rank - 2]],
                offset: offset)
    }

    /// A view with a size-1 axis inserted at `axis` (which may equal the rank).
    public func unsqueezed(_ axis: Int) throws -> Tensor {
        let position = try normalizeAxis(axis, rank: rank + 1, op: "unsqueeze")
        var newShape = shape
        var newStrides = strides
        newShape.insert(1, at: position)
        newStrides.insert(position < rank ? strides[position] * shape[position] : 1, at: position)
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    }

    /// A view without size-1 axes (all of them, or only `axis`).
    public func squeezed(_ axis: Int? = nil) throws -> Tensor {
        var keep = Array(0..<rank)
        if let axis {
            let resolved = try normalizeAxis(axis, rank: rank, op: "squeeze")
            if shape[resolved] == 1 { keep.remove(at: resolved) }
        } else {
            keep.removeAll { shape[$0] == 1 }
        }
        return Tensor(
            storage: storage, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }

    /// A view that repeats size-1 axes (and prepends axes) to reach `target` without
    /// copying (stride 0).
    /// - Throws: when this shape does not broadcast to `target`.
    public func expanded(to target: [Int]) throws -> Tensor {
        try Tensor.validate(target, op: "expand")
        guard try broadcastShapes(shape, target, op: "expand") == target else {
            throw TensorError.shapeMismatch(
                op: "expand", lhs: shape, rhs: target, reason: "only size-1 axes can be expanded")
        }
        return Tensor(storage: storage, shape: target, strides: broadcastStrides(to: target), offset: offset)
    }

    /// A view of `start..<end` along `axis` every `step` elements (Python slice rules:
    /// negative bounds count from the end, bounds are clipped).
    public func sliced(axis: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) throws -> Tensor {
        let axis = try normalizeAxis(axis, rank: rank, op: "slice")
        guard step > 0 else {
            throw TensorError.invalidArgument(op: "slice", reason: "step must be positive, got \(step)")
        }
        let size = shape[axis]
        func clip(_ bound: Int?, _ fallback: Int) -> Int {
            guard let bound else { return fallback }
            return Swift.min(Swift.max(bound < 0 ? bound + size : bound, 0), size)
        }
        let lower = clip(start, 0)
        let upper = Swift.max(clip(end, size), lower)
        var result = self
        result.shape[axis] = (upper - lower + step - 1) / step
        result.strides[axis] = strides[axis] * step
        result.offset = offset + (result.shape[axis] > 0 ? lower * strides[axis] : 0)
        return result
    }

    /// Overwrites the elements of a slice (see `sliced`) with `values` (broadcast to the
    /// slice's shape and converted to this dtype); the storage is copied first if shared.
    /// - Throws: on a bad axis or step, or values that do not broadcast to the slice.
    public mutating func assign(_ values: Tensor, axis: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) throws {
        let region = try sliced(axis: axis, start: start, end: end, step: step)
        let source = try values.expanded(to: region.shape)
        makeStorageUnique()
        Tensor.writeElements(of: source, into: try sliced(axis: axis, start: start, end: end, step: step))
    }

    /// The sub-tensor at `index` along `axis`, which is removed.
    public func selected(axis: Int, index: Int) throws -> Tensor {
        let axis = try normalizeAxis(axis, rank: rank, op: "select")
        let resolved = index < 0 ? index + shape[axis] : index
        guard resolved >= 0, resolved < shape[axis] else {
            throw TensorError.indexOutOfRange(op: "select", index: index, size: shape[axis])
        }
        var result = self
        result.offset += resolved * strides[axis]
        result.shape.remove(at: axis)
        result.strides.remove(at: axis)
        return result
    }

    /// Indexing like NumPy's basic indexing: `x[0]`, `x[.all, .range(1..<3)]`,
    /// `x[.newAxis, .at(-1)]`. Missing trailing indices mean the whole axis.
    public subscript(_ indices: TensorIndex...) -> Tensor {
        get throws {
            var result = self
            var axis = 0
            let consumed = indices.filter { if case .newAxis = $0 { false } else { true } }.count
            guard consumed <= rank else {
                throw TensorError.invalidArgument(
                    op: "subscript", reason: "\(consumed) indices for a tensor of shape \(shape)")
            }
            for index in indices {
                switch index {
                case .at(let position):
                    result = try result.selected(axis: axis, index: position)
                case .range(let start, let end, let step):
                    result = try result.sliced(axis: axis, start: start, end: end, step: step)
                    axis += 1
                case .all:
                    axis += 1
                case .newAxis:
                    result = try result.unsqueezed(axis)
                    axis += 1
                }
            }
            return result
        }
    }
}
