import Foundation
import Testing

@testable import FlockTensor

/// Float64 reference helpers: plain loops over row-major arrays, written for clarity.
enum Reference {
    static func multiIndex(_ linear: Int, _ shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count)
        var rest = linear
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    static func linear(_ index: [Int], _ shape: [Int]) -> Int {
        zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// The broadcast shape, computed independently of the library.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            if x != y && x != 1 && y != 1 { return nil }
            out.append(x == 1 ? y : x)
        }
        return out
    }

    /// Element of a row-major array of `shape` read at an index of the broadcast shape.
    static func broadcastRead(_ values: [Double], _ shape: [Int], at index: [Int]) -> Double {
        let shift = index.count - shape.count
        let local = shape.indices.map { shape[$0] == 1 ? 0 : index[$0 + shift] }
        return values[linear(local, shape)]
    }

    static func binary(_ a: Tensor, _ b: Tensor, _ f: (Double, Double) -> Double) -> (shape: [Int], values: [Double])? {
        guard let shape = broadcast(a.shape, b.shape) else { return nil }
        let (va, vb) = (a.doubleScalars(), b.doubleScalars())
        let count = shape.reduce(1, *)
        let values = (0..<count).map { i -> Double in
            let index = multiIndex(i, shape)
            return f(broadcastRead(va, a.shape, at: index), broadcastRead(vb, b.shape, at: index))
        }
        return (shape, values)
    }
}

/// Asserts elementwise closeness: |x - y| <= atol + rtol * |y| (NaN matches NaN).
func expectClose(
    _ actual: [Double], _ expected: [Double], rtol: Double = 1e-5, atol: Double = 1e-6,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, comment, sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    for (index, (x, y)) in zip(actual, expected).enumerated() {
        if x.isNaN && y.isNaN { continue }
        if x == y { continue }
        let ok = Swift.abs(x - y) <= atol + rtol * Swift.abs(y)
        if !ok {
            Issue.record(
                "element \(index): \(x) vs expected \(y) \(comment.map { "(\($0))" } ?? "")",
                sourceLocation: sourceLocation)
            return
        }
    }
}

/// Deterministic random tensors and shapes for the tests.
struct TestData {
    var generator: RandomGenerator

    init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

    mutating func shape(maxRank: Int = 4, maxSize: Int = 5, allowEmpty: Bool = false) -> [Int] {
        let rank = Int(generator.nextInt(below: UInt64(maxRank + 1)))
        return (0..<rank).map { _ in Int(generator.nextInt(below: UInt64(maxSize))) + (allowEmpty ? 0 : 1) }
    }

    mutating func tensor(_ shape: [Int], dtype: DType = .float32, low: Double = -3, high: Double = 3) -> Tensor {
        // Invariant: test shapes are valid and the range is ordered.
        let values = try! Tensor.randomUniform(shape, low: low, high: high, dtype: .float64, generator: &generator)
        return values.casted(to: dtype)
    }

    /// The same values as a non-contiguous view: stored transposed (or strided) in a
    /// larger buffer.
    mutating func strided(_ x: Tensor) -> Tensor {
        guard x.rank >= 1 else { return x }
        // Build [shape..., 2] and take every element at [..., 0]: stride 2 in every axis'
        // innermost step, so the view is not contiguous.
        let wide = try! Tensor.stack([x, tensor(x.shape, dtype: x.dtype)], axis: -1)
        let view = try! wide.selected(axis: -1, index: 0)
        return view
    }
}
