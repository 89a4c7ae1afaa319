import Flock
import Foundation

/// `flock bench ml`: k-means (1M x 10, k = 10, 20 Lloyd rounds from the first 10 rows),
/// logistic regression (1M x 20, two classes, L-BFGS) and gradient-boosted trees (800k x
/// 28 of `MLBenchData.hypercube`, 100 trees of 255 leaves, step 0.1, 255 bins; AUC on 200k
/// held-out rows) fitted in this process on all cores. With `--peers`, scikit-learn and
/// LightGBM fit the same data (written once as raw float64 files) in the same invocation:
/// times and quality side by side, each time ratio from this run only.
struct MLBench {
    let rows: Int
    let repeats: Int
    let peers: Bool
    let python: String
    /// Only the cases whose name contains this (kmeans, logistic, gbt).
    let only: String?

    /// Where the data sets are written for the peers (kept between runs).
    private var base: String { NSTemporaryDirectory() + "/flock-ml-v1-\(rows)" }
    private var label: String { "ml/\(rows >= 1_000_000 ? "\(rows / 1_000_000)M" : "\(rows)")" }

    /// A case's Flock result, for the ratio against a peer's.
    private struct Result {
        var record: String
        var seconds: Double
        var quality: Double
    }

    func run(into report: inout BenchReport) throws {
        var results: [String: Result] = [:]
        if only.map({ "kmeans".contains($0) }) ?? true { results["kmeans"] = try kmeans(into: &report) }
        if only.map({ "logistic".contains($0) }) ?? true { results["logistic"] = try logistic(into: &report) }
        if only.map({ "gbt".contains($0) }) ?? true { results["gbt"] = try gbt(into: &report) }
        guard peers else { return }
        let lines = try PeerScript.run(
            python, script: "Benchmarks/peers/ml.py",
            arguments: [
                "--base", base, "--rows", "\(rows)", "--repeats", "\(repeats)", "--cases",
                results.keys.sorted().joined(separator: ","),
            ])
        for peer in PeerScript.measurements(lines, requirements: "requirements-ml.txt") {
            guard let name = peer["case"] as? String, let library = peer["peer"] as? String,
                let median = peer["median"] as? Double, let ours = results[name]
            else { continue }
            let quality = peer["quality"] as? Double ?? .nan
            report.addRatio(
                "\(ours.record)/vs-\(library)", value: median / ours.seconds,
                note:
                    "\(library) \(String(format: "%.3f", median)) s; \(Self.qualityNames[name] ?? "quality") \(quality) vs ours \(ours.quality)"
            )
        }
    }

    /// What each case's quality figure is.
    private static let qualityNames = ["kmeans": "cost", "logistic": "train accuracy", "gbt": "test AUC"]

    private func kmeans(into report: inout BenchReport) throws -> Result {
        let blobs = MLBenchData.blobs(rows: rows, width: 10, centers: 10)
        let start = (0..<10).map { Array(blobs[$0 * 10..<($0 + 1) * 10]) }
        let frame = try Self.frame(blobs, width: 10, label: nil)
        var model: KMeansModel?
        let time = try measure(repeats: repeats) {
            model = try KMeans(featureColumns: Self.names(10), k: 10, maxIter: 20, tol: 0, initialCenters: start)
                .fit(frame)
        }
        let cost = model?.trainingCost ?? .nan
        let record = "\(label)/kmeans-x10-k10"
        report.add(
            "\(record)/seconds", unit: "s", median: time.median, best: time.best, note: "20 rounds; cost \(cost)")
        if peers { try write(blobs, to: base + "-blobs.f64") }
        return Result(record: record, seconds: time.median, quality: cost)
    }

    private func logistic(into report: inout BenchReport) throws -> Result {
        let (features, labels) = MLBenchData.classification(rows: rows, width: 20)
        let frame = try Self.frame(features, width: 20, label: labels)
        let regParam = 1 / Double(rows)  // scikit-learn's C = 1.
        var model: LogisticRegressionModel?
        let time = try measure(repeats: repeats) {
            model = try LogisticRegression(featureColumns: Self.names(20), labelColumn: "label", regParam: regParam)
                .fit(frame)
        }
        let accuracy =
            try model.map { try MulticlassClassificationEvaluator(metric: .accuracy).evaluate(try $0.transform(frame)) }
            ?? .nan
        let record = "\(label)/logistic-x20"
        report.add(
            "\(record)/seconds", unit: "s", median: time.median, best: time.best,
            note: "\(model?.iterations ?? 0) L-BFGS iterations; train accuracy \(accuracy)")
        if peers {
            try write(features, to: base + "-features.f64")
            try write(labels, to: base + "-labels.f64")
        }
        return Result(record: record, seconds: time.median, quality: accuracy)
    }

    /// Gradient-boosted trees: the first 80% of the rows train, the rest are the test set.
    private func gbt(into report: inout BenchReport) throws -> Result {
        let width = 28
        let (features, labels) = MLBenchData.hypercube(rows: rows, width: width, informative: 14, seed: 0)
        let trainRows = rows * 4 / 5
        let train = try Self.frame(
            Array(features[..<(trainRows * width)]), width: width, label: Array(labels[..<trainRows]))
        let test = try Self.frame(
            Array(features[(trainRows * width)...]), width: width, label: Array(labels[trainRows...]))
        var parameters = GBTParameters()
        (parameters.maxIter, parameters.maxLeaves, parameters.stepSize, parameters.maxBins) = (100, 255, 0.1, 255)
        var model: GBTClassificationModel?
        let time = try measure(repeats: Swift.min(repeats, 3)) {
            model = try GBTClassifier(featureColumns: Self.names(width), parameters: parameters).fit(train)
        }
        let auc = try model.map { try BinaryClassificationEvaluator().evaluate(try $0.transform(test)) } ?? .nan
        let record = "\(label)/gbt-x28-255leaves"
        report.add(
            "\(record)/seconds", unit: "s", median: time.median, best: time.best,
            note: "100 trees on \(trainRows) rows; test AUC \(auc)")
        if peers {
            try write(features, to: base + "-hypercube.f64")
            try write(labels, to: base + "-hypercube-labels.f64")
        }
        return Result(record: record, seconds: time.median, quality: auc)
    }

    static func names(_ width: Int) -> [String] { (0..<width).map { "f\($0)" } }

    /// Row-major `values` (and labels) as a frame of columns f0, f1, ... (and label).
    static func frame(_ values: [Double], width: Int, label: [Double]?) throws -> DataFrame {
        let rows = values.count / width
        var columns = (0..<width).map { j in Column((0..<rows).map { Optional(values[$0 * width + j]) }) }
        var names = Self.names(width)
        if let label {
            columns.append(Column(label.map { Optional($0) }))
            names.append("label")
        }
        return DataFrame(try RecordBatch(names: names, columns: columns))
    }

    private func write(_ values: [Double], to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
