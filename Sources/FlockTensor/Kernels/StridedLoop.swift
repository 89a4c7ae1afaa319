/// The iteration plan of an elementwise loop over several operands that share one shape
/// but have their own strides (broadcast dimensions have stride 0).
///
/// Dimensions of size 1 are dropped and neighbouring dimensions that are contiguous for
/// every operand are merged, so the common cases (all contiguous, one scalar operand)
/// become a single run that the innermost loop walks with a fixed stride per operand.
struct LoopPlan {
    let shape: [Int]
    /// strides[operand][axis]
    let strides: [[Int]]
    let count: Int

    init(shape: [Int], strides: [[Int]]) {
        count = shape.reduce(1, *)
        var mergedShape: [Int] = []
        var merged: [[Int]] = Array(repeating: [], count: strides.count)
        for axis in 0..<shape.count where shape[axis] != 1 {
            if let lastSize = mergedShape.last,
                strides.indices.allSatisfy({ merged[$0].last! == strides[$0][axis] * shape[axis] })
            {
                // Invariant: merged[k] is non-empty whenever mergedShape is (appended together).
                mergedShape[mergedShape.count - 1] = lastSize * shape[axis]
                for k in strides.indices { merged[k][merged[k].count - 1] = strides[k][axis] }
            } else {
                mergedShape.append(shape[axis])
                for k in strides.indices { merged[k].append(strides[k][axis]) }
            }
        }
        if mergedShape.isEmpty {
            mergedShape = [1]
            merged = Array(repeating: [1], count: strides.count)
        }
        self.shape = mergedShape
        self.strides = merged
    }

    /// The stride of the innermost dimension for an operand.
    @inline(__always)
    func innerStride(_ operand: Int) -> Int { strides[operand][shape.count - 1] }

    /// Calls `body(offsets, length)` for each run of the innermost dimension that covers
    /// the linear element range `range`; `offsets[k]` is operand k's element offset of the
    /// run's first element (relative to the operand's base).
    func forEachRun(in range: Range<Int>, _ body: (UnsafeMutableBufferPointer<Int>, Int) -> Void) {
        let rank = shape.count
        let operands = strides.count
        let inner = shape[rank - 1]
        withUnsafeTemporaryAllocation(of: Int.self, capacity: rank + operands) { scratch in
            // scratch[0..<rank]: multi-index; scratch[rank...]: operand offsets.
            var remainder = range.lowerBound
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                scratch[axis] = remainder % shape[axis]
                remainder /= shape[axis]
            }
            let offsets = UnsafeMutableBufferPointer(rebasing: scratch[rank...])
            for k in 0..<operands {
                var position = 0
                for axis in 0..<rank { position += scratch[axis] * strides[k][axis] }
                offsets[k] = position
            }
            var done = range.lowerBound
            while done < range.upperBound {
                let length = min(inner - scratch[rank - 1], range.upperBound - done)
                body(offsets, length)
                done += length
                if done >= range.upperBound { break }
                // Advance the odometer by `length` along the innermost axis.
                scratch[rank - 1] += length
                for k in 0..<operands { offsets[k] += length * strides[k][rank - 1] }
                var axis = rank - 1
                while axis > 0 && scratch[axis] == shape[axis] {
                    for k in 0..<operands { offsets[k] -= shape[axis] * strides[k][axis] }
                    scratch[axis] = 0
                    axis -= 1
                    scratch[axis] += 1
                    for k in 0..<operands { offsets[k] += strides[k][axis] }
                }
            }
        }
    }

    /// `forEachRun` over all elements, split across the thread pool when large.
    func parallelRuns(grain: Int = elementwiseGrain, _ body: (UnsafeMutableBufferPointer<Int>, Int) -> Void) {
        parallelRanges(count: count, grain: grain) { range in
            forEachRun(in: range, body)
        }
    }
}

/// Elementwise loops with fewer elements than this stay on one thread: below it, waking
/// workers costs more than the work.
let elementwiseGrain = 1 << 15

extension Tensor {
    /// Strides that read this tensor as if it had `target` shape (NumPy broadcasting:
    /// missing leading dimensions and size-1 dimensions get stride 0). The caller has
    /// checked that the shapes broadcast.
    func broadcastStrides(to target: [Int]) -> [Int] {
        var result = [Int](repeating: 0, count: target.count)
        let shift = target.count - rank
        for axis in 0..<rank where shape[axis] != 1 {
            result[axis + shift] = strides[axis]
        }
        return result
    }
}

/// The shape that two shapes broadcast to (NumPy rules: align trailing dimensions; each
/// pair must be equal or contain a 1).
func broadcastShapes(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if x == y || y == 1 {
            result[i] = x
        } else if x == 1 {
            result[i] = y
        } else {
            throw TensorError.shapeMismatch(
                op: op, lhs: a, rhs: b,
                reason: "dimension \(i - rank) has sizes \(x) and \(y); broadcasting needs equal sizes or 1")
        }
    }
    return result
}
