import FlockData
import FlockNN
import FlockRuntime
import FlockTensor
import Foundation

/// The README's data-to-model example: read a CSV, clean and aggregate it on a local
/// cluster, write the clean table as Parquet, read it back and train a classifier on it.
/// The data is UCI's wine table (13 measurements, 3 cultivars), built into the binary.
///
///     try await Cluster.serveIfWorker(TableToModel.registry)   // workers serve here
///     for line in try await TableToModel.run() { print(line) }
public enum TableToModel {
    /// The tasks the example's workers run: FlockData's.
    public static var registry: TaskRegistry {
        // Invariant: FlockData's task names are distinct.
        try! TaskRegistry(DataTasks.all)
    }

    /// What a run found: summary lines and the test accuracy.
    public struct Report: Sendable {
        /// Lines to print: per-class counts and means, the files, the accuracy.
        public var lines: [String]
        /// The classifier's accuracy on the held-out 20%.
        public var testAccuracy: Double
    }

    /// Runs the pipeline on a local cluster of two workers; `folder` receives the CSV and
    /// the Parquet file (a fresh temporary folder when nil).
    public static func run(folder: String? = nil, epochs: Int = 60) async throws -> Report {
        let (folder, csv) = try EmbeddedData.writeWineCSV(into: folder, prefix: "flock-table-to-model")
        let cluster = try await Cluster.local(workers: 2, tasks: registry)
        defer { Task { await cluster.shutdown() } }

        // Read, then clean on the cluster: drop incomplete rows, add a ratio feature.
        let raw = try await DataFrame(CSVReader.read(path: csv), name: "wine").persist(on: cluster)
        let measurements = raw.schema.names.filter { $0 != "class" }
        let clean = try raw.filter(measurements.map { col($0).isNotNull() }.reduce(lit(true)) { $0 && $1 })
            .withColumn("phenol_ratio", col("flavanoids") / col("total_phenols"))
        let features = measurements + ["phenol_ratio"]

        // Aggregate: rows and means per class, and each feature's mean and deviation.
        var lines: [String] = []
        let perClass = try await clean.groupBy(col("class"))
            .agg(count().alias("rows"), col("alcohol").mean().alias("alcohol"), col("proline").mean().alias("proline"))
            .sort(col("class").ascending()).collect(on: cluster)
        lines.append("per class:\n" + perClass.show())
        let moments = try await clean.select(features.flatMap { [col($0).mean(), col($0).std()] }).collect(on: cluster)
        // Standardize every feature with those statistics (still on the cluster), then write Parquet.
        let scaled = try await clean.select(
            try features.enumerated().map { j, name -> Expr in
                guard case .double(let mean)? = moments.columns[2 * j][0],
                    case .double(let deviation)? = moments.columns[2 * j + 1][0]
                else { throw DataError.invalidPlan("no statistics for \(name)") }
                return ((col(name) - lit(mean)) / lit(deviation)).alias(name)
            } + [col("class")]
        ).collect(on: cluster)
        let parquet = folder + "/wine-clean.parquet"
        try ParquetWriter.write([scaled], to: parquet, compression: .zstd)
        lines.append("wrote \(scaled.rowCount) clean rows x \(features.count) features to \(parquet)")

        // Train: Parquet -> TensorDataset -> a small MLP.
        let table = try DataFrame(batches: try ParquetReader.read(path: parquet), name: "wine-clean")
        let (train, test) = try table.dataset(features: features, label: "class").split(fraction: 0.8, seed: 7)
        GlobalRandom.seed(7)
        let model = Sequential(Linear(features.count, 32), ReLU(), Linear(32, 3))
        let optimizer = Adam(model.parameters(), learningRate: 1e-2)
        _ = try ClassifierTraining.train(
            model, optimizer: optimizer, train: train, test: test, epochs: epochs, batchSize: 16, seed: 7,
            showProgress: false)
        let accuracy = try ClassifierTraining.accuracy(model, test)
        lines.append(String(format: "test accuracy %.3f on %d held-out wines", accuracy, test.count))
        return Report(lines: lines, testAccuracy: accuracy)
    }
}
