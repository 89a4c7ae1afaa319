/// The db-benchmark join tables, drawn the way its generator draws them: key spaces of
/// N/1e6 (small), N/1e3 (medium) and N (big) values, each shuffled out of 1.1 times as
/// many integers, of which the left table `x` sees 90% shared plus 10% of its own and the
/// right tables 90% shared plus 10% of theirs (so some rows match nothing on each side).
/// x: id1, id2 drawn from the small and medium left keys, id3 a permutation of the big
/// left keys, id4, id5 `id<n>` text of id1, id2 (categorical), id6 of id3 (utf8), v1
/// uniform in [0, 100] to 6 decimals. small: id1, id4, v2 (N/1e6 rows); medium: id1, id2,
/// id4, id5, v2 (N/1e3 rows); big: id1...id6, v2 (N rows). Seeded: the same arguments
/// give the same tables on any machine.
public enum JoinData {
    /// The four tables of a join benchmark over `rows` (N) left rows.
    public struct Tables: Sendable {
        /// The left table, N rows.
        public let x: RecordBatch
        /// N/1e6 rows keyed by id1.
        public let small: RecordBatch
        /// N/1e3 rows keyed by id2.
        public let medium: RecordBatch
        /// N rows keyed by id3.
        public let big: RecordBatch
    }

    /// The tables for `rows` left rows (at least 1e6 keeps the small table non-empty).
    public static func generate(rows: Int, seed: UInt64 = 108) -> Tables {
        var random = RandomStream(seed: seed)
        let n = Swift.max(1, rows)
        let keys = [Swift.max(1, n / 1_000_000), Swift.max(1, n / 1_000), n].map { split($0, &random) }
        func drawn(_ pool: [Int64], _ count: Int) -> [Int64] { (0..<count).map { _ in pool[random.below(pool.count)] } }
        func values(_ count: Int) -> Column {
            Column((0..<count).map { _ in (random.unit() * 100 * 1e6).rounded() / 1e6 } as [Double?])
        }
        func names(_ ids: [Int64], categorical: Bool) -> Column {
            let text = ids.map { "id\($0)" as String? }
            return categorical ? Column(categorical: text) : Column(text)
        }
        // Invariant: every table's columns have equal lengths and distinct names.
        let (id1, id2, id3) = (drawn(keys[0].left, n), drawn(keys[1].left, n), keys[2].left.shuffled(&random))
        let x = try! RecordBatch([
            "id1": Column(id1), "id2": Column(id2), "id3": Column(id3), "id4": names(id1, categorical: true),
            "id5": names(id2, categorical: true), "id6": names(id3, categorical: false), "v1": values(n),
        ])
        let smallIDs = keys[0].right
        let small = try! RecordBatch([
            "id1": Column(smallIDs), "id4": names(smallIDs, categorical: true), "v2": values(smallIDs.count),
        ])
        let mediumIDs = keys[1].right
        let mediumFirst = drawn(keys[0].right, mediumIDs.count)
        let medium = try! RecordBatch([
            "id1": Column(mediumFirst), "id2": Column(mediumIDs), "id4": names(mediumFirst, categorical: true),
            "id5": names(mediumIDs, categorical: true), "v2": values(mediumIDs.count),
        ])
        let bigIDs = keys[2].right
        let (bigFirst, bigSecond) = (drawn(keys[0].right, bigIDs.count), drawn(keys[1].right, bigIDs.count))
        let big = try! RecordBatch([
            "id1": Column(bigFirst), "id2": Column(bigSecond), "id3": Column(bigIDs),
            "id4": names(bigFirst, categorical: true), "id5": names(bigSecond, categorical: true),
            "id6": names(bigIDs, categorical: false), "v2": values(bigIDs.count),
        ])
        return Tables(x: x, small: small, medium: medium, big: big)
    }

    /// `count` keys for each side out of 1.1 * count shuffled integers: 90% shared, 10%
    /// of each side's own.
    private static func split(_ count: Int, _ random: inout RandomStream) -> (left: [Int64], right: [Int64]) {
        let all = (1...Swift.max(1, count + count / 10)).map(Int64.init).shuffled(&random)
        let shared = count - count / 10
        return (
            Array(all[0..<shared] + all[shared..<count]),
            Array(all[0..<shared] + all[count..<Swift.min(all.count, count + count / 10)])
        )
    }
}

extension Array {
    /// The elements in a random order drawn from `random` (Fisher-Yates).
    fileprivate func shuffled(_ random: inout RandomStream) -> [Element] {
        var result = self
        for i in stride(from: result.count - 1, to: 0, by: -1) { result.swapAt(i, random.below(i + 1)) }
        return result
    }
}
