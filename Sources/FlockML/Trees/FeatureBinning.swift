import FlockData
import FlockTensor

/// Each feature's values cut into at most `maxBins` bins at quantiles of a sample, the way
/// LightGBM and XGBoost's "hist" method see the data: trees then split on bin numbers (one
/// byte a value) instead of sorted floats. A feature with few distinct values gets one bin
/// per value. Missing values (NaN, nulls) have a bin of their own after the value bins, so
/// a split can send them either way.
struct FeatureBinning: Codable, Equatable {
    /// Per feature, the upper bound of each value bin, ascending; the last is +∞. A value
    /// v falls in the first bin whose bound is at least v.
    let upperBounds: [[Double]]

    /// Travels as the finite cuts (JSON has no +∞): per feature, its bounds but the last.
    private enum CodingKeys: String, CodingKey { case cuts }

    init(from decoder: Decoder) throws {
        let cuts = try decoder.container(keyedBy: CodingKeys.self).decode([[Double]].self, forKey: .cuts)
        for (f, feature) in cuts.enumerated() {
            guard feature.count < Self.maxBins, feature.allSatisfy(\.isFinite),
                zip(feature, feature.dropFirst()).allSatisfy({ $0 < $1 })
            else {
                throw MLError.invalidData(
                    "feature \(f)'s bin cuts are not at most \(Self.maxBins - 1) ascending finite numbers")
            }
        }
        upperBounds = cuts.map { $0 + [.infinity] }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(upperBounds.map { $0.dropLast() }, forKey: .cuts)
    }

    /// The most value bins a feature may have (its missing bin is one more, still a byte).
    static let maxBins = 255

    /// Bins for `columns` (one array per feature, NaN where missing), from the rows that
    /// `sampleFraction` keeps (`RowSample`, all rows at 1).
    init(columns: [[Double]], maxBins: Int, sampleRows: Int = Self.sampleRows, seed: UInt64) {
        let rows = columns.first?.count ?? 0
        let fraction = Self.sampleFraction(rows: rows, sampleRows: sampleRows)
        let sample = fraction < 1 ? RowSample.rows(0..<rows, rate: fraction, seed: seed, for: .binning) : nil
        var values = [[Double]](repeating: [], count: columns.count)
        values.withUnsafeMutableBufferPointer { values in
            ThreadPool.shared.parallelFor(chunks: columns.count) { f in
                values[f] = sample.map { $0.map { columns[f][$0] } } ?? columns[f]
            }
        }
        self.init(samples: values, maxBins: maxBins)
    }

    /// Bins from each feature's sampled values (in any order: the cuts sort them).
    init(samples: [[Double]], maxBins: Int) {
        var bounds = [[Double]](repeating: [], count: samples.count)
        bounds.withUnsafeMutableBufferPointer { bounds in
            ThreadPool.shared.parallelFor(chunks: samples.count) { f in
                bounds[f] = Self.upperBounds(of: samples[f], maxBins: maxBins)
            }
        }
        upperBounds = bounds
    }

    /// Rows the cuts are placed from, at most.
    static let sampleRows = 200_000

    /// The fraction of `rows` rows to sample so that about `sampleRows` are kept (1: all).
    static func sampleFraction(rows: Int, sampleRows: Int = Self.sampleRows) -> Double {
        rows > sampleRows ? Double(sampleRows) / Double(rows) : 1
    }

    /// Bounds that cut `values` (NaN ignored) into at most `maxBins` bins of about equal
    /// counts, each cut halfway between two neighbouring distinct values.
    static func upperBounds(of values: [Double], maxBins: Int) -> [Double] {
        let sorted = values.filter { !$0.isNaN }.sorted()
        var distinct: [(value: Double, count: Int)] = []
        for value in sorted {
            if let last = distinct.last, last.value == value {
                distinct[distinct.count - 1].count += 1
            } else {
                distinct.append((value, 1))
            }
        }
        var bounds: [Double] = []
        var seen = 0
        for index in distinct.indices.dropLast() where bounds.count < maxBins - 1 {
            seen += distinct[index].count
            // One bin per distinct value when they fit; else a cut once this bin holds its share.
            if distinct.count <= maxBins || seen * maxBins >= (bounds.count + 1) * sorted.count {
                bounds.append(between(distinct[index].value, distinct[index + 1].value))
            }
        }
        bounds.append(.infinity)
        return bounds
    }

