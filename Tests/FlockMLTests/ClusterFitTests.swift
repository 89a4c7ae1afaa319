import FlockTestSupport
import Testing

/// Fits on a local cluster of worker processes (FlockMLTestWorker) against in-process fits.
@Suite("Fits on a local cluster", .serialized)
struct ClusterFitTests {
    func run(_ scenario: String, workers: Int) throws -> (Int32, String) {
        try TestProcess.run(TestBinary.path("FlockMLTestWorker"), [scenario, "\(workers)"], within: 300)
    }

    @Test(
        "linear and logistic regression, k-means||, naive Bayes, PCA, a Gaussian mixture and a linear SVM fitted on 1, 2 and 4 workers, in 1 and 7 partitions, and a cross-validation of fits in parallel there, are the in-process results bit for bit",
        arguments: [1, 2, 4])
    func sameModels(workers: Int) throws {
        let (status, output) = try run("fits", workers: workers)
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test(
        "boosted trees (classifier and regressor, rows and features subsampled, a missing value) fitted on 1, 2 and 4 workers, in 1 and 7 partitions, are the in-process trees bit for bit",
        arguments: [1, 2, 4])
    func sameTrees(workers: Int) throws {
        let (status, output) = try run("trees", workers: workers)
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("kill -9 of a worker while trees grow: its shard is reloaded and replayed, and the trees are the same")
    func killedWorkerTrees() throws {
        let (status, output) = try run("kill-trees", workers: 2)
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }

    @Test("kill -9 of a worker mid-fit: its tasks run again and the model is the same")
    func killedWorker() throws {
        let (status, output) = try run("kill", workers: 2)
        #expect(status == 0 && output.contains("ok"), "\(output)")
    }
}
