import FlockData
import Foundation

/// Random tables for checking operators against row-at-a-time references: keys that are
/// categorical, small integers or wide integers (so every key coding path runs), skewed
/// key frequencies, nulls everywhere, and many small morsels.
struct ReferenceTable {
    let batch: RecordBatch
    var rows: [[Value?]] { (0..<batch.rowCount).map { i in batch.columns.map { $0[i] } } }

    init(rows count: Int, seed: UInt64) {
        var random = RandomStream(seed: seed)
        func maybe<T>(_ value: T, nulls: Int = 10) -> T? { random.next() % UInt64(nulls) == 0 ? nil : value }
        // Skewed: half the rows share key 0.
        func skewed(_ range: Int) -> Int { random.next() % 2 == 0 ? 0 : Int(random.next() % UInt64(range)) }
        let names = (0..<count).map { _ in maybe("k\(skewed(7))") }
        let small = (0..<count).map { _ in maybe(Int64(skewed(5)) - 2) }
        let wide = (0..<count).map { _ in maybe(Int64(bitPattern: random.next() % 4 == 0 ? 42 : random.next())) }
        let values = (0..<count).map { _ in maybe(Double(Int(random.next() % 2000)) / 8 - 100) }
        let counts = (0..<count).map { _ in Int64(random.next() % 100) }
        let texts = (0..<count).map { _ in maybe("t\(random.next() % 5)") }
        // Invariant: the columns are built with equal lengths and distinct names.
        batch = try! RecordBatch([
            "name": Column(categorical: names), "small": Column(small), "wide": Column(wide), "value": Column(values),
            "count": Column(counts), "text": Column(texts),
        ])
    }
}

/// Row-at-a-time references.
enum Reference {
    /// A batch's rows as text, sorted: its answer as a multiset, for steps whose row order
    /// may differ (spilled partitions, hash tables).
    static func sortedRows(_ batch: RecordBatch) -> [String] {
        (0..<batch.rowCount).map { i in batch.columns.map { "\($0[i].map(String.init(describing:)) ?? "null")" } }
            .map { $0.joined(separator: "|") }.sorted()
    }

    static func number(_ value: Value?) -> Double? {
        switch value {
        case .int(let x)?: Double(x)
        case .double(let x)?: x
        default: nil
        }
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func std(_ values: [Double]) -> Double? {
        guard values.count > 1 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }

    static func close(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-9) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= tolerance * max(1, abs(a), abs(b))
    }
}

/// Damaged copies of good bytes, for decoders that must refuse them: every fourth one cut
/// short at a random length, the others with one to three random bytes overwritten.
/// Seeded, so a failure repeats.
func corruptedCopies(of good: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
    var random = RandomStream(seed: seed)
    return (0..<count).map { trial in
        var bad = good
        if trial % 4 == 0 {
            bad = Array(good.prefix(Int(random.next() % UInt64(good.count))))
        } else {
            for _ in 0..<(1 + trial % 3) {
                bad[Int(random.next() % UInt64(bad.count))] = UInt8(truncatingIfNeeded: random.next())
            }
        }
        return bad
    }
}
