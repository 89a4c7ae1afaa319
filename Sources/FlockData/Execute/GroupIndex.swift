import FlockTensor
import Synchronization

/// Dense group ids for the rows of many morsels by the values of key columns: the core of
/// aggregation, distinct, windows and joins.
///
/// Each key column is first coded as UInt64s with a known bound (categorical codes, bools,
/// integers minus their minimum, with 0 for null; other values get dense codes of their
/// own first). Codes of several columns multiply into one while the product of the bounds
/// fits in 64 bits, so grouping by six columns is usually grouping by one integer. The
/// integer becomes a dense id through a direct table when the bound is small, else through
/// hash tables of radix partitions built in parallel (no locks, no merge).
struct GroupIndex {
    /// How many groups.
    let groupCount: Int
    /// The group of every row (global row order).
    let ids: [Int32]
    /// The first row of every group, by id.
    let firstRows: [Int]
    /// Rows per group, counted once for all the aggregates that need them.
    private(set) var sizes = GroupSizes()

    /// Groups given as they are.
    init(groupCount: Int, ids: [Int32], firstRows: [Int]) {
        self.groupCount = groupCount
        self.ids = ids
        self.firstRows = firstRows
    }

    /// Groups of the rows whose key values are `keys[k][m]` (key k, morsel m).
    init(keys: [[Column]], morsels: Morsels) {
        let rowCount = morsels.rowCount
        guard !keys.isEmpty else {
            (groupCount, ids, firstRows) =
                rowCount == 0 ? (0, [], []) : (1, [Int32](repeating: 0, count: rowCount), [0])
            return
        }
        if let small = SmallGroups.index(keys: keys, morsels: morsels) {
            self = small
            return
        }
        // All keys bounded: one code array, each key folded in; else key by key.
        let packed = BoundedKey.packedCodes(keys, morsels)
        var current = packed
        for column in keys where packed == nil {
            for part in KeyCodes.coding(column, morsels: morsels) {
                guard var combined = current else {
                    current = part.bound == nil ? part.densified(morsels) : part
                    continue
                }
                var next = part.bound == nil ? part.densified(morsels) : part
                if !combined.canCombine(with: next) { combined = combined.densified(morsels) }
                if !combined.canCombine(with: next) { next = next.densified(morsels) }
                combined.combine(with: next)
                current = combined
            }
        }
        // Invariant: there was at least one key, so `current` is set.
        (ids, firstRows) = current!.groupIds(morsels)
        groupCount = firstRows.count
    }
}

/// A group index's rows per group, computed by the first aggregate that asks (counts,
/// means) and shared with the rest.
final class GroupSizes: Sendable {
    private let counts = Mutex<[Int64]?>(nil)

    /// The counts, made with `count` the first time.
    func get(_ count: () -> [Int64]) -> [Int64] {
        counts.withLock { cached in
            if let cached { return cached }
            let made = count()
            cached = made
            return made
        }
    }
}

/// One UInt64 code per row with an exclusive upper bound (nil: any 64-bit value).
struct KeyCodes {
    var codes: [UInt64]
    var bound: UInt64?
    /// After `densified`: the number of distinct codes and each one's first row.
    var groupCount = 0
    var firstRows: [Int] = []

    /// Whether `self * other.bound + other` fits in 64 bits.
    func canCombine(with other: KeyCodes) -> Bool {
        guard let bound, let otherBound = other.bound else { return false }
        return !bound.multipliedReportingOverflow(by: otherBound).overflow
    }

    /// Codes of the pair (self, other), bounded by the product of the bounds.
    mutating func combine(with other: KeyCodes) {
        // Invariant: the caller checked canCombine, so both bounds exist and multiply.
        let factor = other.bound!
        codes.withUnsafeMutableBufferPointer { mine in
            other.codes.withUnsafeBufferPointer { theirs in
                for i in 0..<mine.count { mine[i] = mine[i] &* factor &+ theirs[i] }
            }
        }
        bound = bound! * factor
    }

    /// The same grouping as dense codes 0..<groupCount, numbered in order of first
    /// appearance (direct table) or by partition then appearance (hash tables).
    func densified(_ morsels: Morsels) -> KeyCodes {
        let (ids, firstRows) = numbering(morsels, as: UInt64.self)
        var result = KeyCodes(codes: ids, bound: UInt64(firstRows.count))
        result.groupCount = firstRows.count
        result.firstRows = firstRows
        return result
    }

    /// The dense numbering (as `densified`) as an Int32 group id per row, and each
    /// group's first row.
    func groupIds(_ morsels: Morsels) -> (ids: [Int32], firstRows: [Int]) { numbering(morsels, as: Int32.self) }

    /// Every row's dense id as an `Id` (written straight in the width wanted), and each
    /// id's first row.
    private func numbering<Id: FixedWidthInteger>(_ morsels: Morsels, as _: Id.Type) -> (ids: [Id], firstRows: [Int]) {
        guard let bound = directBound else { return HashedGroups.numbering(codes, morsels: morsels, as: Id.self) }
        // One thread (a cluster worker's): the one pass in order beats two passes and a sort.
        let parallel = ThreadPool.shared.threadCount > 1 && bound * Self.slices(codes.count) <= 1 << 23
        return parallel ? numberedInParallel(bound: bound, as: Id.self) : numberedInOrder(bound: bound, as: Id.self)
    }

