/// A reduction over a run of elements: an accumulator, how elements enter it, how two
/// partial accumulators merge, and how the final value is produced.
protocol Reducer {
    associatedtype Input: TensorElement
    associatedtype Accumulator
    associatedtype Output: TensorElement
    static var initial: Accumulator { get }
    /// Adds the element at position `index` of the reduced range.
    static func combine(_ accumulator: inout Accumulator, _ x: Input, index: Int)
    /// Merges `later` (covering later positions) into `earlier`.
    static func merge(_ earlier: Accumulator, _ later: Accumulator) -> Accumulator
    static func finish(_ accumulator: Accumulator) -> Output
}

/// Elements per partial accumulator when one output reduces a long range. Fixed (not
/// derived from the thread count), so results are bitwise identical for any thread count.
let reductionBlock = 1 << 16

/// Reduces `x` over `axes` (normalised, sorted) with `R`.
///
/// The view is permuted so kept axes come first and reduced axes last; each output then
/// reduces one strided sub-block. Many outputs are split across threads by output; few
/// outputs with long ranges are split by fixed-size blocks of the range and merged in order.
func reduce<R: Reducer>(_: R.Type, _ x: Tensor, axes: [Int], keepDims: Bool) -> Tensor {
    let kept = (0..<x.rank).filter { !axes.contains($0) }
    let outShape = keepDims ? (0..<x.rank).map { axes.contains($0) ? 1 : x.shape[$0] } : kept.map { x.shape[$0] }
    let result = Tensor(uninitializedShape: outShape, dtype: R.Output.dtype)
    let outerPlan = LoopPlan(shape: kept.map { x.shape[$0] }, strides: [kept.map { x.strides[$0] }])
    let innerShape = axes.map { x.shape[$0] }
    let innerCount = innerShape.reduce(1, *)
    let innerPlan = LoopPlan(shape: innerShape, strides: [axes.map { x.strides[$0] }])
    let source = x.elementPointer(R.Input.self)
    let destination = result.elementPointer(R.Output.self)
    let outerCount = outerPlan.count

    /// Reduces positions `range` of the inner block that starts at `base`.
    func reduceRange(base: UnsafeMutablePointer<R.Input>, _ range: Range<Int>) -> R.Accumulator {
        var accumulator = R.initial
        var position = range.lowerBound
        let stride = innerPlan.innerStride(0)
        innerPlan.forEachRun(in: range) { offsets, length in
            let run = base + offsets[0]
            if stride == 1 {
                for i in 0..<length { R.combine(&accumulator, run[i], index: position + i) }
            } else {
                for i in 0..<length { R.combine(&accumulator, run[i * stride], index: position + i) }
            }
            position += length
        }
        return accumulator
    }

    // Reducing leading axes into contiguous trailing ones (column sums of a matrix, bias
    // gradients): walk the input row by row and update all outputs of a row at once.
    let keptAreTrailing = kept.allSatisfy { $0 > (axes.max() ?? -1) }
    if keptAreTrailing, outerPlan.shape.count == 1, outerPlan.innerStride(0) == 1, innerCount > 1, outerCount > 1 {
        withExtendedLifetime(x) {
            parallelRanges(count: outerCount, grain: Swift.max(64, elementwiseGrain / innerCount)) { columns in
                let accumulators = UnsafeMutablePointer<R.Accumulator>.allocate(capacity: columns.count)
                defer { accumulators.deallocate() }
                accumulators.initialize(repeating: R.initial, count: columns.count)
                var position = 0
                innerPlan.forEachRun(in: 0..<innerCount) { offsets, length in
                    let stride = innerPlan.innerStride(0)
                    for step in 0..<length {
                        let row = source + offsets[0] + step * stride + columns.lowerBound
                        for j in 0..<columns.count { R.combine(&accumulators[j], row[j], index: position) }
                        position += 1
                    }
                }
                for j in 0..<columns.count { destination[columns.lowerBound + j] = R.finish(accumulators[j]) }
                accumulators.deinitialize(count: columns.count)
            }
        }
        return result
    }

    withExtendedLifetime(x) {
        if innerCount == 0 || outerCount == 0 {
            for i in 0..<outerCount { destination[i] = R.finish(R.initial) }
        } else if outerCount >= ThreadPool.shared.threadCount || innerCount < 2 * reductionBlock {
            let grain = max(1, elementwiseGrain / innerCount)
            parallelRanges(count: outerCount, grain: grain) { range in
                var output = range.lowerBound
                outerPlan.forEachRun(in: range) { offsets, length in
                    let stride = outerPlan.innerStride(0)
                    for i in 0..<length {
                        destination[output] = R.finish(
                            reduceRange(base: source + offsets[0] + i * stride, 0..<innerCount))
                        output += 1
                    }
                }
            }
        } else {
            let blocks = (innerCount + reductionBlock - 1) / reductionBlock
            var partials = [R.Accumulator](repeating: R.initial, count: blocks)
            for output in 0..<outerCount {
                var base = source
                outerPlan.forEachRun(in: output..<(output + 1)) { offsets, _ in base = source + offsets[0] }
                partials.withUnsafeMutableBufferPointer { slots in
                    ThreadPool.shared.parallelFor(chunks: blocks) { block in
                        let start = block * reductionBlock
                        slots[block] = reduceRange(base: base, start..<min(innerCount, start + reductionBlock))
                    }
                }
                destination[output] = R.finish(partials.dropFirst().reduce(partials[0], R.merge))
            }
        }
    }
    return result
}

