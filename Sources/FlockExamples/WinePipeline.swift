import FlockData
import FlockML
import FlockRuntime
import Foundation

/// The README's FlockML example: a CSV read and labelled on a local cluster; a
/// `StringIndexer` turns the label into class indices; a `CrossValidator` picks the best
/// of four `GBTClassifier` settings by ROC area with every fit on the cluster's workers
/// (two at a time), and checks the choice against the same cross-validation in this
/// process (the same trees, bit for bit); the indexer and the winner are saved as one
/// pipeline file, loaded back, and scored on held-out rows. The data is UCI's wine table
/// (is a wine from cultivar 1?), built into the binary.
///
///     try await Cluster.serveIfWorker(WinePipeline.registry)   // workers serve here
///     for line in try await WinePipeline.run().lines { print(line) }
public enum WinePipeline {
    /// The tasks the example's workers run: FlockML's and FlockData's.
    public static var registry: TaskRegistry {
        // Invariant: FlockML's task names are distinct.
        try! TaskRegistry(MLTasks.all, actors: MLTasks.actors)
    }

    /// What a run found: lines to print and the held-out ROC area.
    public struct Report: Sendable {
        public var lines: [String]
        public var testAUC: Double
    }

    /// Runs the example; `folder` receives the CSV and the model file (a fresh temporary
    /// folder when nil).
    public static func run(folder: String? = nil) async throws -> Report {
        let (folder, csv) = try EmbeddedData.writeWineCSV(into: folder, prefix: "flock-wine-pipeline")

        // On the cluster: read the CSV and label each wine.
        let cluster = try await Cluster.local(workers: 2, tasks: registry)
        defer { Task { await cluster.shutdown() } }
        let raw = try await DataFrame(CSVReader.read(path: csv), name: "wine").persist(on: cluster)
        let features = raw.schema.names.filter { $0 != "class" }
        let labelled = try await raw.withColumn("cultivar_1", col("class") == lit(1)).collect(on: cluster)

        // Every fifth wine is held out for the final score.
        let heldOut = Column((0..<labelled.rowCount).map { Optional($0 % 5 == 0) })
        let table = DataFrame(
            try RecordBatch(names: labelled.names + ["held_out"], columns: labelled.columns + [heldOut]))
        let train = try table.filter(col("held_out") == lit(false))
        let test = try table.filter(col("held_out"))

        // Index the label; cross-validate four boosted-tree settings, fits on the workers.
        let indexer = try StringIndexer(inputColumn: "cultivar_1", outputColumn: "label").fit(train)
        let grid = [(4, 0.1), (4, 0.3), (15, 0.1), (15, 0.3)].map { leaves, step in
            var parameters = GBTParameters()
            (parameters.maxIter, parameters.maxLeaves, parameters.stepSize, parameters.minInstancesPerNode) =
                (50, leaves, step, 5)
            return GBTClassifier(featureColumns: features, parameters: parameters)
        }
        let validator = CrossValidator(candidates: grid, evaluator: BinaryClassificationEvaluator(), numFolds: 3)
        let indexed = try indexer.transform(train)
        let selection = try await validator.fit(indexed, on: cluster, parallelism: 2)
        let here = try validator.fit(indexed)

        // Save the indexer and the winner as one pipeline, load it back, score held-out rows.
        let path = folder + "/wine-model.safetensors"
        try ModelFile.save(PipelineModel(stages: [indexer, selection.bestModel]), to: path)
        let loaded = try ModelFile.loadPipeline(from: path)
        let auc = try BinaryClassificationEvaluator().evaluate(try loaded.transform(test))
        var lines = ["cross-validated ROC area per setting (leaves, step):"]
        for (i, (leaves, step)) in [(4, 0.1), (4, 0.3), (15, 0.1), (15, 0.3)].enumerated() {
            lines.append(String(format: "  %2d leaves, step %.1f: %.4f", leaves, step, selection.averageMetrics[i]))
        }
        lines.append("saved the pipeline (indexer + best trees) to \(path)")
        lines.append(String(format: "held-out ROC area %.4f on %d wines", auc, try test.collect().rowCount))
        let same = selection.bestModel == here.bestModel && selection.averageMetrics == here.averageMetrics
        lines.append(
            "cross-validation on 2 workers: "
                + (same ? "the in-process scores and trees, bit for bit" : "DIFFERS from the in-process one"))
        return Report(lines: lines, testAUC: auc)
    }
}
