import Foundation

extension MLFuzzing {
    /// Fuzz entry point for the decoders of what workers send a fit's driver: any bytes,
    /// read as float64s, decode as each statistic's list (`FlatList`) and merge in the fixed
    /// tree; as a boosting shard's histogram (`BoostingHistogram`) and as a binning sent to
    /// one (JSON); or fail with a clear `MLError`; never a crash.
    package static func statistics(_ bytes: [UInt8]) {
        let values = bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) }
        }
        func merge<Statistic: BlockStatistic>(_: Statistic.Type) {
            guard let list = try? FlatList.decode(Statistic.Partial.self, joining: [values], shape: nil) else { return }
            _ = BlockReduction.combine(list, Statistic.merged)
        }
        merge(MomentsStatistic.self)
        merge(ClusterAssignment.self)
        merge(SoftmaxGradient.self)
        merge(ClassSummary.self)
        merge(ClassConditionalSums.self)
        merge(CandidatePass.self)
        merge(MixtureStep.self)
        merge(ColumnRanges.self)
        var histogram = [SIMD4<Int64>](repeating: .zero, count: 4)
        histogram.withUnsafeMutableBufferPointer { _ = try? BoostingHistogram.add(bytes, to: $0.baseAddress!, bins: 4) }
        _ = try? JSONDecoder().decode(FeatureBinning.self, from: Data(bytes))
    }

    /// Every statistic's blocks of a small table, as a worker sends them.
    static var statisticsSeeds: [[UInt8]] {
        let rows = TrainingRows(
            features: FeatureMatrix(rows: 4, width: 2, values: [1, 2, 3, 4, 5, 6, 7, 8]), labels: [0, 1, 1, 2],
            firstRow: 0)
        func seed<Statistic: BlockStatistic>(_ statistic: Statistic) -> [UInt8] {
            let values = FlatList.encode([statistic.block(rows, 0..<2), statistic.block(rows, 2..<4)])
            return values.withUnsafeBytes { Array($0) }
        }
        let centers: [Double] = [1, 2, 5, 6]
        return [
            seed(MomentsStatistic(pairs: true)), seed(ClusterAssignment(centers: centers, k: 2)),
            seed(SoftmaxGradient(weights: [Double](repeating: 0.1, count: 9), width: 2, classes: 3)),
            seed(ClassSummary()), seed(ClassConditionalSums(moments: true)),
            seed(CandidatePass(candidates: centers, kind: .weights)),
            seed(MixtureStep(weights: [0.5, 0.5], means: centers, covariances: [1, 0, 0, 1, 2, 0, 0, 2])),
            seed(ColumnRanges()),
            [SIMD4<Int64>(-5, 9, 2, 0), .zero, SIMD4(1 << 40, 3, 1, 0), SIMD4(7, 7, 7, 0)].withUnsafeBufferPointer {
                BoostingHistogram.encode($0)
            },
            // Invariant: a binning of finite cuts encodes.
            [UInt8](try! JSONEncoder().encode(FeatureBinning(samples: [[1, 2, 3, .nan], [0.5]], maxBins: 4))),
        ]
    }
}
