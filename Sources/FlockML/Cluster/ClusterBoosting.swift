import FlockData
import FlockRuntime
import Foundation

/// Boosting on a cluster: the rows stay in the workers, one `BoostingShard` actor per
/// block-aligned shard; the driver makes every decision (`BoostingRounds`) from the sums of
/// the shards' answers. The bins come from the same sample an in-process fit draws
/// (`RowSample`, each shard drawing its blocks' rows), the quantization scales from the
/// largest gradient of any shard, and histograms are integer sums, so the trees are the
/// in-process fit's, bit for bit, on any number of workers and partitions.
///
/// A round costs one call per shard for the derivatives, one for the root and one per
/// split. When a shard's worker dies, the runtime makes its actor again; the driver reloads
/// its rows, replays the trees so far on them, and grows the current tree again.
struct ClusterBoosting {
    let loss: BoostingLoss
    let parameters: GBTParameters
    let estimator: String

    /// Calls to the hosts of `shards` failed (their workers died, most likely); `cause` is one failure.
    private struct ShardsLost: Error {
        let shards: [Int]
        let cause: Error
    }

    /// Fits on `cluster` what `GradientBoosting.fit` fits here. With a validation column,
    /// its marked rows are read into this process and scored here after every tree (as
    /// in-process: early stopping); the rest train on the workers.
    /// - Throws: `MLError.invalidParameter` for a bad parameter; `.invalidData` for bad
    ///   columns or labels, a bad validation indicator or none marked, a
    ///   single class for the logistic loss, or no rows; the runtime's errors after
    ///   `maxRecoveries` lost shards.
    func fit(
        _ frame: DataFrame, featureColumns: [String], labelColumn: String, validationIndicatorColumn: String?,
        on cluster: Cluster, partitions: Int?, progress: (@Sendable (String) -> Void)?
    ) async throws -> GradientBoosting.Fit {
        try Parameter.columns("featureColumns", featureColumns)
        try parameters.validate()
        let p = parameters
        var (training, validation): (DataFrame, (columns: [[Double]], labels: [Double])?) = (frame, nil)
        if let validationIndicatorColumn {
            (training, validation) = try await held(
                frame, indicator: validationIndicatorColumn, featureColumns: featureColumns, labelColumn: labelColumn,
                on: cluster, partitions: partitions)
        }
        let sharded = try await ShardedRows(
            training, featureColumns: featureColumns, labelColumn: labelColumn, estimator: estimator, on: cluster,
            partitions: partitions)
        // One shard per worker: a split costs a call per shard.
        let rows = sharded.grouped(into: try await cluster.statistics().workers)
        let fraction = FeatureBinning.sampleFraction(rows: rows.count)
        let samples = try await cluster.get(
            try rows.shards.map {
                try cluster.submit(
                    BoostingSampleTask(shard: $0, fraction: fraction, seed: p.seed, loss: loss, estimator: estimator))
            })
        let binning = FeatureBinning(
            samples: try Self.features(samples, width: featureColumns.count), maxBins: p.maxBins)
        var hosts: [BoostingShard] = []
        for _ in rows.shards {
            hosts.append(try await cluster.spawn(BoostingShard.self, maxRestarts: Self.maxRecoveries))
        }
        do {
            let fit = try await boost(
                rows, hosts: hosts, binning: binning, validation: validation, on: cluster, progress: progress)
            for host in hosts { try? await cluster.kill(host) }
            return fit
        } catch {
            for host in hosts { try? await cluster.kill(host) }
            throw error
        }
    }

    /// Lost shards a fit recovers from before it gives up.
    static let maxRecoveries = 3

    private func boost(
        _ rows: ShardedRows, hosts: [BoostingShard], binning: FeatureBinning,
        validation: (columns: [[Double]], labels: [Double])?, on cluster: Cluster,
        progress: (@Sendable (String) -> Void)?
    ) async throws -> GradientBoosting.Fit {
        let sums = try await load(rows.shards.indices, of: rows, into: hosts, binning: binning, on: cluster)
        let total = BlockReduction.combine(sums.flatMap { $0 }, +)
        if loss == .logistic, total == 0 || total == Double(rows.count) {
            throw MLError.invalidData("the label column holds a single class; a classifier needs two")
        }
        let initial = loss.initialScore(labelSums: sums.flatMap { $0 }, count: rows.count)
        let rounds = BoostingRounds(
            loss: loss, parameters: parameters, binning: binning, initialScore: initial, validation: validation,
            progress: progress)
        let bins = binning.layout.histogramSize
        try await all(hosts) { _, host in try await host.start(initialScore: initial, trees: []) }
        var recoveries = 0
        while true {
            do {
                switch rounds.next() {
                case .derivatives(let round, let lastTree):
                    let largest = try await all(hosts) { _, host in
                        try await host.derivatives(round: round, lastTree: lastTree)
                    }
                    rounds.received(
                        largest: largest.reduce(SIMD2<Double>.zero) { pointwiseMax($0, SIMD2($1[0], $1[1])) })
                case .root(let round, let scales, let histogram):
                    let parts = try await all(hosts) { _, host in try await host.root(round: round, scales: scales) }
                    try Self.sum(parts, into: histogram, bins: bins)
                    rounds.filled()
                case .split(let step):
                    let order = step.order
                    let parts = try await all(hosts) { _, host in try await host.split(order) }
                    try Self.sum(parts, into: step.histogram, bins: bins)
                    rounds.filled()
                case .done:
                    return rounds.fit
                }
            } catch let lost as ShardsLost {
                recoveries += 1
                guard recoveries <= Self.maxRecoveries else { throw lost.cause }
                _ = try await load(lost.shards, of: rows, into: hosts, binning: binning, on: cluster)
                let trees = rounds.trees
                try await all(lost.shards.map { hosts[$0] }) { _, host in
                    try await host.start(initialScore: initial, trees: trees)
                }
                rounds.restartRound()
            }
        }
    }

