import Distributed
import FlockData
import FlockRuntime
import Foundation

/// One worker's share of a boosting fit on a cluster: an actor holding a block-aligned
/// shard's binned rows, labels and scores (`BoostingRows`) for the whole fit, so that each
/// split costs the driver one call per shard and a histogram back, not a reload. Its rows
/// arrive from a task (`BoostingShardLoadTask`) that reads the shard where the partitions
/// are; a shard whose worker died is made again by the runtime, reloaded, and catches up by
/// replaying the fit's trees (`ClusterBoosting`).
distributed actor BoostingShard: ClusterActor {
    /// The rows as they arrive, before `start`.
    private var firstRow = 0
    private var binning = FeatureBinning(samples: [], maxBins: 2)
    private var columns: [[UInt8]] = []
    private var labels: [Double] = []
    private var loss = BoostingLoss.squared
    private var subsamplingRate = 1.0
    private var seed: UInt64 = 0
    private var rows: BoostingRows?
    /// Where the rows write a histogram before it is encoded.
    private var histogram: [SIMD4<Int64>] = []

    init(actorSystem: FlockActorSystem) { self.actorSystem = actorSystem }

    /// Starts receiving a shard of `count` rows from row `firstRow`, to be binned by `binning`.
    distributed func begin(
        firstRow: Int, count: Int, binning: FeatureBinning, loss: BoostingLoss, subsamplingRate: Double, seed: UInt64
    ) {
        (self.firstRow, self.binning, self.loss, self.subsamplingRate, self.seed) = (
            firstRow, binning, loss, subsamplingRate, seed
        )
        columns = [[UInt8]](repeating: [], count: binning.upperBounds.count)
        labels = [Double](repeating: .nan, count: count)
        rows = nil
    }

    /// Feature `feature`'s bins of every row.
    /// - Throws: `MLError.invalidData` for a feature or a length that does not fit the shard.
    distributed func column(_ feature: Int, bins: [UInt8]) throws {
        guard columns.indices.contains(feature), bins.count == labels.count else {
            throw MLError.invalidData("a boosting shard got \(bins.count) bins of feature \(feature)")
        }
        columns[feature] = bins
    }

    /// Labels of rows `offset...`.
    /// - Throws: `MLError.invalidData` for rows outside the shard.
    distributed func labels(from offset: Int, values: [Double]) throws {
        guard offset >= 0, offset + values.count <= labels.count else {
            throw MLError.invalidData("a boosting shard got \(values.count) labels at row \(offset)")
        }
        labels.replaceSubrange(offset..<offset + values.count, with: values)
    }

    /// The rows start boosting from `initialScore` with `trees` already added.
    /// - Throws: `MLError.invalidData` when a column has not arrived.
    distributed func start(initialScore: Double, trees: [RegressionTree]) throws {
        guard columns.allSatisfy({ $0.count == labels.count }) else {
            throw MLError.invalidData("a boosting shard started before all its columns arrived")
        }
        let bins = columns.flatMap { $0 }
        columns = []
        let binned = BinnedRows(rows: labels.count, bins: bins, valueBins: binning.upperBounds.map(\.count))
        let rows = BoostingRows(
            binned: binned, binning: binning, labels: labels, firstRow: firstRow, loss: loss,
            subsamplingRate: subsamplingRate, seed: seed, initialScore: initialScore)
        rows.replay(trees)
        self.rows = rows
        histogram = [SIMD4<Int64>](repeating: .zero, count: binned.layout.histogramSize)
    }

    /// `BoostingRows.derivatives`: the largest |gradient| and |hessian| of round `round`.
    /// - Throws: `MLError.invalidData` before `start` or at another round.
    distributed func derivatives(round: Int, lastTree: RegressionTree?) throws -> [Double] {
        let largest = try started().derivatives(round: round, lastTree: lastTree)
        return [largest[0], largest[1]]
    }

    /// `BoostingRows.root`: the root's histogram of round `round` (`BoostingHistogram`).
    distributed func root(round: Int, scales: GradientScales) throws -> [UInt8] {
        let rows = try started()
        return histogram.withUnsafeMutableBufferPointer { buffer in
            rows.root(round: round, scales: scales, histogram: buffer.baseAddress!)
            return BoostingHistogram.encode(UnsafeBufferPointer(buffer))
        }
    }

    /// `BoostingRows.split`: the histogram of the child `order` names.
    distributed func split(_ order: SplitOrder) throws -> [UInt8] {
        let rows = try started()
        guard order.leaf >= 0, order.newLeaf > order.leaf, order.feature >= 0,
            order.feature < rows.binned.features, order.bin >= 0, order.bin < 256
        else { throw MLError.invalidData("a boosting shard got a split it cannot make: \(order)") }
        return histogram.withUnsafeMutableBufferPointer { buffer in
            rows.split(order, histogram: buffer.baseAddress!)
            return BoostingHistogram.encode(UnsafeBufferPointer(buffer))
        }
    }

    private func started() throws -> BoostingRows {
        guard let rows else { throw MLError.invalidData("a boosting shard was asked to boost before it started") }
        return rows
    }
}

