import Flock
import FlockData
import FlockML
import Foundation

/// `flock bench ml --cluster`: logistic regression (1M x 20), k-means (1M x 10, k = 10,
/// 20 rounds from a fixed start) and boosted trees (the 800k x 28 training rows of
/// `flock bench ml`, 100 trees of 255 leaves; at most 3 repeats) fitted on `Cluster.local`
/// (two worker processes, one thread each) from a persisted frame, beside the same fits in this process on all cores; the
/// models are compared bit for bit (issue 14: the cluster within 1.3x of in-process).
struct MLClusterBench {
    let rows: Int
    let repeats: Int

    func run(into report: inout BenchReport) async throws {
        let label = "ml/cluster2/\(rows >= 1_000_000 ? "\(rows / 1_000_000)M" : "\(rows)")"
        let threads = ThreadPool.shared.threadCount  // Made now: this process keeps its threads.
        setenv("FLOCK_NUM_THREADS", "1", 1)  // The workers inherit this: one thread each.
        let cluster = try await Cluster.local(workers: 2, tasks: try TaskRegistry(MLTasks.all, actors: MLTasks.actors))
        let (features, labels) = MLBenchData.classification(rows: rows, width: 20)
        let logistic = LogisticRegression(
            featureColumns: MLBench.names(20), labelColumn: "label", regParam: 1 / Double(rows))
        try await compare(
            "\(label)/logistic-x20", try MLBench.frame(features, width: 20, label: labels), cluster: cluster,
            threads: threads, into: &report, inProcess: { try logistic.fit($0) },
            distributed: { try await logistic.fit($0, on: cluster) })
        let blobs = MLBenchData.blobs(rows: rows, width: 10, centers: 10)
        let kmeans = KMeans(
            featureColumns: MLBench.names(10), k: 10, maxIter: 20, tol: 0,
            initialCenters: (0..<10).map { Array(blobs[$0 * 10..<($0 + 1) * 10]) })
        try await compare(
            "\(label)/kmeans-x10-k10", try MLBench.frame(blobs, width: 10, label: nil), cluster: cluster,
            threads: threads, into: &report, inProcess: { try kmeans.fit($0) },
            distributed: { try await kmeans.fit($0, on: cluster) })
        let (cube, cubeLabels) = MLBenchData.hypercube(rows: rows, width: 28, informative: 14, seed: 0)
        let trainRows = rows * 4 / 5
        var parameters = GBTParameters()
        (parameters.maxIter, parameters.maxLeaves) = (100, 255)
        let gbt = GBTClassifier(featureColumns: MLBench.names(28), parameters: parameters)
        try await compare(
            "\(label)/gbt-x28-255leaves",
            try MLBench.frame(Array(cube[..<(trainRows * 28)]), width: 28, label: Array(cubeLabels[..<trainRows])),
            cluster: cluster, threads: threads, repeats: Swift.min(repeats, 3), into: &report,
            inProcess: { try gbt.fit($0) }, distributed: { try await gbt.fit($0, on: cluster) })
        await cluster.shutdown()
    }

    /// Times one estimator in-process and on the cluster (from `frame` persisted there in 4
    /// partitions, once) and reports both, their ratio and whether the models agree.
    private func compare<Model: Equatable>(
        _ record: String, _ frame: DataFrame, cluster: Cluster, threads: Int, repeats: Int? = nil,
        into report: inout BenchReport,
        inProcess: (DataFrame) throws -> Model, distributed: (DataFrame) async throws -> Model
    ) async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let persisted = try await frame.persist(on: cluster, partitions: 4)
        report.addDerived(
            "\(record)/persist", unit: "s", value: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
            note: "encode + store 4 partitions, once")
        var (here, there): (Model?, Model?) = (nil, nil)
        let repeats = repeats ?? self.repeats
        let local = try measure(repeats: repeats) { here = try inProcess(frame) }
        let remote = try await measure(repeats: repeats) { there = try await distributed(persisted) }
        report.add(
            "\(record)/seconds", unit: "s", median: remote.median, best: remote.best,
            note: "2 workers x 1 thread; models \(here == there ? "identical" : "DIFFER")")
        report.add(
            "\(record)/in-process/seconds", unit: "s", median: local.median, best: local.best,
            note: "\(threads) threads")
        report.addRatio(
            "\(record)/vs-in-process", value: local.median / remote.median, note: "target: above 1/1.3 = 0.77")
    }
}