    /// The training rows of `frame` (a lazy frame over it: those `indicator` does not mark)
    /// and its validation rows, read here in order: the rows whose indicator is a non-zero
    /// number or true, as an in-process fit holds them out (null and NaN train).
    /// - Throws: `MLError.invalidData` for a missing or non-numeric indicator, no
    ///   validation rows, or bad validation features or labels.
    private func held(
        _ frame: DataFrame, indicator: String, featureColumns: [String], labelColumn: String, on cluster: Cluster,
        partitions: Int?
    ) async throws -> (training: DataFrame, validation: (columns: [[Double]], labels: [Double])) {
        guard let field = frame.schema.fields.first(where: { $0.name == indicator }) else {
            throw MLError.invalidData(
                "no column \"\(indicator)\" (validationIndicatorColumn) among \(frame.schema.fields.map(\.name))")
        }
        guard field.type.isNumeric || field.type == .bool else {
            throw MLError.invalidData(
                "column \"\(indicator)\" is \(field.type); a validation indicator is a number or a bool")
        }
        let value = col(indicator).cast(.float64)
        let isHeld = col(indicator).isNotNull() && (value > lit(0.0) || value < lit(0.0))
        let batch: RecordBatch
        let training: DataFrame
        do {
            // A filter of partitions keeps their order, so the rows come back in order.
            batch = try await frame.filter(isHeld).select((featureColumns + [labelColumn]).map { col($0) })
                .collect(on: cluster, partitions: partitions)
            training = try frame.filter(!isHeld)
        } catch let error as DataError {
            throw MLError.invalidData("\(error)")
        }
        guard batch.rowCount > 0 else { throw MLError.invalidData("column \"\(indicator)\" marks no validation rows") }
        let rows = try GradientBoosting.Inputs(
            batch, features: featureColumns, label: labelColumn, indicator: nil, estimator: estimator
        ) { try loss.labels($0, column: labelColumn, estimator: estimator) }
        return (training, (rows.columns, rows.labels))
    }

    /// Loads shards `indices` into their hosts; returns each one's label block sums.
    private func load(
        _ indices: some Collection<Int>, of rows: ShardedRows, into hosts: [BoostingShard], binning: FeatureBinning,
        on cluster: Cluster
    ) async throws -> [[Double]] {
        let refs = try indices.map { i in
            try cluster.submit(
                BoostingShardLoadTask(
                    shard: rows.shards[i], binning: binning, loss: loss, parameters: parameters,
                    estimator: estimator, host: hosts[i]))
        }
        return try await cluster.get(refs)
    }

    /// `call` on every host at once, the answers in host order.
    /// - Throws: `ShardsLost` naming the hosts whose calls failed. Errors come back from a
    ///   worker as text, so every failure counts as a lost shard: a worker that died, or an
    ///   actor made again that has not been loaded; the fit gives up after `maxRecoveries`.
    @discardableResult
    private func all<Answer: Sendable>(
        _ hosts: [BoostingShard], _ call: @escaping @Sendable (Int, BoostingShard) async throws -> Answer
    ) async throws -> [Answer] {
        let outcomes = await withTaskGroup(of: (Int, Result<Answer, Error>).self) { group in
            for (i, host) in hosts.enumerated() {
                group.addTask {
                    do { return (i, .success(try await call(i, host))) } catch { return (i, .failure(error)) }
                }
            }
            var outcomes = [Result<Answer, Error>?](repeating: nil, count: hosts.count)
            for await (i, outcome) in group { outcomes[i] = outcome }
            return outcomes
        }
        var answers: [Answer] = []
        var lost: [Int] = []
        var cause: Error?
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let answer): answers.append(answer)
            case .failure(let error):
                lost.append(i)
                cause = error
            case nil: preconditionFailure("every host answers")
            }
        }
        if let cause { throw ShardsLost(shards: lost, cause: cause) }
        return answers
    }

    /// The shards' encoded histograms summed into `histogram`.
    private static func sum(_ parts: [[UInt8]], into histogram: UnsafeMutablePointer<SIMD4<Int64>>, bins: Int) throws {
        histogram.initialize(repeating: .zero, count: bins)
        for part in parts { try BoostingHistogram.add(part, to: histogram, bins: bins) }
    }

    /// The shards' samples (each feature's values, feature after feature) as one sample
    /// per feature.
    /// - Throws: `MLError.invalidData` for a sample that is not `width` equal runs.
    private static func features(_ samples: [[Double]], width: Int) throws -> [[Double]] {
        var features = [[Double]](repeating: [], count: width)
        for sample in samples {
            guard sample.count % width == 0 else {
                throw MLError.invalidData("a worker's binning sample of \(sample.count) values is not \(width) columns")
            }
            let rows = sample.count / width
            for f in 0..<width { features[f] += sample[f * rows..<(f + 1) * rows] }
        }
        return features
    }
}