    /// The bound when it is small enough for a direct table (else codes are hashed).
    private var directBound: Int? {
        guard let bound, bound <= UInt64(Swift.max(1 << 16, Swift.min(codes.count, 1 << 26))) else { return nil }
        return Int(bound)
    }

    /// Dense ids through a direct table of `bound` entries, numbered as rows come.
    private func numberedInOrder<Id: FixedWidthInteger>(bound: Int, as _: Id.Type) -> (ids: [Id], firstRows: [Int]) {
        var table = [Int32](repeating: -1, count: bound)
        var firstRows: [Int] = []
        let ids = [Id](unsafeUninitializedCapacity: codes.count) { out, initialized in
            table.withUnsafeMutableBufferPointer { table in
                for i in 0..<codes.count {
                    let code = Int(codes[i])
                    if table[code] < 0 {
                        table[code] = Int32(firstRows.count)
                        firstRows.append(i)
                    }
                    out[i] = Id(truncatingIfNeeded: table[code])
                }
            }
            initialized = codes.count
        }
        return (ids, firstRows)
    }

    /// Slices of rows for the parallel passes: a few per thread.
    private static func slices(_ count: Int) -> Int {
        Swift.max(1, Swift.min(2 * ThreadPool.shared.threadCount, count / 65_536))
    }

    /// The same numbering as `numberedInOrder`, in two parallel passes over slices of
    /// rows: each finds the first row of every code it holds, the codes are numbered by
    /// their first row overall, then each slice maps its codes through the table.
    private func numberedInParallel<Id: FixedWidthInteger>(bound: Int, as _: Id.Type) -> (
        ids: [Id], firstRows: [Int]
    ) {
        let count = codes.count
        let slices = Self.slices(count)
        func slice(_ s: Int) -> Range<Int> { count * s / slices..<count * (s + 1) / slices }
        let numbered = codes.withUnsafeBufferPointer { codes in
            Self.numberedByFirstRow(bound: bound, parts: slices) { s, firsts in
                let range = slice(s)
                Self.recordFirstRows(UnsafeBufferPointer(rebasing: codes[range]), start: range.lowerBound, into: firsts)
            }
        }
        var table = [Id](repeating: 0, count: bound)
        for (id, entry) in numbered.enumerated() { table[entry.code] = Id(truncatingIfNeeded: id) }
        let ids = [Id](unsafeUninitializedCapacity: count) { out, initialized in
            let all = out
            codes.withUnsafeBufferPointer { codes in
                Parallel.forEach(slices) { s in
                    for i in slice(s) { all[i] = table[Int(codes[i])] }
                }
            }
            initialized = count
        }
        return (ids, numbered.map(\.firstRow))
    }

    /// The codes below `bound` that rows hold, numbered by the first row holding each:
    /// `record(part, firsts)` writes, for one part of the rows (parts in row order, run in
    /// parallel), the first row of every code it holds into `firsts` (`bound` entries, -1
    /// where none). The result is each id's code and first row.
    static func numberedByFirstRow(
        bound: Int, parts: Int, _ record: (_ part: Int, _ firsts: UnsafeMutableBufferPointer<Int32>) -> Void
    ) -> [(code: Int, firstRow: Int)] {
        var firsts = [Int32](repeating: -1, count: parts * bound)
        firsts.withUnsafeMutableBufferPointer { firsts in
            Parallel.forEach(parts) { part in
                record(part, UnsafeMutableBufferPointer(rebasing: firsts[part * bound..<(part + 1) * bound]))
            }
        }
        var firstRow = [Int32](repeating: -1, count: bound)
        for part in 0..<parts {
            for code in 0..<bound where firstRow[code] < 0 { firstRow[code] = firsts[part * bound + code] }
        }
        // First rows are distinct, so (first row, code) packed in one integer sorts with
        // the plain integer sort: a comparison closure over 100K codes cost more than the
        // aggregation it orders (db-benchmark q3 on the cluster).
        var keyed: [UInt64] = []
        for code in 0..<bound where firstRow[code] >= 0 { keyed.append(UInt64(firstRow[code]) << 32 | UInt64(code)) }
        keyed.sort()
        return keyed.map { (Int($0 & 0xFFFF_FFFF), Int($0 >> 32)) }
    }

    /// Records in `firsts` the first row of every code in `codes`, whose first row is `start`.
    static func recordFirstRows<Code: BinaryInteger>(
        _ codes: UnsafeBufferPointer<Code>, start: Int, into firsts: UnsafeMutableBufferPointer<Int32>
    ) {
        for (i, code) in codes.enumerated() where firsts[Int(code)] < 0 {
            firsts[Int(code)] = Int32(truncatingIfNeeded: start + i)
        }
    }
}
