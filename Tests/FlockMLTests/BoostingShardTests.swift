import FlockData
import FlockRuntime
import Foundation
import Testing

@testable import FlockML

/// The pieces that let boosting run on a cluster with the in-process trees: per-block row
/// samples, the binning and histograms on the wire.
@Suite("Boosting on shards")
struct BoostingShardTests {
    @Test("a row sample drawn shard by shard (whole blocks each) is the sample of all rows")
    func sampleByShards() {
        let rows = 5 * BlockReduction.blockRows + 123
        for purpose in [RowSample.Purpose.binning, .round(0), .round(7)] {
            let whole = RowSample.rows(0..<rows, rate: 0.3, seed: 9, for: purpose)
            let cut = 2 * BlockReduction.blockRows
            let pieces =
                RowSample.rows(0..<cut, rate: 0.3, seed: 9, for: purpose)
                + RowSample.rows(cut..<rows, rate: 0.3, seed: 9, for: purpose)
            #expect(pieces == whole)
            #expect(abs(Double(whole.count) / Double(rows) - 0.3) < 0.01)
        }
        #expect(
            RowSample.rows(0..<50_000, rate: 0.5, seed: 1, for: .round(0))
                != RowSample.rows(0..<50_000, rate: 0.5, seed: 1, for: .round(1)))
    }

    @Test("a binning travels as its finite cuts and comes back equal; bad cuts are a clear error")
    func binningCoding() throws {
        let binning = FeatureBinning(samples: [[1, 2, 3, .nan, 3], [0.5], [-1, 1]], maxBins: 255)
        #expect(binning.upperBounds.allSatisfy { $0.last == .infinity })
        let decoded = try JSONDecoder().decode(FeatureBinning.self, from: try JSONEncoder().encode(binning))
        #expect(decoded == binning)
        for bad in [#"{"cuts":[[2,1]]}"#, #"{"cuts":[[1,1]]}"#, #"{"cuts":"x"}"#] {
            #expect(throws: (any Error).self) { try JSONDecoder().decode(FeatureBinning.self, from: Data(bad.utf8)) }
        }
        do {
            _ = try JSONDecoder().decode(FeatureBinning.self, from: Data(#"{"cuts":[[0],[3,2]]}"#.utf8))
            Issue.record("descending cuts were accepted")
        } catch {
            #expect("\(error)".contains("feature 1's bin cuts"))
        }
    }

    @Test("histograms on the wire add up exactly; a histogram of the wrong size is a clear error")
    func histogramCoding() throws {
        let a: [SIMD4<Int64>] = [SIMD4(-5, 9, 2, 0), SIMD4(1 << 50, 1, 1, 0), .zero, SIMD4(.max, .min, 1, 0)]
        let b: [SIMD4<Int64>] = [SIMD4(5, 1, 1, 0), SIMD4(-(1 << 50), 2, 3, 0), SIMD4(-1, -1, 1, 0), .zero]
        var sum = [SIMD4<Int64>](repeating: SIMD4(9, 9, 9, 9), count: 4)
        try sum.withUnsafeMutableBufferPointer { sum in
            sum.baseAddress!.initialize(repeating: .zero, count: 4)
            for part in [a, b] {
                try BoostingHistogram.add(
                    part.withUnsafeBufferPointer(BoostingHistogram.encode), to: sum.baseAddress!, bins: 4)
            }
        }
        #expect(sum == zip(a, b).map { $0 &+ $1 })
        // An empty bin is one byte.
        #expect([SIMD4<Int64>](repeating: .zero, count: 5).withUnsafeBufferPointer(BoostingHistogram.encode).count == 5)
        // Left over, truncated, a count without its sums, a number past ten bytes.
        let bad: [[UInt8]] = [
            [0, 0, 0], [0], [2, 4], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0],
        ]
        var small = [SIMD4<Int64>](repeating: .zero, count: 2)
        for bytes in bad {
            let outcome = small.withUnsafeMutableBufferPointer { small in
                Result { try BoostingHistogram.add(bytes, to: small.baseAddress!, bins: 2) }
            }
            #expect(throws: MLError.self) { try outcome.get() }
        }
    }

    @Test("shards grouped one per worker hold the same rows in order, each within a block of its share")
    func groupedShards() throws {
        let objects = try (0..<7).map {
            try JSONDecoder().decode(ObjectRef<[UInt8]>.self, from: Data("\($0 + 1)".utf8))
        }
        let block = BlockReduction.blockRows
        let counts = [block + 5, 0, 3 * block, 17, 2 * block - 22, block, 900]
        let shards = RowShard.cut(objects, counts: counts, featureColumns: ["x"], labelColumn: "y")
        func rows(_ shards: [RowShard]) -> [String] {
            shards.flatMap { $0.pieces.flatMap { piece in piece.rows.map { "\(piece.object.id):\($0)" } } }
        }
        for groups in [1, 2, 3, shards.count, 50] {
            let grouped = RowShard.grouped(shards, into: groups)
            #expect(grouped.count == min(groups, shards.count))
            #expect(rows(grouped) == rows(shards))
            #expect(grouped.allSatisfy { $0.firstRow % block == 0 })
            #expect(grouped.first?.firstRow == 0)
        }
        func size(_ shard: RowShard) -> Int { shard.pieces.reduce(0) { $0 + $1.rows.count } }
        let total = shards.map(size).reduce(0, +)
        for groups in [2, 3] {
            let sizes = RowShard.grouped(shards, into: groups).map(size)
            #expect(sizes.allSatisfy { abs($0 - total / groups) <= block }, "\(sizes)")
        }
    }
}
