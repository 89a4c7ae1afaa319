import Flock
import Foundation

/// `flock bench ml`: k-means (1M x 10, k = 10, 20 Lloyd rounds from the first 10 rows) and
/// logistic regression (1M x 20, two classes, L-BFGS) fitted in this process on all cores,
/// with `--peers` scikit-learn fitting the same data (written once as raw float64 files)
/// in the same invocation: times, the k-means cost and the classifier's accuracy side by
/// side, and each time ratio from this run only.
struct MLBench {
    let rows: Int
    let repeats: Int
    let peers: Bool
    let python: String

    /// Where the data sets are written for the peers (kept between runs).
    private var base: String { NSTemporaryDirectory() + "/flock-ml-v1-\(rows)" }

    func run(into report: inout BenchReport) throws {
        let label = "ml/\(rows >= 1_000_000 ? "\(rows / 1_000_000)M" : "\(rows)")"
        let blobs = Self.blobs(rows: rows, width: 10, centers: 10)
        let start = (0..<10).map { Array(blobs[$0 * 10..<($0 + 1) * 10]) }
        let blobFrame = try Self.frame(blobs, width: 10, label: nil)
        var kmeans: KMeansModel?
        let kmeansTime = try measure(repeats: repeats) {
            kmeans = try KMeans(featureColumns: Self.names(10), k: 10, maxIter: 20, tol: 0, initialCenters: start)
                .fit(blobFrame)
        }
        let cost = kmeans?.trainingCost ?? .nan
        report.add(
            "\(label)/kmeans-x10-k10/seconds", unit: "s", median: kmeansTime.median, best: kmeansTime.best,
            note: "20 rounds; cost \(cost)")
        let (features, labels) = Self.classification(rows: rows, width: 20)
        let classFrame = try Self.frame(features, width: 20, label: labels)
        let regParam = 1 / Double(rows)  // scikit-learn's C = 1.
        var logistic: LogisticRegressionModel?
        let logisticTime = try measure(repeats: repeats) {
            logistic = try LogisticRegression(featureColumns: Self.names(20), labelColumn: "label", regParam: regParam)
                .fit(classFrame)
        }
        let accuracy = try logistic.map {
            try MulticlassClassificationEvaluator(metric: .accuracy).evaluate(try $0.transform(classFrame))
        }
        report.add(
            "\(label)/logistic-x20/seconds", unit: "s", median: logisticTime.median, best: logisticTime.best,
            note: "\(logistic?.iterations ?? 0) L-BFGS iterations; train accuracy \(accuracy ?? .nan)")
        guard peers else { return }
        try write(blobs, to: base + "-blobs.f64")
        try write(features, to: base + "-features.f64")
        try write(labels, to: base + "-labels.f64")
        for result in try DataBench.runPython(
            python, script: "Benchmarks/peers/ml.py",
            arguments: ["--base", base, "--rows", "\(rows)", "--repeats", "\(repeats)"])
        {
            if let missing = result["missing"] {
                print("scikit-learn is not installed (\(missing)); install: \(Self.installHint)")
                continue
            }
            guard let name = result["case"] as? String, let median = result["median"] as? Double else { continue }
            if name == "kmeans", let theirs = result["cost"] as? Double {
                report.addRatio(
                    "\(label)/kmeans-x10-k10/vs-sklearn", value: median / kmeansTime.median,
                    note:
                        "sklearn \(String(format: "%.3f", median)) s; cost relative difference \(abs(theirs - cost) / theirs)"
                )
            } else if name == "logistic", let theirs = result["accuracy"] as? Double {
                report.addRatio(
                    "\(label)/logistic-x20/vs-sklearn", value: median / logisticTime.median,
                    note: "sklearn \(String(format: "%.3f", median)) s, accuracy \(theirs)")
            }
        }
    }

    static let installHint = "python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-ml.txt"

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

    /// Rows around `centers` random centres in [-10, 10)^width, unit normal noise.
    static func blobs(rows: Int, width: Int, centers: Int) -> [Double] {
        var random = RandomStream(seed: 42)
        let middles = (0..<centers * width).map { _ in random.unit() * 20 - 10 }
        return (0..<rows * width).map { i in middles[(i / width % centers) * width + i % width] + random.normal() }
    }

    /// Features with unit normal values and labels drawn from a logistic model of half of
    /// them (so the best accuracy is well below 1).
    static func classification(rows: Int, width: Int) -> (features: [Double], labels: [Double]) {
        var random = RandomStream(seed: 7)
        let weights = (0..<width).map { $0 % 2 == 0 ? random.unit() * 2 - 1 : 0 }
        var features = [Double]()
        features.reserveCapacity(rows * width)
        var labels = [Double]()
        for _ in 0..<rows {
            var z = 0.3
            for j in 0..<width {
                let x = random.normal()
                features.append(x)
                z += weights[j] * x
            }
            labels.append(random.unit() < 1 / (1 + exp(-z)) ? 1 : 0)
        }
        return (features, labels)
    }

    private func write(_ values: [Double], to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
