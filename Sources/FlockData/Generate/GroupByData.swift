import Foundation

/// The db-benchmark group-by table (H2O.ai's, kept by DuckDB Labs), generated the way its
/// generator draws it, so Flock and peer engines answer the same queries over the same
/// rows: id1, id2 `id%03d` of K values; id3 `id%010d` of N/K; id4, id5 integers 1...K;
/// id6 integers 1...N/K; v1 1...5, v2 1...15, v3 uniform in [0, 100] rounded to 6
/// decimals. The ids are categorical (as the benchmark's Polars and pandas solutions make
/// them). Seeded and split into batches that are drawn in parallel, each from its own
/// stream, so the same arguments give the same rows on any machine.
public enum GroupByData {
    /// Raised whenever the rows for given arguments change, so that files written from an
    /// earlier version (the benchmark keeps them) are written again. 2: independent streams
    /// per batch.
    public static let version = 2

    /// The table of `rows` rows over `groups` (K) groups, in batches of `batchRows`.
    public static func generate(rows: Int, groups: Int, seed: UInt64 = 108, batchRows: Int = 1 << 18)
        -> [RecordBatch]
    {
        let k = Swift.max(1, groups)
        let large = Swift.max(1, rows / k)
        let small = Categories((1...k).map { String(format: "id%03d", $0) })
        let medium = Categories((1...large).map { String(format: "id%010d", $0) })
        let batchCount = Swift.max(1, (rows + batchRows - 1) / batchRows)
        let batches = try? Parallel.map(batchCount) { b -> RecordBatch in
            let count = Swift.min(batchRows, rows - b * batchRows)
            var random = RandomStream(seed: seed, stream: UInt64(b))
            func codes(_ bound: Int) -> [Int32] { (0..<count).map { _ in Int32(random.below(bound)) } }
            func integers(_ bound: Int) -> [Int64] { (0..<count).map { _ in Int64(random.below(bound)) + 1 } }
            func categorical(_ codes: [Int32], _ categories: Categories) -> Column {
                Column.fixed(Int32.self, type: .categorical, count: count, validity: nil, categories: categories) {
                    _ = $0.initialize(from: codes)
                }
            }
            let (id1, id2, id3) = (codes(k), codes(k), codes(large))
            let (id4, id5, id6) = (integers(k), integers(k), integers(large))
            let (v1, v2) = (integers(5), integers(15))
            let v3 = (0..<count).map { _ in (random.unit() * 100 * 1e6).rounded() / 1e6 }
            // Invariant: ten columns of `count` rows with distinct names.
            return try! RecordBatch([
                "id1": categorical(id1, small), "id2": categorical(id2, small), "id3": categorical(id3, medium),
                "id4": Column(id4), "id5": Column(id5), "id6": Column(id6), "v1": Column(v1), "v2": Column(v2),
                "v3": Column(v3),
            ])
        }
        return batches ?? []
    }
}