/// Sum in a wide accumulator: Double for floats, Int64 for integers (wrapping).
struct SumReducer<T: NumericElement, Output: NumericElement>: Reducer {
    static var initial: Double { 0 }
    @inline(__always) static func combine(_ a: inout Double, _ x: T, index: Int) { a += x.doubleValue }
    static func merge(_ a: Double, _ b: Double) -> Double { a + b }
    static func finish(_ a: Double) -> Output { Output(converting: a) }
}

struct IntegerSumReducer<T: NumericElement>: Reducer {
    static var initial: Int64 { 0 }
    @inline(__always) static func combine(_ a: inout Int64, _ x: T, index: Int) { a &+= x.int64Value }
    static func merge(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    static func finish(_ a: Int64) -> Int64 { a }
}

/// The extreme (max or min) of a range and its first position; NaN wins at its first
/// position. `Picker` decides whether the value or the position is the output.
struct ExtremumReducer<Direction: ExtremumDirection, Picker: ExtremumPicker>: Reducer {
    typealias T = Picker.Value
    static var initial: (value: T, index: Int) { (Direction.worst(T.self), -1) }
    @inline(__always)
    static func combine(_ a: inout (value: T, index: Int), _ x: T, index: Int) {
        if a.index < 0 || (!a.value.isNaNValue && (x.isNaNValue || Direction.better(x, a.value))) {
            a = (x, index)
        }
    }
    static func merge(_ a: (value: T, index: Int), _ b: (value: T, index: Int)) -> (value: T, index: Int) {
        var result = a
        if b.index >= 0 { combine(&result, b.value, index: b.index) }
        return result
    }
    static func finish(_ a: (value: T, index: Int)) -> Picker.Output { Picker.pick(value: a.value, index: a.index) }
}

/// What an `ExtremumReducer` outputs: the extreme value or its position.
protocol ExtremumPicker {
    associatedtype Value: NumericElement
    associatedtype Output: TensorElement
    static func pick(value: Value, index: Int) -> Output
}
/// Outputs the extreme value (max, min).
enum PickValue<Value: NumericElement>: ExtremumPicker {
    static func pick(value: Value, index: Int) -> Value { value }
}
/// Outputs the extreme's position as int64 (argmax, argmin).
enum PickIndex<Value: NumericElement>: ExtremumPicker {
    static func pick(value: Value, index: Int) -> Int64 { Int64(Swift.max(index, 0)) }
}

/// Which extreme a reducer looks for.
protocol ExtremumDirection {
    static func better<T: NumericElement>(_ a: T, _ b: T) -> Bool
    static func worst<T: NumericElement>(_: T.Type) -> T
}
enum Largest: ExtremumDirection {
    @inline(__always) static func better<T: NumericElement>(_ a: T, _ b: T) -> Bool { a > b }
    static func worst<T: NumericElement>(_: T.Type) -> T { T.lowest }
}
enum Smallest: ExtremumDirection {
    @inline(__always) static func better<T: NumericElement>(_ a: T, _ b: T) -> Bool { a < b }
    static func worst<T: NumericElement>(_: T.Type) -> T { T.highest }
}