    /// A cut between a < b that keeps a at or below it and b above it.
    private static func between(_ a: Double, _ b: Double) -> Double {
        let middle = a + (b - a) / 2
        return middle < b && middle.isFinite ? middle : a
    }

    /// The bin of `value` for feature `feature`.
    @inline(__always)
    func bin(_ value: Double, feature: Int) -> UInt8 {
        let bounds = upperBounds[feature]
        guard !value.isNaN else { return UInt8(bounds.count) }
        var (low, high) = (0, bounds.count - 1)
        while low < high {
            let middle = (low + high) / 2
            if value <= bounds[middle] { high = middle } else { low = middle + 1 }
        }
        return UInt8(low)
    }

    /// The rows' bins, row-major: `rows * features` bytes.
    func binned(_ columns: [[Double]]) -> BinnedRows {
        let rows = columns.first?.count ?? 0
        let width = columns.count
        let blockRows = 16_384
        let bins = [UInt8](unsafeUninitializedCapacity: rows * width) { out, initialized in
            ThreadPool.shared.parallelFor(chunks: (rows + blockRows - 1) / blockRows) { block in
                for f in 0..<width {
                    let column = columns[f]
                    for i in block * blockRows..<Swift.min(rows, (block + 1) * blockRows) {
                        out[f * rows + i] = bin(column[i], feature: f)
                    }
                }
            }
            initialized = rows * width
        }
        return BinnedRows(rows: rows, bins: bins, valueBins: upperBounds.map(\.count))
    }
}

/// Where each feature's bins lie in a histogram: feature f has `valueBins[f]` value bins
/// and then its missing bin, numbered `valueBins[f]`; a histogram lays the features' bins
/// end to end, feature f's from `offsets[f]`.
struct HistogramLayout {
    let valueBins: [Int]
    /// Where each feature's bins start in a histogram.
    let offsets: [Int32]
    /// Bins in a histogram (every feature's value bins and missing bin).
    let histogramSize: Int

    var features: Int { valueBins.count }

    init(valueBins: [Int]) {
        var offsets: [Int32] = []
        var next = 0
        for count in valueBins {
            offsets.append(Int32(next))
            next += count + 1
        }
        (self.valueBins, self.offsets, histogramSize) = (valueBins, offsets, next)
    }

    /// Feature `feature`'s bins in a histogram, its missing bin last.
    func bins(of feature: Int) -> Range<Int> {
        Int(offsets[feature])..<Int(offsets[feature]) + valueBins[feature] + 1
    }
}

extension FeatureBinning {
    /// The histogram layout of rows binned this way.
    var layout: HistogramLayout { HistogramLayout(valueBins: upperBounds.map(\.count)) }
}

/// Binned rows, column-major: each feature's bins in one compact column, so a histogram
/// of a leaf reads, feature by feature, that feature's bins of the leaf's rows (in
/// ascending row order) into a histogram small enough for the first-level cache, and a
/// split reads one column.
struct BinnedRows {
    let rows: Int
    /// `features * rows`: feature f's bin of row i at f * rows + i.
    let bins: [UInt8]
    let layout: HistogramLayout

    var features: Int { layout.features }
    var valueBins: [Int] { layout.valueBins }

    init(rows: Int, bins: [UInt8], valueBins: [Int]) {
        (self.rows, self.bins, layout) = (rows, bins, HistogramLayout(valueBins: valueBins))
    }
}
