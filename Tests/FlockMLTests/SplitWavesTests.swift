import FlockData
import Foundation
import Testing

@testable import FlockML

/// Splits asked ahead of time (`SplitWaves`), driven here over rows in this process cut
/// into block-aligned shards, as `ClusterBoosting` drives workers: the same trees as the
/// in-process fit, whatever the wave width.
@Suite("Boosting splits asked ahead")
struct SplitWavesTests {
    @Test(
        "waves of 1, 3 and 8 splits over two shards, rows subsampled, give the in-process trees", arguments: [1, 3, 8])
    func sameTrees(width: Int) throws {
        var random = RandomStream(seed: 5)
        let rows = 40_000
        var columns = (0..<4).map { _ in (0..<rows).map { _ in random.normal() } }
        columns[3][20_000] = .nan
        let labels = (0..<rows).map { i in columns[0][i] + 0.5 * columns[1][i] * columns[2][i] + 0.3 * random.normal() }
        var p = GBTParameters()
        (p.maxIter, p.maxLeaves, p.featureSubsetRate, p.subsamplingRate) = (6, 15, 1.0, 0.8)
        let expected = GradientBoosting(loss: .squared, parameters: p)
            .fit(columns: columns, labels: labels, validation: nil, progress: nil)
        let binning = FeatureBinning(columns: columns, maxBins: p.maxBins, seed: p.seed)
        let initial = BoostingLoss.squared.initialScore(labelSums: BoostingRows.labelSums(labels), count: rows)
        let cut = 2 * BlockReduction.blockRows
        let shards = [0..<cut, cut..<rows].map { range in
            BoostingRows(
                binned: binning.binned(columns.map { Array($0[range]) }), binning: binning,
                labels: Array(labels[range]), firstRow: range.lowerBound, loss: .squared,
                subsamplingRate: p.subsamplingRate,
                seed: p.seed, initialScore: initial)
        }
        let rounds = BoostingRounds(
            loss: .squared, parameters: p, binning: binning, initialScore: initial, validation: nil, progress: nil)
        let bins = binning.layout.histogramSize
        let waves = SplitWaves(width: width, bins: bins)
        var scratch = [SIMD4<Int64>](repeating: .zero, count: bins)
        func answer(_ body: (BoostingRows, UnsafeMutablePointer<SIMD4<Int64>>) -> Void) -> [[UInt8]] {
            shards.map { shard in
                scratch.withUnsafeMutableBufferPointer { buffer in
                    body(shard, buffer.baseAddress!)
                    return BoostingHistogram.encode(UnsafeBufferPointer(buffer))
                }
            }
        }
        loop: while true {
            switch rounds.next() {
            case .derivatives(let round, let lastTree):
                let values = waves.regionValues(round: round, tree: lastTree)
                let largest = try shards.map {
                    try $0.derivatives(round: round, lastTree: lastTree, regionValues: lastTree == nil ? nil : values)
                }
                rounds.received(largest: largest.reduce(.zero) { pointwiseMax($0, $1) })
            case .root(let round, let scales, let histogram):
                waves.begin(round: round)
                histogram.initialize(repeating: .zero, count: bins)
                for part in answer({ $0.root(round: round, scales: scales, histogram: $1) }) {
                    try BoostingHistogram.add(part, to: histogram, bins: bins)
                }
                rounds.filled()
            case .split(let step):
                if !waves.isBuilt(step) {
                    let planned = waves.plan(step, growth: rounds.growth, maxLeaves: p.maxLeaves)
                    let parts = shards.map { shard in
                        var bytes: [UInt8] = []
                        for (_, order) in planned {
                            scratch.withUnsafeMutableBufferPointer { buffer in
                                shard.split(order, histogram: buffer.baseAddress!)
                                BoostingHistogram.encode(UnsafeBufferPointer(buffer), into: &bytes)
                            }
                        }
                        return bytes
                    }
                    try waves.received(parts, for: planned)
                }
                waves.fill(step)
                rounds.filled()
            case .done:
                break loop
            }
        }
        #expect(rounds.fit.trees == expected.trees)
        #expect(rounds.fit.initialScore == expected.initialScore)
    }
}