/// A histogram on the wire, compactly: per bin, its row count, then (for a bin with rows)
/// its gradient and hessian sums, each a zigzag LEB128 varint (an empty bin is one byte;
/// a typical sum five): about half of 24 bytes a bin, once per split per worker.
enum BoostingHistogram {
    static func encode(_ histogram: UnsafeBufferPointer<SIMD4<Int64>>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 * histogram.count)
        for entry in histogram {
            append(entry[2], to: &bytes)
            if entry[2] != 0 {
                append(entry[0], to: &bytes)
                append(entry[1], to: &bytes)
            }
        }
        return bytes
    }

    private static func append(_ value: Int64, to bytes: inout [UInt8]) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }

    /// Adds the histogram `bytes` encodes to `histogram` (of `bins` bins).
    /// - Throws: `MLError.invalidData` when `bytes` is not a histogram of that many bins.
    static func add(_ bytes: [UInt8], to histogram: UnsafeMutablePointer<SIMD4<Int64>>, bins: Int) throws {
        try bytes.withUnsafeBufferPointer { bytes in
            var position = 0
            for b in 0..<bins {
                let count = try number(bytes, &position)
                if count != 0 {
                    histogram[b] &+= SIMD4(try number(bytes, &position), try number(bytes, &position), count, 0)
                }
            }
            guard position == bytes.count else { throw malformed("\(bytes.count - position) bytes are left over") }
        }
    }

    /// The varint at `position`, which moves past it.
    @inline(__always)
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) throws -> Int64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw malformed("it ends inside a number") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) &<< shift
            if byte < 0x80 { return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
            shift += 7
            guard shift < 70 else { throw malformed("a number runs past ten bytes") }
        }
    }

    private static func malformed(_ reason: String) -> MLError {
        MLError.invalidData("a worker's histogram is malformed: \(reason)")
    }
}

extension RowShard {
    /// The shard's feature columns (NaN where missing) and labels, read as an in-process
    /// boosting fit with `loss` reads them.
    /// - Throws: `MLError.invalidData` for missing or non-numeric columns or bad labels.
    func boostingInputs(loss: BoostingLoss, estimator: String) async throws -> (columns: [[Double]], labels: [Double]) {
        var columns = [[Double]](repeating: [], count: featureColumns.count)
        var labels: [Double] = []
        for (batch, row) in try await batches() {
            for (f, values) in try FeatureColumns.read(batch, featureColumns).enumerated() { columns[f] += values }
            if let labelColumn {
                let matrix = try FeatureMatrix(batch, columns: [labelColumn], firstRow: row)
                labels += try loss.labels(matrix, column: labelColumn, estimator: estimator)
            }
        }
        return (columns, labels)
    }
}

/// Draws a shard's share of the binning sample (`RowSample`), in a worker: each feature's
/// values at the drawn rows, feature after feature.
struct BoostingSampleTask: RemoteTask {
    let shard: RowShard
    let fraction: Double
    let seed: UInt64
    let loss: BoostingLoss
    let estimator: String

    func run() async throws -> [Double] {
        let (columns, labels) = try await shard.boostingInputs(loss: loss, estimator: estimator)
        let rows = labels.count
        let drawn =
            fraction < 1
            ? RowSample.rows(shard.firstRow..<shard.firstRow + rows, rate: fraction, seed: seed, for: .binning)
                .map { $0 - shard.firstRow } : Array(0..<rows)
        return columns.flatMap { column in drawn.map { column[$0] } }
    }
}

/// Reads a shard's rows in a worker, bins them and hands them to their `BoostingShard`
/// (a column per call, so no message outgrows a frame); returns the sums of its blocks'
/// labels for the initial score.
struct BoostingShardLoadTask: RemoteTask {
    let shard: RowShard
    let binning: FeatureBinning
    let loss: BoostingLoss
    let parameters: GBTParameters
    let estimator: String
    let host: BoostingShard

    func run() async throws -> [Double] {
        let (columns, labels) = try await shard.boostingInputs(loss: loss, estimator: estimator)
        let binned = binning.binned(columns)
        try await host.begin(
            firstRow: shard.firstRow, count: labels.count, binning: binning, loss: loss,
            subsamplingRate: parameters.subsamplingRate, seed: parameters.seed)
        for f in 0..<binned.features {
            try await host.column(f, bins: Array(binned.bins[f * binned.rows..<(f + 1) * binned.rows]))
        }
        let chunk = 1 << 20
        for offset in stride(from: 0, to: labels.count, by: chunk) {
            try await host.labels(from: offset, values: Array(labels[offset..<Swift.min(labels.count, offset + chunk)]))
        }
        return BoostingRows.labelSums(labels)
    }
}
