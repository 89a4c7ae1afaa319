/// Aggregates that need all of a group's values at once: median, quantiles and distinct
/// counts. Values are laid out group after group (a counting sort by group id, in row
/// order), then each group's slice is selected from or sorted on a thread of the pool.
enum GroupSelection {
    static func compute(_ function: AggregateFunction, _ values: [Column], _ index: GroupIndex, _ morsels: Morsels)
        -> Column
    {
        let groups = index.groupCount
        let counts = GroupAggregates.valueCounts(values, index, morsels)
        var starts = [Int](repeating: 0, count: groups + 1)
        for g in 0..<groups { starts[g + 1] = starts[g] + Int(counts[g]) }
        if case .countDistinct = function {
            let codes = KeyCodes.coding(values, morsels: morsels).last?.codes ?? []
            let laidOut = layOut(codes, starts, values, index, morsels)
            let distinct = GroupFold.buffer(groups, Int64(0)) { distinct in
                Parallel.forEach(Swift.min(groups, 64)) { chunk in
                    for g in groups * chunk / Swift.min(groups, 64)..<groups * (chunk + 1) / Swift.min(groups, 64) {
                        var slice = Array(laidOut[starts[g]..<starts[g + 1]])
                        slice.sort()
                        distinct[g] = Int64(zip(slice.indices, slice).filter { $0 == 0 || slice[$0 - 1] != $1 }.count)
                    }
                }
            }
            return Column.fixed(Int64.self, count: groups, validity: nil) { _ = $0.initialize(from: distinct) }
        }
        let q: Double
        if case .quantile(let fraction) = function { q = fraction } else { q = 0.5 }
        let doubles = values.map { column in column.withDoubles { Array($0) } }
        var laidOut = layOut(doubles.flatMap { $0 }, starts, values, index, morsels)
        let results = GroupFold.buffer(groups, 0.0) { results in
            laidOut.withUnsafeMutableBufferPointer { laidOut in
                let chunks = Swift.min(groups, 64)
                Parallel.forEach(chunks) { chunk in
                    for g in groups * chunk / chunks..<groups * (chunk + 1) / chunks where starts[g + 1] > starts[g] {
                        results[g] = quantile(
                            UnsafeMutableBufferPointer(rebasing: laidOut[starts[g]..<starts[g + 1]]), q)
                    }
                }
            }
        }
        return Column.fixed(Double.self, count: groups, validity: GroupAggregates.present(counts)) {
            _ = $0.initialize(from: results)
        }
    }

    /// The present values (`flat`, one per global row) laid out group after group.
    private static func layOut<T>(
        _ flat: [T], _ starts: [Int], _ values: [Column], _ index: GroupIndex, _ morsels: Morsels
    ) -> [T] {
        guard let filler = flat.first else { return [] }
        var cursor = starts
        var out = [T](repeating: filler, count: starts[starts.count - 1])
        for m in 0..<morsels.batches.count {
            let column = values[m]
            for (i, row) in morsels.range(m).enumerated() where !column.isNull(i) {
                let g = Int(index.ids[row])
                out[cursor[g]] = flat[row]
                cursor[g] += 1
            }
        }
        return out
    }

    /// The value at fraction `q` of `values`, linearly interpolated between the two
    /// nearest ranks (NumPy's default); reorders `values`.
    static func quantile(_ values: UnsafeMutableBufferPointer<Double>, _ q: Double) -> Double {
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down))
        select(values, lower)
        let low = values[lower]
        guard position > Double(lower) else { return low }
        // The next rank is the smallest value above `lower` once `lower` is in place.
        let high = values[(lower + 1)...].min() ?? low
        return low + (high - low) * (position - Double(lower))
    }

    /// Puts the k-th smallest value at index k, smaller ones before it (Hoare's selection).
    private static func select(_ values: UnsafeMutableBufferPointer<Double>, _ k: Int) {
        var (low, high) = (0, values.count - 1)
        while low < high {
            let pivot = values[(low + high) / 2]
            var (i, j) = (low, high)
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return }
        }
    }
}
